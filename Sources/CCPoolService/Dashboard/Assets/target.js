var root=document.getElementById("target");if(!root)return;
var name=root.getAttribute("data-name"),win=root.getAttribute("data-window");
var W=1000*Number(root.getAttribute("data-window-seconds"));
var skew=parseTime(root.getAttribute("data-now"))-Date.now();
var svg=document.getElementById("timeline"),NS="http://www.w3.org/2000/svg";
var PX=210,PW=880,BH=20,GAP=8,MAXEV=50;
var since=svg.getAttribute("data-end"),seen={};
var bands={},order=[];
svg.querySelectorAll("g.band").forEach(function(g){var b={g:g,slug:g.getAttribute("data-band"),segs:[],
  label:(g.querySelector("text title")||{}).textContent||""};
  g.querySelectorAll("rect.seg").forEach(function(r){b.segs.push({el:r,start:parseTime(r.getAttribute("data-start")),
    end:parseTime(r.getAttribute("data-end")),open:r.hasAttribute("data-open")});
    if(r.hasAttribute("data-event"))seen[r.getAttribute("data-event")]=1;});
  bands[b.slug]=b;order.push(b);});
document.querySelectorAll("#events tbody tr[data-id]").forEach(function(r){seen[r.getAttribute("data-id")]=1;});
function segTitle(b,s,state,from,reason){var f=W>3600000?dateTime:clock;
  return b.label+": "+state+"\n"+f(s.start)+" \u2192 "+(s.open?"now":f(s.end))+" ("+dur(s.end-s.start)+")\n"+
    (from?"from "+from:"")+(reason?": "+reason:" (no reason recorded)");}
function addBand(slug,label){var y=order.length*(BH+GAP),g=document.createElementNS(NS,"g");
  g.setAttribute("class","band");g.setAttribute("data-band",slug);g.setAttribute("data-y",y);
  var t=document.createElementNS(NS,"text");t.setAttribute("x",0);t.setAttribute("y",y+14);
  t.textContent=label.length>28?label.slice(0,27)+"\u2026":label;var tt=document.createElementNS(NS,"title");tt.textContent=label;t.appendChild(tt);
  var tr=document.createElementNS(NS,"rect");tr.setAttribute("class","track");tr.setAttribute("x",PX);tr.setAttribute("y",y);
  tr.setAttribute("width",PW);tr.setAttribute("height",BH);tr.setAttribute("rx",3);g.appendChild(t);g.appendChild(tr);
  var axis=svg.querySelector("g.axis");svg.insertBefore(g,axis);var b={g:g,slug:slug,segs:[],label:label};bands[slug]=b;order.push(b);
  var top=order.length*(BH+GAP);svg.setAttribute("viewBox","0 0 1100 "+(top+24));
  axis.querySelectorAll("line").forEach(function(l){l.setAttribute("y2",top+4);});
  axis.querySelectorAll("text").forEach(function(x){x.setAttribute("y",top+17);});return b;}
function apply(ev){var slug=ev.scope==="channel"?"channel":"subchannel-"+ev.subchannel;
  var b=bands[slug]||addBand(slug,slug==="channel"?"channel":"#"+ev.subchannel+(ev.address?" "+ev.address:""));
  var t=parseTime(ev.time),last=b.segs[b.segs.length-1];
  if(last&&last.open){last.open=false;last.end=t;last.el.removeAttribute("data-open");last.el.setAttribute("data-end",ev.time);
    last.el.querySelector("title").textContent=segTitle(b,last,last.el.getAttribute("data-state"),last.el.getAttribute("data-from"),last.el.getAttribute("data-reason"));}
  var r=document.createElementNS(NS,"rect");r.setAttribute("class","seg st-"+ev.to);r.setAttribute("y",b.g.getAttribute("data-y"));
  r.setAttribute("height",BH);r.setAttribute("data-state",ev.to);r.setAttribute("data-start",ev.time);r.setAttribute("data-from",ev.from);
  r.setAttribute("data-event",ev.id);r.setAttribute("data-reason",ev.reason||"");r.setAttribute("data-open","1");
  r.appendChild(document.createElementNS(NS,"title"));b.g.appendChild(r);b.segs.push({el:r,start:t,end:t,open:true});}
function layout(now){var ws=now-W;order.forEach(function(b){b.segs=b.segs.filter(function(s){
    if(s.open){s.end=now;s.el.setAttribute("data-end",new Date(now).toISOString());}
    if(s.end<=ws){s.el.remove();return false;}var a=Math.max(s.start,ws),x=PX+(a-ws)/W*PW;
    s.el.setAttribute("x",x.toFixed(2));s.el.setAttribute("width",Math.max(0.6,(s.end-a)/W*PW).toFixed(2));
    if(s.open||!s.el.querySelector("title").textContent)s.el.querySelector("title").textContent=segTitle(b,s,
      s.el.getAttribute("data-state"),s.el.getAttribute("data-from"),s.el.getAttribute("data-reason"));return true;});});}
function eventRow(ev){var tr=el("tr");tr.setAttribute("data-id",ev.id);var td=el("td"),tm=el("time",null,dateTime(parseTime(ev.time))+"."+String(ev.time).slice(20,23));
  tm.setAttribute("datetime",ev.time);td.appendChild(tm);tr.appendChild(td);
  tr.appendChild(el("td","mono",ev.scope==="channel"?"channel":"#"+ev.subchannel+(ev.address?" "+ev.address:"")));
  var tt=el("td");tt.appendChild(badge(ev.from,true));tt.appendChild(document.createTextNode(" \u2192 "));tt.appendChild(badge(ev.to,true));
  tr.appendChild(tt);tr.appendChild(el("td","reason",ev.reason));return tr;}
function subRow(s){var tr=el("tr");tr.setAttribute("data-id",s.id);tr.appendChild(el("td","mono","#"+s.id));
  tr.appendChild(el("td","mono address",""));var st=el("td","state");tr.appendChild(st);tr.appendChild(el("td","health",""));
  var td=el("td","since");td.appendChild(el("time"));tr.appendChild(td);tr.appendChild(el("td","reason",""));return tr;}
function subchannels(t){var body=document.querySelector("#subchannels tbody"),rows={},ids={};
  body.querySelectorAll("tr[data-id]").forEach(function(r){rows[r.getAttribute("data-id")]=r;});
  t.subchannels.forEach(function(s){ids[s.id]=1;var r=rows[s.id];
    if(!r){var none=body.querySelector("tr.none");if(none)none.remove();r=subRow(s);body.appendChild(r);}
    r.classList.remove("gone");setBadge(r.querySelector("td.state"),s.state);r.querySelector("td.health").textContent=s.health;
    var a=s.connected_address||s.addresses.join(", ");var ad=r.querySelector("td.address");
    if(ad.getAttribute("data-a")!==a){ad.setAttribute("data-a",a);ad.textContent=a;}
    var tm=r.querySelector("td.since time");if(tm.getAttribute("datetime")!==s.state_since){tm.setAttribute("datetime",s.state_since);
      tm.textContent=dateTime(parseTime(s.state_since));}});
  Object.keys(rows).forEach(function(id){if(!ids[id]&&!rows[id].classList.contains("gone")){rows[id].classList.add("gone");
    rows[id].querySelector("td.state").replaceChildren(el("span","muted","removed"));}});}
function history(h){var body=document.querySelector("#events tbody"),fresh=h.events.filter(function(ev){return !seen[ev.id];});
  fresh.forEach(function(ev){seen[ev.id]=1;apply(ev);if(ev.scope==="subchannel"){
    var r=document.querySelector('#subchannels tr[data-id="'+Number(ev.subchannel)+'"] td.reason');if(r)r.textContent=ev.reason;}
    since=ev.time;});
  if(fresh.length){var none=body.querySelector("tr.none");if(none)none.remove();}
  fresh.forEach(function(ev){body.insertBefore(eventRow(ev),body.firstChild);});
  while(body.querySelectorAll("tr[data-id]").length>MAXEV)body.removeChild(body.lastElementChild);}
function availability(a){var f=document.getElementById("avail-fraction"),d=document.getElementById("avail-detail");
  if(f)f.textContent=(a.ready_fraction*100).toFixed(2)+" %";
  if(d)d.textContent="READY for "+dur(a.ready_seconds*1000)+" of "+dur(a.window_seconds*1000)+" \u00b7 "+a.transitions+
    " channel transition"+(a.transitions===1?"":"s");}
var base="/v1/targets/"+encodeURIComponent(name);
poll(function(){return Promise.all([getJSON(base),
    getJSON("/v1/history?target="+encodeURIComponent(name)+"&since="+encodeURIComponent(since)+"&limit=1000"),
    getJSON(base+"/availability?window="+encodeURIComponent(win))]).then(function(r){
  var t=r[0];setBadge(document.getElementById("channel-state"),t.state);
  var cs=document.getElementById("channel-since");if(cs.getAttribute("datetime")!==t.state_since){
    cs.setAttribute("datetime",t.state_since);cs.textContent=dateTime(parseTime(t.state_since))+" UTC";}
  subchannels(t);history(r[1]);layout(Date.now()+skew);availability(r[2]);});});
