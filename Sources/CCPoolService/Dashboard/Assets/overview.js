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
