/* Console follow-ups (issue 10): my reminders and escalations, the "promise" control on a conversation,
 * and a link from the packet card to the customer page. console.js announces the open conversation with
 * a "firstline:conversation" event. All text is set with textContent. */
(function () {
  "use strict";
  var root = document.querySelector(".console");
  if (!root) return;
  var me = Number(root.getAttribute("data-agent-id"));
  var conv = null;

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  var api = window.FirstlineConsole.api;  // console.js: CSRF header, errors as messages

  // Alerts addressed to me, at the top of the lists column.
  var lists = root.querySelector(".lists");
  var heading = el("h2", null, "Follow-ups");
  var alerts = el("ul", "followup-alerts");
  alerts.id = "followup-alerts"; alerts.setAttribute("aria-label", "Follow-up alerts");
  lists.insertBefore(alerts, lists.firstChild); lists.insertBefore(heading, alerts);
  function loadAlerts() {
    return api("GET", "/api/console/followups").then(function (d) {
      alerts.textContent = "";
      heading.hidden = !d.alerts.length;
      d.alerts.forEach(function (a) {
        var li = el("li", "alert-" + a.kind);
        li.appendChild(el("div", null, a.text));
        var link = el("a", null, "Customer page"); link.href = "/console/customers/" + encodeURIComponent(a.customer_id) + "#case-" + encodeURIComponent(a.case_number);
        var b = el("button", "secondary", "Dismiss"); b.type = "button";
        b.addEventListener("click", function () { api("POST", "/api/console/followups/" + a.id + "/dismiss").then(loadAlerts); });
        li.append(link, " ", b);
        alerts.appendChild(li);
      });
    }).catch(function () {});
  }

  // The promise control: what, by when, how to reach the customer.
  var form = el("form", "promise-form"); form.id = "promise-form"; form.hidden = true;
  var what = el("input"); what.maxLength = 500; what.setAttribute("aria-label", "Promise: what"); what.placeholder = "I'll update you on… (the customer sees this)";
  var due = el("input"); due.type = "datetime-local"; due.step = 1; due.setAttribute("aria-label", "Promise: by when");
  var how = el("select"); how.setAttribute("aria-label", "Promise: reach the customer by");
  [["widget", "Chat widget (next visit)"], ["email", "Email"]].forEach(function (o) { var op = el("option", null, o[1]); op.value = o[0]; how.appendChild(op); });
  var kind = el("select"); kind.setAttribute("aria-label", "Promise: kind");
  [["agent", "Update by"], ["technician", "Technician slot"]].forEach(function (o) { var op = el("option", null, o[1]); op.value = o[0]; kind.appendChild(op); });
  var go = el("button", "secondary", "Promise"); go.type = "submit";
  var status = el("span", "muted"); status.id = "promise-status"; status.setAttribute("role", "status");
  form.append(kind, what, due, how, go, status);
  var chat = document.getElementById("chat");
  chat.appendChild(form);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!conv) return;
    status.textContent = "";
    api("POST", "/api/console/conversations/" + conv.id + "/promise", { what: what.value, due: due.value, contact: how.value, kind: kind.value })
      .then(function (d) { status.textContent = "Promised on case " + d.case_number + "."; what.value = ""; })
      .catch(function (e) { status.textContent = e.message; });
  });

  document.addEventListener("firstline:conversation", function (ev) {
    conv = ev.detail;
    form.hidden = !(conv.status === "open" && conv.agent_id === me);
    var packet = document.getElementById("packet");
    if (conv.customer_id && !document.getElementById("customer-link")) {
      var a = el("a", "customer-link", "Customer page →"); a.id = "customer-link";
      a.href = "/console/customers/" + encodeURIComponent(conv.customer_id);
      packet.insertBefore(a, packet.firstChild);
    }
  });

  var ws = null, retry = 0;
  function connect() {
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/api/console/ws");
    ws.onopen = function () { retry = 0; loadAlerts(); };
    ws.onmessage = function (ev) {
      var e = JSON.parse(ev.data);
      if (/^case\.|^followup\./.test(e.event)) loadAlerts();
    };
    ws.onclose = function (ev) { if (ev.code === 4401) return; retry = Math.min(retry + 1, 6); setTimeout(connect, 400 * Math.pow(2, retry)); };
  }
  setInterval(function () { if (ws && ws.readyState === 1) ws.send("ping"); }, 25000);
  loadAlerts(); connect();
})();
