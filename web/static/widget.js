/* Firstline chat widget: embed with one tag,
 *   <script src="https://desk.example/static/widget.js" async></script>
 * optional data-customer-id / data-customer-name / data-identity-hash for signed-in customers.
 * Every piece of message text is set with textContent, so HTML in messages stays inert. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var base = (script && script.getAttribute("data-firstline-url")) || new URL(script.src).origin;
  var customerId = script && script.getAttribute("data-customer-id");
  var identityHash = script && script.getAttribute("data-identity-hash");
  var customerName = script && script.getAttribute("data-customer-name");
  var storeKey = "firstline:conversation:" + (customerId || "visitor");
  var visitorKey = "firstline:visitor";  // a returning anonymous visitor stays the same visitor (issue 10)
  var state = load() || null;
  var seen = {};
  var lastId = 0;
  var ws = null, wsRetry = 0, typingTimer = null, typingSent = 0, ownerKind = "bot";

  function load() { try { return JSON.parse(localStorage.getItem(storeKey)); } catch (e) { return null; } }
  function save() { localStorage.setItem(storeKey, JSON.stringify(state)); }

  var host = document.createElement("div");
  host.id = "firstline-widget";
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });
  var css = document.createElement("link");
  css.rel = "stylesheet"; css.href = base + "/static/widget.css";
  root.appendChild(css);

  // The visible label is the accessible name (axe: label-content-name-mismatch).
  var launcher = el("button", "fl-launcher", "Chat with us");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "fl-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Chat with Tidewater Fibre");
  panel.hidden = true;
  var header = el("header", "fl-header");
  var title = el("div", "fl-title", "Tidewater assistant");
  var subtitle = el("div", "fl-subtitle", "Usually answers at once · a person is a message away");
  var config = null;  // /api/widget/config: greeting, colour, business hours, expected reply time
  var close = el("button", "fl-close", "×");
  close.setAttribute("aria-label", "Close chat");
  close.type = "button";
  header.append(title, subtitle, close);
  var list = el("ol", "fl-messages");
  list.setAttribute("aria-live", "polite");
  var typing = el("div", "fl-typing", "");
  typing.hidden = true;
  var form = el("form", "fl-form");
  var input = el("textarea", "fl-input");
  input.rows = 1; input.maxLength = 2000; input.placeholder = "Type your message…";
  input.setAttribute("aria-label", "Your message");
  var send = el("button", "fl-send", "Send");
  send.type = "submit";
  var error = el("div", "fl-error", "");
  error.setAttribute("role", "alert");
  form.append(input, send);
  var hours = el("div", "fl-hours", "");  // business hours and when a person would reply, before typing
  hours.hidden = true;
  panel.append(header, hours, list, typing, error, form);
  root.append(launcher, panel);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  launcher.addEventListener("click", function () { open(); });
  close.addEventListener("click", function () { shut(); });
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { ev.preventDefault(); shut(); } });

  function shut() {  // focus goes back to the launcher, never to the top of the page
    panel.hidden = true; launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  // Tell the person (never the bot) that the customer is typing; at most one signal per 2.5 s.
  input.addEventListener("input", function () {
    if (!state || !state.id || !input.value.trim() || (ownerKind !== "human" && ownerKind !== "queue")) return;
    if (Date.now() - typingSent < 2500) return;
    typingSent = Date.now();
    api("POST", "/api/conversations/" + state.id + "/typing").catch(function () {});
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    if (!text.trim()) { showError("Please type a message first."); return; }
    input.value = "";
    // One at a time, in order: a second message typed while the first is on its way waits for it
    // (and for the conversation the first one creates).
    outbox = outbox.then(function () { return sendText(text); });
  });

  // Issue 10: what a returning customer sees first about their cases, pinned above the messages.
  var pinned = el("div", "fl-notices"); pinned.setAttribute("aria-label", "About your cases");
  panel.insertBefore(pinned, list);
  var noticesAsked = false;
  function notices() {
    if (noticesAsked) return;
    var req = state && state.id ? api("POST", "/api/conversations/" + state.id + "/notices")
      : customerId ? api("POST", "/api/notices", { external_id: customerId, identity_hash: identityHash }) : null;
    if (!req) return; noticesAsked = true;
    req.then(function (d) { (d.notices || []).forEach(function (n) {
      var note = el("div", "fl-notice", n.text); note.setAttribute("role", "status"); pinned.appendChild(note); }); })
      .catch(function () { noticesAsked = false; });
  }

  function open() {
    panel.hidden = false; launcher.hidden = true; launcher.setAttribute("aria-expanded", "true"); input.focus();
    notices();
    if (state && state.id && !lastId) refresh();
    loadConfig().then(function () {
      if (!state && !list.querySelector("[data-greeting]")) {
        var g = render({ id: -1, sender: "bot", text: (config && config.greeting) || "Hi! How can we help?", meta: {} });
        g.setAttribute("data-greeting", "1");
      }
    });
  }

  function loadConfig() {
    if (config) return Promise.resolve(config);
    return api("GET", "/api/widget/config").then(function (c) {
      config = c;
      if (/^#[0-9a-fA-F]{6}$/.test(c.color || "")) host.style.setProperty("--fl-color", c.color);
      if (ownerKind === "bot") title.textContent = c.title || title.textContent;
      hours.textContent = "";
      hours.appendChild(el("div", "fl-hours-open", (c.open_now ? "Open now · " : "Closed now · ") + c.hours));
      hours.appendChild(el("div", "fl-hours-reply", c.reply));
      hours.hidden = ownerKind === "human";
      return c;
    }).catch(function () { config = {}; return config; });
  }

  function api(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state && state.token) headers["X-Conversation-Token"] = state.token;
    return fetch(base + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error(detail(data) || ("HTTP " + r.status)); e.status = r.status; throw e; }
          return data;
        });
      });
  }
  function detail(data) {
    var d = data && data.detail;
    if (!d) return "";
    if (typeof d === "string") return d;
    if (d.message) return d.message.charAt(0).toUpperCase() + d.message.slice(1) + ".";
    return "That message could not be sent.";
  }

  var outbox = Promise.resolve();
  function ensureConversation() {
    if (state && state.id) return Promise.resolve(state);
    var body = {};
    if (customerId) body.customer = { external_id: customerId, identity_hash: identityHash, name: customerName };
    else if (localStorage.getItem(visitorKey)) body.visitor_token = localStorage.getItem(visitorKey);
    return api("POST", "/api/conversations", body).then(function (data) {
      state = { id: data.conversation_id, token: data.token };
      if (data.visitor_token) localStorage.setItem(visitorKey, data.visitor_token);
      save(); connect();
      return state;
    }, function (err) {
      // A visitor token the server no longer accepts: start afresh as a new visitor.
      if (err.status === 403 && body.visitor_token) { localStorage.removeItem(visitorKey); return ensureConversation(); }
      throw err;
    });
  }

  function sendText(text, clientId) {
    clientId = clientId || (Date.now().toString(36) + Math.random().toString(36).slice(2));
    showError("");
    var pending = el("li", "fl-msg fl-customer fl-pending");
    pending.appendChild(el("div", "fl-bubble", text));
    list.appendChild(pending); scroll();
    return ensureConversation()
      .then(function () { return api("POST", "/api/conversations/" + state.id + "/messages", { text: text, client_id: clientId }); })
      .then(function (data) {
        pending.remove();
        setOwner(data.owner);
        data.messages.forEach(render);
        // While waiting for a person, each message says quietly where it went (one text acknowledgement per burst).
        var mine = data.messages[0], li = mine && list.querySelector("li[data-id='" + mine.id + "']");
        if (li && mine.sender === "customer" && data.owner && data.owner.receipt && !li.querySelector(".fl-receipt")) {
          li.appendChild(el("div", "fl-receipt", "✓ " + data.owner.receipt));
        }
      })
      .catch(function (err) {
        pending.remove();
        if (err.status === 404) { state = null; localStorage.removeItem(storeKey); }
        if (!err.status) {  // network: try once more with the same retry key, stored once server-side
          return new Promise(function (ok) { setTimeout(ok, 1500); }).then(function () { return sendText(text, clientId); });
        }
        input.value = text;
        showError(err.message);
      });
  }

  function refresh() {
    if (!state) return Promise.resolve();
    return api("GET", "/api/conversations/" + state.id + "?after=" + lastId).then(function (data) {
      data.messages.forEach(render);
      // lastId moves only here, where a re-read returned everything after it. A sent message's answer
      // or a live event can be newer than one this page has not had yet (an agent's reply through
      // another worker while live events were degraded): re-reading after those would skip it.
      data.messages.forEach(function (m) { lastId = Math.max(lastId, m.id); });
      setOwner(data.owner);
    }).catch(function (err) {
      if (err.status === 404) { state = null; localStorage.removeItem(storeKey); }
    });
  }

  function setOwner(owner) {
    if (!owner) return;
    ownerKind = owner.kind;
    hours.hidden = owner.kind === "human" || !config || !config.hours;
    if (owner.kind === "queue" && owner.waiting_title) {  // the same words as the acknowledgements
      title.textContent = owner.waiting_title; subtitle.textContent = owner.promise;
      if (owner.queue_position) subtitle.textContent = queueText(owner) || owner.promise;
    }
    else if (owner.kind === "human") { title.textContent = owner.name || "Our team"; subtitle.textContent = (owner.team || "Tidewater Fibre") + " · a person is with you"; }
    else if (owner.kind === "queue") {
      title.textContent = owner.name ? owner.name + " will join you" : "Connecting you to a person";
      subtitle.textContent = queueText(owner) || "The assistant has passed on your conversation";
    }
    else if (owner.kind === "bot") { title.textContent = (config && config.title) || "Tidewater assistant"; subtitle.textContent = "Usually answers at once · a person is a message away"; }
    else { subtitle.textContent = "This conversation is closed; write to start again"; }
  }

  function queueText(owner) {  // updated live: the server pushes conversation.updated as the queue moves
    if (!owner.queue_position) return "";
    if (!owner.expected_wait_seconds) return "You're next · joining in a moment";
    var mins = Math.max(1, Math.round(owner.expected_wait_seconds / 60));
    return "You're number " + owner.queue_position + " in the queue · about " + mins + (mins === 1 ? " minute" : " minutes");
  }

  function render(m) {
    if (m.id > 0) { if (seen[m.id]) return null; seen[m.id] = true; }
    var li = el("li", "fl-msg fl-" + m.sender);
    li.setAttribute("data-sender", m.sender);
    if (m.id > 0) li.setAttribute("data-id", String(m.id));
    if (m.sender === "agent") li.appendChild(el("div", "fl-name", m.agent_name || "Agent"));
    var bubble = el("div", "fl-bubble", m.text);
    li.appendChild(bubble);
    var meta = m.meta || {};
    if (meta.url && meta.title && /^\/[^\/]/.test(meta.url)) {
      var a = el("a", "fl-link", "Read: " + meta.title);
      a.href = base + meta.url; a.target = "_blank"; a.rel = "noopener";
      li.appendChild(a);
    }
    if (meta.feedback) li.appendChild(feedback(m));
    if (meta.options && meta.options.length) li.appendChild(options(meta.options));
    if (meta.kind === "rating_request") li.appendChild(rating());
    // In id order: a re-read can bring a message older than one already shown (see refresh).
    var later = m.id > 0 ? Array.prototype.filter.call(list.querySelectorAll("li[data-id]"), function (x) {
      return Number(x.getAttribute("data-id")) > m.id; })[0] : null;
    if (later) list.insertBefore(li, later); else list.appendChild(li);
    typing.hidden = true;
    scroll();
    return li;
  }

  function feedback(m) {
    var box = el("div", "fl-feedback", "Did this help? ");
    ["Yes", "No"].forEach(function (label) {
      var b = el("button", "fl-chip", label);
      b.type = "button";
      b.addEventListener("click", function () {
        box.textContent = "Thanks for letting us know.";
        api("POST", "/api/conversations/" + state.id + "/feedback", { message_id: m.id, helpful: label === "Yes" })
          .then(function (data) { (data.messages || []).forEach(render); if (data.owner) setOwner(data.owner); })
          .catch(function (e) { showError(e.message); });
      });
      box.appendChild(b);
    });
    return box;
  }

  function options(opts) {
    var box = el("div", "fl-options");
    opts.forEach(function (o) {
      var b = el("button", "fl-chip", o);
      b.type = "button";
      b.addEventListener("click", function () { box.remove(); sendText(o); });
      box.appendChild(b);
    });
    return box;
  }

  function rating() {
    var box = el("div", "fl-rating", "How did we do? ");
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "fl-chip", String(n));
      b.type = "button";
      b.addEventListener("click", function () {
        box.textContent = "Thanks!";
        api("POST", "/api/conversations/" + state.id + "/rating", { rating: n }).catch(function (e) { showError(e.message); });
      });
      box.appendChild(b);
    });
    return box;
  }

  function showError(text) { error.textContent = text; error.hidden = !text; }
  function scroll() { list.scrollTop = list.scrollHeight; }

  function connect() {
    if (!state || !state.id || ws) return;
    var url = base.replace(/^http/, "ws") + "/api/conversations/" + state.id + "/ws?token=" + encodeURIComponent(state.token);
    ws = new WebSocket(url);
    ws.onopen = function () { wsRetry = 0; polling(false); refresh(); };
    ws.onmessage = function (ev) {
      var e = JSON.parse(ev.data);
      if (e.event === "message.created") { render(e.data); }
      else if (e.event === "live.degraded") { polling(true); }
      else if (e.event === "live.restored") { polling(false); refresh(); }
      else if (e.event === "typing.started" && e.data.sender !== "customer") {
        typing.textContent = (e.data.name || "Someone") + " is typing…"; typing.hidden = false;
        clearTimeout(typingTimer); typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
      } else { refresh(); }
    };
    ws.onclose = function (ev) {
      ws = null;
      if (ev.code === 4404) { polling(false); return; }
      polling(true);  // no live events until the socket is back: re-read what arrived meanwhile
      wsRetry = Math.min(wsRetry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, wsRetry));
    };
  }
  // While the socket is down, or the server says live events are degraded (production mode with
  // Redis gone), the widget re-reads the conversation after the last message id it has.
  var pollTimer = null;
  function polling(on) {
    if (on && !pollTimer) { pollTimer = setInterval(refresh, 3000); }
    else if (!on && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }
  // One keep-alive timer for the page, however often the socket reconnects.
  setInterval(function () { if (ws && ws.readyState === 1) ws.send("ping"); }, 25000);

  showError("");
  if (state && state.id) { connect(); }
  window.Firstline = { open: open, close: shut };
})();
