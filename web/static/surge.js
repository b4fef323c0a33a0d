/* Surge banner on staff pages: re-read /api/surge whenever a surge or notice event arrives.
 * The console feeds it from its own WebSocket (FirstlineSurge.onEvent); other staff pages open one.
 * All text goes in with textContent. */
(function () {
  "use strict";
  var box = document.getElementById("surge-banner");
  if (!box) return;
  var admin = box.getAttribute("data-admin") === "1";
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }

  function render(d) {
    box.textContent = "";
    var a = d.alert, n = d.notice;
    box.hidden = !a && !n;
    if (a) {
      var p = el("p", "surge-alert"); p.appendChild(el("strong", null, "Surge:")); p.appendChild(document.createTextNode(" "));
      p.appendChild(el("span", "surge-summary", a.summary)); box.appendChild(p);
      var ul = el("ul", "surge-samples");
      (a.intents || []).forEach(function (i) { (i.samples || []).forEach(function (t) { ul.appendChild(el("li", null, i.intent + ": “" + t + "”")); }); });
      box.appendChild(ul);
    }
    if (n) box.appendChild(el("p", "surge-notice", "Customers are told: “" + n.text + "” (" + n.by + ")"));
    else if (a) {
      var q = el("p", "surge-notice", "No notice for customers yet.");
      if (admin) { q.appendChild(document.createTextNode(" ")); var link = el("a", null, "Write one"); link.href = "/admin/surge"; q.appendChild(link); }
      box.appendChild(q);
    }
  }
  function refresh() {
    return fetch("/api/surge", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) render(d); }).catch(function () {});
  }
  function onEvent(e) { if (/^surge\.|^notice\./.test(e.event || "")) refresh(); }
  window.FirstlineSurge = { onEvent: onEvent, refresh: refresh };

  if (document.querySelector(".console")) return;  // the console's socket feeds onEvent
  var retry = 0;
  function connect() {
    var ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/console/ws");
    ws.onopen = function () { retry = 0; refresh(); };
    ws.onmessage = function (ev) { try { onEvent(JSON.parse(ev.data)); } catch (err) { /* not ours */ } };
    ws.onclose = function (ev) { if (ev.code === 4401) return; retry = Math.min(retry + 1, 6); setTimeout(connect, 400 * Math.pow(2, retry)); };
  }
  connect();
})();
