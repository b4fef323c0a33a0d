/* Agent console: live queue over a WebSocket, transcript, packet card, actions. All customer and
 * agent text is inserted with textContent: HTML in messages stays inert. */
(function () {
  "use strict";
  var root = document.querySelector(".console");
  var me = Number(root.getAttribute("data-agent-id"));
  var current = null, currentData = null, typingSent = 0;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";  // sent on every call
  var prefsKey = "firstline:console:" + me;  // per agent, in this browser
  var prefs = loadPrefs();
  var view = prefs.view || "mine", routedSeen = null;

  function loadPrefs() { try { return JSON.parse(localStorage.getItem(prefsKey)) || {}; } catch (e) { return {}; } }
  function savePrefs() { try { localStorage.setItem(prefsKey, JSON.stringify(prefs)); } catch (e) { /* private mode */ } }

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function api(method, path, body) {
    return fetch(path, { method: method, headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, credentials: "same-origin",
                         body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        if (r.status === 204) return {};
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) {
            var msg = d.detail;
            if (msg && msg.message) msg = msg.message;
            if (Array.isArray(msg)) msg = msg.map(function (x) { return x.msg; }).join("; ");  // FastAPI's field errors
            throw new Error(msg || ("HTTP " + r.status));
          }
          return d;
        });
      });
  }

  window.FirstlineConsole = { api: api };  // followups.js calls the API the same way

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
      if (r.channel === "public") top.appendChild(el("span", "badge-public", "Public · " + r.priority));
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
      // A public post's urgency and reach ("10,000 followers, very negative, …") is why it tops the list: show it.
      if (r.channel === "public" && r.reason) li.appendChild(el("div", "conv-reason", r.reason));
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
    if (mine) { loadTargets(); loadSuggestions(d); if (canned.length === 0 || loadCanned.for !== d.id) { loadCanned.for = d.id; loadCanned(); } }
    else { $("suggestions").hidden = true; }
    var ol = $("transcript"); ol.textContent = "";
    d.messages.forEach(function (m) {
      var li = el("li", "tmsg t-" + m.sender);
      li.setAttribute("data-sender", m.sender);
      var who = m.sender === "agent" || m.sender === "note" ? (m.agent_name || "Agent") : m.sender;
      li.appendChild(el("span", "twho", m.sender === "note" ? who + " (internal note)" : who));
      if (m.created_at) { var t = el("time", "tmeta", fmt(m.created_at)); t.setAttribute("datetime", m.created_at); li.appendChild(t); }
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

  // Times in the agent's own zone (from /api/console/me), in plain words.
  var agentTz = null;
  function fmt(iso, withDay) {
    if (!iso) return "";
    var d = new Date(iso); if (isNaN(d)) return String(iso);
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (agentTz) opts.timeZone = agentTz;
    var day = new Intl.DateTimeFormat([], Object.assign({}, opts, { hour: undefined, minute: undefined, weekday: "short", day: "numeric", month: "short" })).format(d);
    var today = new Intl.DateTimeFormat([], Object.assign({}, opts, { hour: undefined, minute: undefined, weekday: "short", day: "numeric", month: "short" })).format(new Date());
    var time = new Intl.DateTimeFormat([], opts).format(d);
    return (withDay || day !== today) ? day + ", " + time : time;
  }
  function fmtDay(day) {  // "2026-11-18" -> "18 Nov 2026" (a calendar day, no zone to convert)
    var m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(day || "");
    if (!m) return day || "";
    return new Intl.DateTimeFormat([], { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])));
  }
  var INTENTS = {
    outage: "no service / outage", slow_internet: "slow or dropping internet", tv_problem: "TV problem",
    billing_question: "bill question", payment_arrangement: "more time to pay", change_plan: "change plan",
    cancel_service: "wants to cancel", technician_appointment: "engineer visit", case_status: "chasing a case",
    password_reset: "can't sign in", moving_house: "moving home", complaint: "complaint", request_human: "asked for a person",
    greet: "greeting", goodbye: "goodbye", thanks: "thanks", affirm: "yes", deny: "no", bot_challenge: "asked if it's a bot",
    nlu_fallback: "not understood", out_of_scope: "outside what the bot covers"
  };
  function intentWords(x) {
    var name = INTENTS[x.intent] || String(x.intent || "unknown").replace(/_/g, " ");
    var c = x.confidence || 0, sure = c >= 0.8 ? "sure" : c >= 0.5 ? "fairly sure" : "unsure";
    return "Message " + (x.turn || "") + ": " + name + " (bot " + sure + ", " + Math.round(c * 100) + "%)";
  }

  function section(box, title) { box.appendChild(el("h3", null, title)); }
  function renderPacket(p, reason) {
    var d = currentData || {};
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
    if (d.written_while_waiting && d.written_while_waiting.length) {
      section(box, "Written while waiting");
      var ww = el("ul", "waiting-msgs");
      d.written_while_waiting.forEach(function (m) { var li = el("li"); li.appendChild(el("span", "tmeta", fmt(m.created_at))); li.appendChild(document.createTextNode(" " + m.text)); ww.appendChild(li); });
      box.appendChild(ww);
    }
    var c = p.customer || {};
    section(box, "Customer");
    var who = el("p", "who-line");
    who.appendChild(el("strong", null, c.name || "Visitor (not signed in)"));
    if (c.vip) who.appendChild(el("span", "tag for-you", "VIP"));
    if (c.segment) who.appendChild(el("span", "tag", c.segment.charAt(0).toUpperCase() + c.segment.slice(1) + " customer"));
    box.appendChild(who);
    var dl = el("dl");
    [["Identity", c.verified], ["Plan", c.plan], ["Account", c.account_number], ["Email", c.email], ["Phone", c.phone], ["Their id", c.customer_id]].forEach(function (r) {
      if (r[1] == null || r[1] === "") return;
      dl.appendChild(el("dt", null, r[0])); dl.appendChild(el("dd", null, String(r[1])));
    });
    if (dl.childNodes.length) box.appendChild(dl);
    else box.appendChild(el("p", "muted", "Not signed in: we know only what they said in this chat."));
    if (d.customer_page) {
      var a = el("a", "customer-link", "Open the customer page"); a.href = d.customer_page; box.appendChild(a);
    }
    list(box, "Also known as", c.identities, function (x) { return String(x).replace(/^account_number:/, "account:"); });
    if (p.case) { section(box, "Case opened"); box.appendChild(el("p", null, p.case.number + " · we promised to reply by " + fmt(p.case.promised_by, true))); }
    list(box, "Open cases", p.open_cases, function (x) { return (x.number || "") + " " + (x.title || "") + (x.promised_by ? " · promised by " + fmt(x.promised_by, true) : ""); });
    list(box, "Earlier conversations", p.earlier_conversations || p.history, function (x) { return fmtDay(x.started) + (x.agent ? " with " + x.agent : "") + " · " + (x.summary || x.status || ""); });
    if (p.sentiment_curve && p.sentiment_curve.length) { section(box, "Mood"); box.appendChild(moodChart(p.sentiment_curve)); }
    list(box, "What the bot understood", p.intents, intentWords);
    list(box, "Details they gave", p.entities, function (x) { return String(x.entity || x.name).replace(/_/g, " ") + ": " + x.value; });
    list(box, "Articles shown", p.articles, function (x) { return (x.title || x.article_id) + (x.helpful === true ? " · helped" : x.helpful === false ? " · did not help" : " · not rated"); });
  }
  // A small line chart of the customer's mood per message, with its scale (+1 happy, 0 neutral, -1 upset).
  function moodChart(values) {
    var NS = "http://www.w3.org/2000/svg", W = 260, H = 96, L = 46, R = 8, T = 8, B = 18;
    function node(tag, attrs, text) { var n = document.createElementNS(NS, tag); Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); }); if (text != null) n.textContent = text; return n; }
    var svg = node("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", class: "mood" });
    var vals = values.map(function (s) { return typeof s === "number" ? s : (s && s.compound) || 0; });
    var last = vals[vals.length - 1];
    svg.appendChild(node("title", {}, "Mood per customer message, from -1 (upset) to +1 (happy); latest " + last.toFixed(2)));
    function y(v) { return T + (1 - (v + 1) / 2) * (H - T - B); }
    function x(i) { return vals.length === 1 ? L + (W - L - R) / 2 : L + i * (W - L - R) / (vals.length - 1); }
    [[1, "+1 happy"], [0, "0"], [-1, "−1 upset"]].forEach(function (t) {
      svg.appendChild(node("line", { x1: L, x2: W - R, y1: y(t[0]), y2: y(t[0]), stroke: t[0] === 0 ? "#8a94a3" : "#e2e6ea", "stroke-dasharray": t[0] === 0 ? "3 3" : "" }));
      svg.appendChild(node("text", { x: L - 4, y: y(t[0]) + 4, "text-anchor": "end", "font-size": 10, fill: "#4a5361" }, t[1]));
    });
    svg.appendChild(node("polyline", { points: vals.map(function (v, i) { return x(i) + "," + y(v); }).join(" "), fill: "none", stroke: "#0b5cad", "stroke-width": 2 }));
    vals.forEach(function (v, i) {
      svg.appendChild(node("circle", { cx: x(i), cy: y(v), r: 3.5, fill: v <= -0.3 ? "#b3261e" : v < 0.05 ? "#8a94a3" : "#2d7a46" }));
    });
    svg.appendChild(node("text", { x: L, y: H - 4, "font-size": 10, fill: "#4a5361" }, "message 1"));
    svg.appendChild(node("text", { x: W - R, y: H - 4, "font-size": 10, fill: "#4a5361", "text-anchor": "end" }, "message " + vals.length));
    return svg;
  }
  function list(box, title, items, fmtItem) {
    if (!items || !items.length) return;
    section(box, title);
    var ul = el("ul");
    items.forEach(function (x) { ul.appendChild(el("li", null, fmtItem(x))); });
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
    var body = { text: t };
    if (inserted.suggestion) body.suggestion_id = inserted.suggestion;
    if (inserted.canned) body.canned_id = inserted.canned;
    inserted = {};
    $("reply-text").value = ""; act("/reply", body);
  });
  $("reply-text").addEventListener("keydown", function (ev) {
    if (!$("canned-menu").hidden && menuKey(ev)) return;
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("reply-form").requestSubmit(); return; }
    if (Date.now() - typingSent > 3000 && current && currentData && currentData.status === "open" && currentData.agent_id === me) { typingSent = Date.now(); api("POST", "/api/console/conversations/" + current + "/typing").catch(function () {}); }
  });
  // Agent assist: canned replies behind "/", suggestions from the knowledge base (issue 14).
  var inserted = {}, canned = [], menuIndex = 0, suggestedFor = null;
  function loadCanned() {
    return api("GET", "/api/console/canned" + (current ? "?conversation_id=" + encodeURIComponent(current) : "")).then(function (rows) {
      canned = rows; renderCannedList();
    }).catch(function () { canned = []; });
  }
  function matches() {
    var v = $("reply-text").value;
    if (v.charAt(0) !== "/") return [];
    var q = v.slice(1).toLowerCase();
    return canned.filter(function (c) { return c.shortcut.indexOf(q) === 0 || c.body.toLowerCase().indexOf(q) >= 0; }).slice(0, 8);
  }
  function showMenu() {
    var menu = $("canned-menu"), found = matches();
    menu.textContent = "";
    if (!found.length) { menu.hidden = true; return; }
    menuIndex = Math.min(menuIndex, found.length - 1);
    found.forEach(function (c, i) {
      var li = el("li", "canned-item" + (i === menuIndex ? " active" : ""));
      li.setAttribute("role", "option"); li.setAttribute("aria-selected", String(i === menuIndex));
      li.appendChild(el("strong", null, "/" + c.shortcut)); li.appendChild(el("span", "muted", " " + c.text.slice(0, 80)));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pickCanned(c); });
      menu.appendChild(li);
    });
    menu.hidden = false;
  }
  function menuKey(ev) {
    var found = matches();
    if (ev.key === "ArrowDown") { menuIndex = (menuIndex + 1) % found.length; showMenu(); ev.preventDefault(); return true; }
    if (ev.key === "ArrowUp") { menuIndex = (menuIndex + found.length - 1) % found.length; showMenu(); ev.preventDefault(); return true; }
    if (ev.key === "Enter" || ev.key === "Tab") { if (found[menuIndex]) { pickCanned(found[menuIndex]); ev.preventDefault(); return true; } }
    if (ev.key === "Escape") { $("canned-menu").hidden = true; ev.preventDefault(); return true; }
    return false;
  }
  function pickCanned(c) {
    $("reply-text").value = c.text; inserted = { canned: c.id };
    $("canned-menu").hidden = true; $("reply-text").focus();
  }
  $("reply-text").addEventListener("input", function () { menuIndex = 0; showMenu(); });
  $("reply-text").addEventListener("blur", function () { setTimeout(function () { $("canned-menu").hidden = true; }, 150); });

  function loadSuggestions(d) {
    var lastCustomer = d.messages.filter(function (m) { return m.sender === "customer"; }).pop();
    var key = d.id + ":" + (lastCustomer ? lastCustomer.id : 0);
    if (key === suggestedFor) return;
    suggestedFor = key;
    var box = $("suggestions");
    api("GET", "/api/console/conversations/" + d.id + "/suggestions").then(function (r) {
      if (d.id !== current) return;
      box.textContent = "";
      if (!r.suggestions.length) { box.hidden = true; return; }
      box.appendChild(el("h3", null, "Suggested from the knowledge base"));
      r.suggestions.forEach(function (sg) {
        var card = el("div", "suggestion");
        var a = el("a", null, sg.title); a.href = sg.url; a.target = "_blank"; a.rel = "noopener";
        card.appendChild(a);
        card.appendChild(el("p", "passage", sg.passage));
        var b = el("button", "secondary", "Insert"); b.type = "button";
        b.setAttribute("aria-label", "Insert: " + sg.title);
        b.addEventListener("click", function () { $("reply-text").value = sg.passage + "\n\nMore in: " + location.origin + sg.url; inserted = { suggestion: sg.id }; $("reply-text").focus(); });
        card.appendChild(b);
        box.appendChild(card);
      });
      box.hidden = false;
    }).catch(function () { box.hidden = true; });
  }

  function renderCannedList() {
    var ul = $("canned-list"); ul.textContent = "";
    canned.forEach(function (c) {
      var li = el("li");
      li.appendChild(el("strong", null, "/" + c.shortcut)); li.appendChild(el("span", "tag", c.scope === "team" ? "team " + (c.team || "") : "mine"));
      li.appendChild(el("div", "small", c.body));
      if (c.editable) {
        var edit = el("button", "secondary small-btn", "Edit"); edit.type = "button";
        edit.setAttribute("aria-label", "Edit /" + c.shortcut);
        edit.addEventListener("click", function () { $("canned-id").value = c.id; $("canned-shortcut").value = c.shortcut; $("canned-body").value = c.body; if ($("canned-team")) $("canned-team").value = c.team || ""; });
        var del = el("button", "danger small-btn", "Delete"); del.type = "button";
        del.setAttribute("aria-label", "Delete /" + c.shortcut);
        del.addEventListener("click", function () { if (confirm("Delete /" + c.shortcut + "?")) api("DELETE", "/api/console/canned/" + c.id).then(loadCanned); });
        li.appendChild(edit); li.appendChild(del);
      }
      ul.appendChild(li);
    });
  }
  $("canned-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var id = $("canned-id").value, body = { shortcut: $("canned-shortcut").value, body: $("canned-body").value };
    if ($("canned-team") && $("canned-team").value.trim()) body.team = $("canned-team").value.trim();
    api(id ? "PUT" : "POST", "/api/console/canned" + (id ? "/" + id : ""), body).then(function () {
      $("canned-form").reset(); $("canned-id").value = ""; $("canned-error").textContent = ""; return loadCanned();
    }).catch(function (e) { $("canned-error").textContent = e.message; });
  });
  $("canned-form").addEventListener("reset", function () { $("canned-id").value = ""; });
  loadCanned();

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
  api("GET", "/api/console/me").then(function (m) {
    $("my-status").value = m.status;
    try { new Intl.DateTimeFormat([], { timeZone: m.timezone }); agentTz = m.timezone; } catch (e) { agentTz = null; }
    if (currentData) render(currentData);
  });

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
  function flash() { document.title = "● New chat for you · Firstline"; setTimeout(function () { document.title = "Console · Firstline"; }, 4000); }
  setInterval(function () { if (ws && ws.readyState === 1) ws.send("ping"); }, 25000);
  loadLists(); connect();
})();
