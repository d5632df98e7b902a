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
