/* Agent console: live queue over a WebSocket, transcript, packet card, actions. All customer and
 * agent text is inserted with textContent: HTML in messages stays inert. */
(function () {
  "use strict";
  var root = document.querySelector(".console");
  var me = Number(root.getAttribute("data-agent-id"));
  var current = null, currentData = null, typingSent = 0;
  var prefsKey = "firstline:console:" + me;  // per agent, in this browser
  var prefs = loadPrefs();
  var view = prefs.view || "mine", routedSeen = null;

  function loadPrefs() { try { return JSON.parse(localStorage.getItem(prefsKey)) || {}; } catch (e) { return {}; } }
  function savePrefs() { try { localStorage.setItem(prefsKey, JSON.stringify(prefs)); } catch (e) { /* private mode */ } }

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function api(method, path, body) {
    return fetch(path, { method: method, headers: { "Content-Type": "application/json" }, credentials: "same-origin",
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
    return api("GET", "/api/console/inbox?view=" + encodeURIComponent(view)).then(function (d) {
      Object.keys(d.counts).forEach(function (v) { var c = $("count-" + v); if (c) c.textContent = d.counts[v]; });
      fill($("inbox"), d.items);
      announceRouted(d);
    });
  }
  function waited(sec) {
    if (!sec) return "";
    if (sec < 60) return "waiting < 1 min";
    if (sec < 3600) return "waiting " + Math.round(sec / 60) + " min";
    if (sec < 86400) return "waiting " + Math.floor(sec / 3600) + " h " + Math.round((sec % 3600) / 60) + " min";
    return "waiting " + Math.floor(sec / 86400) + " d";
  }
  function fill(ul, rows) {
    ul.textContent = "";
    if (!rows.length) { ul.appendChild(el("li", "muted none", "Nothing here.")); return; }
    rows.forEach(function (r) {
      var li = el("li", "conv" + (r.id === current ? " active" : "") + (r.routed_to_me ? " routed" : ""));
      li.setAttribute("data-id", r.id);
      li.tabIndex = 0;
      var top = el("div", "conv-top");
      top.appendChild(el("strong", null, r.customer + (r.vip ? " ★" : "")));
      if (r.unread) { var u = el("span", "unread", String(r.unread)); u.setAttribute("aria-label", r.unread + " unread"); u.title = r.unread + " unread"; top.appendChild(u); }
      li.appendChild(top);
      var tags = el("div", "conv-tags");
      if (r.routed_to_me) tags.appendChild(el("span", "tag for-you", "For you"));
      if (r.tag) tags.appendChild(el("span", "tag", r.tag));
      if (r.case_number) tags.appendChild(el("span", "tag case", r.case_number));
      if (r.waited_seconds) tags.appendChild(el("span", "waited", waited(r.waited_seconds)));
      if (r.agent && r.agent_id !== me) tags.appendChild(el("span", "conv-agent", "→ " + r.agent));
      if (r.rating) tags.appendChild(el("span", "tag", "rated " + r.rating + "/5"));
      li.appendChild(tags);
      if (r.last) li.appendChild(el("div", "conv-last", r.last));
      if (r.reason) li.title = r.reason;
      li.addEventListener("click", function () { openConv(r.id); });
      li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") openConv(r.id); });
      ul.appendChild(li);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".view"), function (b) {
    b.addEventListener("click", function () { setView(b.getAttribute("data-view")); });
  });
  function setView(v) {
    view = v; prefs.view = v; savePrefs();
    Array.prototype.forEach.call(document.querySelectorAll(".view"), function (b) { b.setAttribute("aria-selected", String(b.getAttribute("data-view") === v)); });
    loadLists();
  }

  // A chat routed to me: marked in the list, announced on the page, by a sound and a desktop notification.
  function announceRouted(d) {
    var ids = d.routed_to_me || [];
    if (routedSeen === null) { routedSeen = {}; ids.forEach(function (i) { routedSeen[i] = true; }); return; }
    ids.forEach(function (id) {
      if (routedSeen[id]) return;
      routedSeen[id] = true;
      var item = (d.items || []).filter(function (r) { return r.id === id; })[0];
      var who = item ? item.customer + (item.tag ? " (" + item.tag + ")" : "") : "a customer";
      toast("New chat for you: " + who);
      flash();
      if (prefs.sound) beep();
      if (prefs.desktop && window.Notification && Notification.permission === "granted") {
        try { new Notification("New chat for you", { body: who, tag: "firstline-" + id }); } catch (e) { /* not allowed here */ }
      }
    });
  }
  function toast(text) {
    var t = $("toast"); t.textContent = text; t.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.hidden = true; }, 8000);
  }
  function beep() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      var ctx = beep.ctx || (beep.ctx = new Ctx()), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* audio blocked until the page is used */ }
  }
  $("alert-sound").checked = !!prefs.sound;
  $("alert-desktop").checked = !!prefs.desktop;
  $("alert-sound").addEventListener("change", function () { prefs.sound = this.checked; savePrefs(); if (this.checked) beep(); });
  $("alert-desktop").addEventListener("change", function () {
    var box = this;
    prefs.desktop = box.checked; savePrefs();
    if (box.checked && window.Notification && Notification.permission === "default") {
      Notification.requestPermission().then(function (p) { if (p !== "granted") { box.checked = false; prefs.desktop = false; savePrefs(); toast("Desktop notifications are blocked in this browser."); } });
    }
  });

  // Search: past and present conversations by customer, words, case number, reason and date.
  api("GET", "/api/console/tags").then(function (tags) {
    tags.forEach(function (t) { var o = el("option", null, t.tag); o.value = t.trigger; $("search-tag").appendChild(o); });
  });
  $("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var p = new URLSearchParams();
    [["q", "search-q"], ["tag", "search-tag"], ["status", "search-status"], ["since", "search-since"], ["until", "search-until"]].forEach(function (f) {
      var v = $(f[1]).value; if (v) p.set(f[0], v);
    });
    api("GET", "/api/console/search?" + p.toString()).then(function (d) {
      fill($("results"), d.results.map(function (r) {
        return { id: r.id, customer: r.customer, tag: r.tag, case_number: r.case_number, rating: r.rating,
                 agent: r.agent, last: r.status + " · " + fmtDate(r.started) };
      }));
    }).catch(function (e) { $("results").textContent = ""; $("results").appendChild(el("li", "error", e.message)); });
  });
  function fmtDate(iso) { try { return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }); } catch (e) { return iso; } }

  function openConv(id) {
    current = id;
    return api("GET", "/api/console/conversations/" + id).then(render).then(loadLists)
      .catch(function (e) { closeConv(e.message === "conversation not found" ? "That conversation is no longer visible to you." : e.message); });
  }
  function closeConv(why) {  // never a stale transcript with live buttons
    current = null; currentData = null;
    $("chat").hidden = true; $("packet").hidden = true; $("empty").hidden = false;
    $("empty").textContent = why || "Pick a conversation from the inbox.";
    loadLists();
  }

  function render(d) {
    currentData = d;
    $("empty").hidden = true; $("chat").hidden = false; $("packet").hidden = false;
    $("chat-customer").textContent = d.customer;
    $("chat-status").textContent = d.status + (d.agent ? " · " + d.agent : "");
    var mine = d.status === "open" && d.agent_id === me;
    $("accept").hidden = !(d.status === "queued" && (d.agent_id == null || d.agent_id === me));
    $("hand-back").hidden = !mine; $("resolve").hidden = !mine;
    $("reply-form").hidden = !mine; $("transfer-form").hidden = !mine;
    $("chat-error").textContent = "";
    $("chat-rating").hidden = !d.rating; $("chat-rating").textContent = d.rating ? "Rated " + d.rating + "/5" : "";
    var notice = { pending: "Back with the bot · read-only", resolved: "Resolved · read-only" }[d.status] ||
      (d.status === "open" && !mine ? "With " + (d.agent || "a colleague") + " · read-only" :
       d.status === "queued" && d.agent_id != null && d.agent_id !== me ? "Waiting for " + (d.agent || "a colleague") + " · read-only" : "");
    $("chat-notice").hidden = !notice; $("chat-notice").textContent = notice;
    if (mine) loadTargets();
    var ol = $("transcript"); ol.textContent = "";
    d.messages.forEach(function (m) {
      var li = el("li", "tmsg t-" + m.sender);
      li.setAttribute("data-sender", m.sender);
      var who = m.sender === "agent" || m.sender === "note" ? (m.agent_name || "Agent") : m.sender;
      li.appendChild(el("span", "twho", m.sender === "note" ? who + " (internal note)" : who));
      li.appendChild(el("div", "ttext", m.text));
      ol.appendChild(li);
    });
    ol.scrollTop = ol.scrollHeight;
    if (d.messages.length && d.messages[d.messages.length - 1].sender === "customer") $("typing").hidden = true;
    renderPacket(d.packet, d.reason);
  }

  function section(box, title) { box.appendChild(el("h3", null, title)); }
  function renderPacket(p, reason) {
    var box = $("packet"); box.textContent = "";
    box.appendChild(el("h2", null, "Handoff"));
    if (!p) { box.appendChild(el("p", "muted", reason || "No handoff packet.")); return; }
    var reasonText = (p.trigger && p.trigger.reason) || p.reason || reason;
    box.appendChild(el("p", "why", reasonText || ""));
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
    if (Date.now() - typingSent > 3000 && current && currentData && currentData.status === "open" && currentData.agent_id === me) { typingSent = Date.now(); api("POST", "/api/console/conversations/" + current + "/typing").catch(function () {}); }
  });
  $("note-btn").addEventListener("click", function () {
    var t = $("reply-text").value; if (!t.trim()) return;
    $("reply-text").value = ""; act("/note", { text: t });
  });
  function loadTargets() {  // who can take it now: a picker, not free text
    var sel = $("transfer-target"), id = current;
    api("GET", "/api/console/conversations/" + id + "/transfer-targets").then(function (d) {
      if (id !== current) return;
      var keep = sel.value;  // the page re-renders on every live event: keep the agent's pick
      sel.textContent = "";
      if (!d.agents.length) { var none = el("option", null, "Nobody else can take it now"); none.value = ""; sel.appendChild(none); return; }
      var first = el("option", null, "Transfer to…"); first.value = ""; sel.appendChild(first);
      var people = el("optgroup"); people.label = "People";
      d.agents.forEach(function (a) {
        var o = el("option", null, a.name + (a.team ? " · " + a.team : "") + " · " + a.load + "/" + a.capacity + " chats");
        o.value = "agent:" + a.username; people.appendChild(o);
      });
      sel.appendChild(people);
      if (d.teams.length) {
        var teams = el("optgroup"); teams.label = "Teams";
        d.teams.forEach(function (t) { var o = el("option", null, t + " (whoever is free)"); o.value = "team:" + t; teams.appendChild(o); });
        sel.appendChild(teams);
      }
      if (keep && sel.querySelector("option[value='" + keep.replace(/'/g, "") + "']")) sel.value = keep;
    });
  }
  $("transfer-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var v = $("transfer-target").value;
    if (!v) { $("chat-error").textContent = "Pick a colleague or a team."; return; }
    var body = { to_agent: v.indexOf("agent:") === 0 ? v.slice(6) : null, to_team: v.indexOf("team:") === 0 ? v.slice(5) : null, note: $("transfer-note").value };
    api("POST", "/api/console/conversations/" + current + "/transfer", body)
      .then(function () { $("transfer-note").value = ""; toast("Transferred."); return openConv(current); })
      .catch(function (e) { $("chat-error").textContent = e.message; });
  });
  $("my-status").addEventListener("change", function () { api("PUT", "/api/console/me/status", { status: this.value }); });
  api("GET", "/api/console/me").then(function (m) { $("my-status").value = m.status; });

  var ws = null, retry = 0;
  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/console/ws");
    ws.onopen = function () { retry = 0; loadLists(); };
    ws.onmessage = function (ev) {
      var e = JSON.parse(ev.data);
      if (e.event === "typing.started") { showTyping(e); return; }
      loadLists();
      if (current && e.conversation_id === current) openConv(current);
    };
    ws.onclose = function (ev) { if (ev.code === 4401) { location.href = "/login?next=/console"; return; } retry = Math.min(retry + 1, 6); setTimeout(connect, 400 * Math.pow(2, retry)); };
  }
  var typingTimer = null;
  function showTyping(e) {
    if (e.conversation_id !== current || e.data.sender !== "customer") return;
    $("typing").textContent = (e.data.name || "The customer") + " is typing…"; $("typing").hidden = false;
    clearTimeout(typingTimer); typingTimer = setTimeout(function () { $("typing").hidden = true; }, 4000);
  }
  function flash() { document.title = "● New chat for you · Firstline"; setTimeout(function () { document.title = "Console · Firstline"; }, 4000); }
  setInterval(function () { if (ws && ws.readyState === 1) ws.send("ping"); }, 25000);
  loadLists(); connect();
})();
