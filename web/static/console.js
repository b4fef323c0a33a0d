/* Agent console: live queue over a WebSocket, transcript, packet card, actions. All customer and
 * agent text is inserted with textContent: HTML in messages stays inert. */
(function () {
  "use strict";
  var root = document.querySelector(".console");
  var me = Number(root.getAttribute("data-agent-id"));
  var current = null, currentData = null, typingSent = 0;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";  // sent on every call

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function api(method, path, body) {
    return fetch(path, { method: method, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, credentials: "same-origin",
                         body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        if (r.status === 204) return {};
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) { var msg = d.detail; if (msg && msg.message) msg = msg.message; throw new Error(msg || ("HTTP " + r.status)); }
          return d;
        });
      });
  }

  function loadLists() {
    return api("GET", "/api/console/conversations").then(function (d) {
      fill($("queue"), d.queue); fill($("mine"), d.mine); fill($("others"), d.others);
      $("queue-count").textContent = d.queue.length;
    });
  }
  function fill(ul, rows) {
    ul.textContent = "";
    rows.forEach(function (r) {
      var li = el("li", "conv" + (r.id === current ? " active" : ""));
      li.setAttribute("data-id", r.id);
      var top = el("div", "conv-top");
      top.appendChild(el("strong", null, r.customer + (r.vip ? " ★" : "")));
      if (r.channel === "public") top.appendChild(el("span", "badge-public", "Public · " + r.priority));
      if (r.agent) top.appendChild(el("span", "conv-agent", "→ " + r.agent));
      li.appendChild(top);
      if (r.reason) li.appendChild(el("div", "conv-reason", r.reason));
      li.appendChild(el("div", "conv-last", r.last));
      li.addEventListener("click", function () { openConv(r.id); });
      ul.appendChild(li);
    });
  }

  function openConv(id) {
    current = id;
    return api("GET", "/api/console/conversations/" + id).then(render).then(loadLists)
      .catch(function (e) { $("chat-error").textContent = e.message; });
  }

  function render(d) {
    currentData = d;
    $("empty").hidden = true; $("chat").hidden = false; $("packet").hidden = false;
    $("chat-customer").textContent = d.customer;
    $("chat-status").textContent = d.status + (d.agent ? " · " + d.agent : "");
    var mine = d.status === "open" && d.agent_id === me;
    $("accept").hidden = d.status !== "queued";
    $("hand-back").hidden = !mine; $("resolve").hidden = !mine;
    $("reply-form").hidden = !mine; $("transfer-form").hidden = !mine;
    $("chat-error").textContent = "";
    var ol = $("transcript"); ol.textContent = "";
    d.messages.forEach(function (m) {
      var li = el("li", "tmsg t-" + m.sender);
      li.setAttribute("data-sender", m.sender);
      var who = m.sender === "agent" || m.sender === "note" ? (m.agent_name || "Agent") : m.sender;
      li.appendChild(el("span", "twho", m.sender === "note" ? who + " (internal note)" : who));
      li.appendChild(el("div", "ttext", m.text));
      var dv = m.meta && m.meta.delivery;  // replies on an outbound channel: delivered, or why not
      if (dv) li.appendChild(el("span", "delivery delivery-" + (dv.state === "failed" ? "failed" : "ok"),
        dv.state === "failed" ? "Not delivered to the " + dv.channel + " channel: " + (dv.error || "unknown error") :
        dv.state === "delivered" ? "Delivered to the " + dv.channel + " channel" : "Sending to the " + dv.channel + " channel…"));
      if (dv && dv.state === "failed" && m.agent_id === me) {
        var again = el("button", "secondary retry", "Send again");
        again.type = "button";
        again.addEventListener("click", function () { api("POST", "/api/channels/replies/" + m.id + "/retry").then(function () { return openConv(current); }).catch(function (e) { $("chat-error").textContent = e.message; }); });
        li.appendChild(again);
      }
      ol.appendChild(li);
    });
    ol.scrollTop = ol.scrollHeight;
    if (d.messages.length && d.messages[d.messages.length - 1].sender === "customer") $("typing").hidden = true;
    renderPacket(d.packet, d.reason);
    document.dispatchEvent(new CustomEvent("firstline:conversation", { detail: d }));  // followups.js
  }

  function section(box, title) { box.appendChild(el("h3", null, title)); }
  function renderPacket(p, reason) {
    var box = $("packet"); box.textContent = "";
    box.appendChild(el("h2", null, "Handoff"));
    if (!p) { box.appendChild(el("p", "muted", reason || "No handoff packet.")); return; }
    var reasonText = (p.trigger && p.trigger.reason) || p.reason || reason;
    box.appendChild(el("p", "why", reasonText || ""));
    if (p.public_post) {  // where the post is and why it ranks where it does
      section(box, "Public post");
      var pp = el("p", "public-post", p.public_post.author + " · " + ((p.public_post.urgency || {}).explanation || ""));
      if (/^https?:\/\//.test(p.public_post.url || "")) { var a = el("a", null, " open the post"); a.href = p.public_post.url; a.rel = "noopener noreferrer"; a.target = "_blank"; pp.appendChild(a); }
      box.appendChild(pp);
    }
    if (p.summary) { section(box, "What they want"); box.appendChild(el("p", null, typeof p.summary === "string" ? p.summary : JSON.stringify(p.summary))); }
    var c = p.customer || {};
    section(box, "Customer");
    var dl = el("dl");
    Object.keys(c).forEach(function (k) {
      var v = c[k]; if (v == null || v === "" || typeof v === "object") return;
      dl.appendChild(el("dt", null, k.replace(/_/g, " "))); dl.appendChild(el("dd", null, String(v)));
    });
    box.appendChild(dl);
    list(box, "Identities", c.identities, function (x) { return String(x); });
    if (p.case) { section(box, "Case opened"); box.appendChild(el("p", null, p.case.number + " · follow up by " + p.case.promised_by)); }
    list(box, "Open cases", p.open_cases, function (x) { return (x.number || "") + " " + (x.title || "") + (x.promised_by ? " · promised " + x.promised_by : ""); });
    list(box, "Earlier conversations", p.earlier_conversations || p.history, function (x) { return (x.started || x.created_at || "") + " · " + (x.summary || x.status || ""); });
    list(box, "Intents", p.intents, function (x) { return x.intent + " " + Math.round((x.confidence || 0) * 100) + "%"; });
    if (p.sentiment_curve && p.sentiment_curve.length) {
      section(box, "Mood");
      box.appendChild(el("p", "spark", p.sentiment_curve.map(function (s) { var v = typeof s === "number" ? s : s.compound; return v <= -0.3 ? "▁" : v < 0.05 ? "▄" : "█"; }).join("")));
    }
    list(box, "Collected", p.entities, function (x) { return (x.entity || x.name) + ": " + x.value; });
    list(box, "Articles shown", p.articles, function (x) { return (x.title || x.article_id) + (x.helpful === true ? " · helped" : x.helpful === false ? " · did not help" : ""); });
  }
  function list(box, title, items, fmt) {
    if (!items || !items.length) return;
    section(box, title);
    var ul = el("ul");
    items.forEach(function (x) { ul.appendChild(el("li", null, fmt(x))); });
    box.appendChild(ul);
  }

  function act(path, body) {
    return api("POST", "/api/console/conversations/" + current + path, body)
      .then(function () { return openConv(current); })
      .catch(function (e) { $("chat-error").textContent = e.message; });
  }
  $("accept").addEventListener("click", function () { act("/accept"); });
  $("hand-back").addEventListener("click", function () { act("/hand-back"); });
  $("resolve").addEventListener("click", function () { act("/resolve"); });
  $("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = $("reply-text").value; if (!t.trim()) return;
    $("reply-text").value = ""; act("/reply", { text: t });
  });
  $("reply-text").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("reply-form").requestSubmit(); return; }
    if (Date.now() - typingSent > 3000 && current) { typingSent = Date.now(); api("POST", "/api/console/conversations/" + current + "/typing").catch(function () {}); }
  });
  $("note-btn").addEventListener("click", function () {
    var t = $("reply-text").value; if (!t.trim()) return;
    $("reply-text").value = ""; act("/note", { text: t });
  });
  $("transfer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("/transfer", { to_agent: $("transfer-agent").value || null, to_team: $("transfer-team").value || null, note: $("transfer-note").value })
      .then(function () { $("transfer-agent").value = $("transfer-team").value = $("transfer-note").value = ""; });
  });
  $("my-status").addEventListener("change", function () { api("PUT", "/api/console/me/status", { status: this.value }); });
  api("GET", "/api/console/me").then(function (m) { $("my-status").value = m.status; });

  var ws = null, retry = 0;
  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/console/ws");
    ws.onopen = function () { retry = 0; polling(false); loadLists(); };
    ws.onmessage = function (ev) {
      var e = JSON.parse(ev.data);
      if (window.FirstlineSurge) window.FirstlineSurge.onEvent(e);  // surge banner (surge.js)
      if (e.event === "live.degraded") { polling(true); return; }
      if (e.event === "live.restored") polling(false);
      if (e.event === "typing.started") { showTyping(e); return; }
      loadLists();
      if (current && e.conversation_id === current) openConv(current);
      if (e.event === "conversation.handed_off" || e.event === "conversation.queued") flash();
    };
    ws.onclose = function (ev) { if (ev.code === 4401) { location.href = "/login?next=/console"; return; } polling(true); retry = Math.min(retry + 1, 6); setTimeout(connect, 400 * Math.pow(2, retry)); };
  }
  // Socket down, or live events degraded (production mode with Redis gone): re-read every 3 s.
  var pollTimer = null;
  function polling(on) {
    if (on && !pollTimer) pollTimer = setInterval(function () { loadLists(); if (current) openConv(current); }, 3000);
    else if (!on && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }
  var typingTimer = null;
  function showTyping(e) {
    if (e.conversation_id !== current || e.data.sender !== "customer") return;
    $("typing").textContent = (e.data.name || "The customer") + " is typing…"; $("typing").hidden = false;
    clearTimeout(typingTimer); typingTimer = setTimeout(function () { $("typing").hidden = true; }, 4000);
  }
  function flash() { document.title = "● New handoff · Firstline"; setTimeout(function () { document.title = "Console · Firstline"; }, 4000); }
  setInterval(function () { if (ws && ws.readyState === 1) ws.send("ping"); }, 25000);
  loadLists(); connect();
})();
