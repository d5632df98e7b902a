/// The pages' inline scripts: they keep a page live by polling the JSON API every few seconds and updating
/// the server-rendered DOM in place, so scroll position, the filter and the layout stay as they are.
///
/// Rules they keep: text from the API goes in through `textContent` only (never `innerHTML`); no request
/// overlaps the previous one; nothing runs while the tab is hidden; a failed poll says so in the top bar and
/// the next one retries. Without JavaScript the pages are complete as rendered (and reload themselves through
/// a `<noscript>` refresh).
enum DashboardScript {
    /// Helpers both pages use: badges like ``StateLook/badge(_:short:into:)``, time formats, the poll loop.
    static let common = #"""
        "use strict";
        var ICON={READY:"\u2713",CONNECTING:"\u21BB",IDLE:"\u25CB",TRANSIENT_FAILURE:"\u2715",SHUTDOWN:"\u25A0"};
        var SHORT={READY:"READY",CONNECTING:"CONN",IDLE:"IDLE",TRANSIENT_FAILURE:"TF",SHUTDOWN:"DOWN"};
        var ORDER=["READY","CONNECTING","IDLE","TRANSIENT_FAILURE","SHUTDOWN"];
        var PERIOD=5000;
        function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e;}
        function badge(state,short){var b=el("span","badge st-"+state);b.setAttribute("data-state",state);
          var i=el("span","ic",ICON[state]||"?");i.setAttribute("aria-hidden","true");b.appendChild(i);
          b.appendChild(document.createTextNode(" "+(short?(SHORT[state]||state):state)));return b;}
        function setBadge(box,state,short){var cur=box.querySelector(".badge");
          if(cur&&cur.getAttribute("data-state")===state)return;box.replaceChildren(badge(state,short));}
        function parseTime(s){return Date.parse(String(s).replace(/(\.\d{3})\d*Z$/,"$1Z"));}
        function pad(n){return n<10?"0"+n:""+n;}
        function clock(ms){var d=new Date(ms);return pad(d.getUTCHours())+":"+pad(d.getUTCMinutes())+":"+pad(d.getUTCSeconds());}
        function dateTime(ms){var d=new Date(ms);return d.getUTCFullYear()+"-"+pad(d.getUTCMonth()+1)+"-"+pad(d.getUTCDate())+" "+clock(ms);}
        function dur(ms){var s=Math.max(0,Math.floor(ms/1000));if(s<60)return ms<1000?Math.max(0,Math.floor(ms))+" ms":s+"s";
          var m=Math.floor(s/60);if(m<60)return m+"m "+(s%60)+"s";var h=Math.floor(m/60);
          if(h<24)return h+"h "+pad(m%60)+"m";return Math.floor(h/24)+"d "+(h%24)+"h";}
        function getJSON(url){return fetch(url,{headers:{Accept:"application/json"},cache:"no-store"}).then(function(r){
          if(!r.ok)throw new Error("HTTP "+r.status+" from "+url.split("?")[0]);return r.json();});}
        var live=document.getElementById("live");
        function status(ok,text){if(!live)return;live.textContent=text;live.classList.toggle("stale",!ok);}
        function poll(tick){var busy=false,timer=null;function next(ms){clearTimeout(timer);timer=setTimeout(run,ms);}
          function run(){if(busy)return;if(document.hidden){next(PERIOD);return;}busy=true;var t0=Date.now();
          tick().then(function(){status(true,"live \u00b7 updated "+clock(Date.now())+" UTC");},
            function(e){status(false,"update failed ("+e.message+"); retrying");}).then(function(){busy=false;
            next(Math.max(PERIOD,20*(Date.now()-t0)));});}
          next(PERIOD);document.addEventListener("visibilitychange",function(){if(!document.hidden&&!busy)run();});
          status(true,"live \u00b7 refreshes every "+PERIOD/1000+" s");}
        """#

    /// `GET /`: counts, and each visible row's state, since and subchannel counts from `/v1/targets`.
    static let overview = "(function(){" + common + #"""
        var root=document.getElementById("overview");if(!root)return;
        var skew=parseTime(root.getAttribute("data-now"))-Date.now();
        function pips(td,subs){var counts={};subs.forEach(function(s){counts[s.state]=(counts[s.state]||0)+1;});
          var sig=subs.length+":"+ORDER.map(function(s){return counts[s]||0;}).join(",");
          if(td.getAttribute("data-sig")===sig)return;td.setAttribute("data-sig",sig);td.setAttribute("data-count",subs.length);
          var box=el("span","pips");box.appendChild(el("span","total",String(subs.length)));
          ORDER.forEach(function(s){var n=counts[s];if(!n)return;var p=el("span","pip st-"+s);p.setAttribute("data-state",s);
            p.setAttribute("data-count",n);p.title=n+" "+s;var i=el("span","ic",ICON[s]);i.setAttribute("aria-hidden","true");
            p.appendChild(i);p.appendChild(document.createTextNode(String(n)));p.appendChild(el("span","sr"," "+SHORT[s]));box.appendChild(p);});
          td.replaceChildren(box);}
        poll(function(){return getJSON("/v1/targets").then(function(body){
          var now=Date.now()+skew,counts={},by={};ORDER.forEach(function(s){counts[s]=0;});
          body.targets.forEach(function(t){counts[t.state]=(counts[t.state]||0)+1;by[t.name]=t;});
          document.getElementById("count-all").textContent=body.targets.length;
          ORDER.forEach(function(s){var c=document.getElementById("count-"+s);if(c)c.textContent=counts[s];});
          document.querySelectorAll("#targets tbody tr[data-target]").forEach(function(row){
            var t=by[row.getAttribute("data-target")],state=row.querySelector("td.state");
            if(!t){if(!row.classList.contains("gone")){row.classList.add("gone");state.replaceChildren(el("span","muted","removed"));}return;}
            row.classList.remove("gone");setBadge(state,t.state);
            var time=row.querySelector("td.since time");
            if(time){time.setAttribute("datetime",t.state_since);time.textContent=dur(now-parseTime(t.state_since));
              time.title=dateTime(parseTime(t.state_since))+" UTC";}
            pips(row.querySelector("td.subchannels"),t.subchannels);});});});
        })();
        """#

    /// `GET /ui/targets/{name}`: the channel badge, the subchannels table, the availability, and the timeline
    /// and event list, extended with the events `/v1/history` returns since the newest one on the page.
    static let target = "(function(){" + common + #"""
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
        })();
        """#
}
