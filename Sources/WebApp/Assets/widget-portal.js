/*! OpsIQ ticket portal. Loaded by the widget (widget.php / widget.js) only with data-mode="tickets".
 * No dependencies, no cookies; every piece of ticket data reaches the page through textContent.
 *
 * SNIPPET (the widget's attributes; see widget.js)
 *   <script src="https://HOST/widget.php" data-site-key="site_..." data-mode="tickets" async></script>
 *   data-identity-token="..."  authenticated flavour: the customer sees every ticket of the token's email
 *   data-flavor="inline"       render into data-target (a CSS selector; default #opsiq-tickets)
 *   data-flavor="floating"     a floating button that opens the portal in a panel (the default when no
 *                              inline container is found)
 * Without an identity token (anonymous) the customer gives an email when opening a ticket and gets a
 * per-ticket access key, kept in localStorage "opsiq_portal_<site_key>" and offered as a link
 * (#opsiq-ticket=T-12~key) to come back from another browser.
 * API: POST HOST/portal/v1/<site_key>/<op> (list, get, create, reply, resolve, reopen, attachment),
 * body JSON as text/plain. Drafts autosave to localStorage "opsiq_draft_<site_key>_<ticket|new>".
 * The open thread (or the list) is polled every 12 s while the page is visible.
 */
(function (w, d) {
  "use strict";
  var cfg = w.OpsIQPortal;
  if (!cfg || !cfg.siteKey || cfg.started) return;
  cfg.started = true;
  var POLL = cfg.poll || 12000;
  var site = cfg.siteKey, token = cfg.token || "";
  var api = cfg.base + "/portal/v1/" + encodeURIComponent(site) + "/";
  var KEYS = "opsiq_portal_" + site;
  var LS = null;
  try { LS = w.localStorage; LS.getItem(KEYS); } catch (e) { LS = null; }
  function lsGet(k) { try { return LS ? LS.getItem(k) : null; } catch (e) { return null; } }
  function lsSet(k, v) { try { if (LS) { if (v === null) LS.removeItem(k); else LS.setItem(k, v); } } catch (e) { /* quota */ } }

  // ---- anonymous access keys ----
  function keys() {
    try { var a = JSON.parse(lsGet(KEYS)); return Array.isArray(a) ? a : []; } catch (e) { return []; }
  }
  function addKey(id, key) {
    var a = keys().filter(function (x) { return x.ticket_id !== id; });
    a.unshift({ ticket_id: id, key: key });
    lsSet(KEYS, JSON.stringify(a.slice(0, 50)));
  }
  function keyOf(id) {
    var k = keys().filter(function (x) { return x.ticket_id === id; })[0];
    return k ? k.key : "";
  }
  function link(id, key) { return location.href.split("#")[0] + "#opsiq-ticket=" + id + "~" + key; }

  // ---- API ----
  function call(op, body, raw) {
    body = body || {};
    if (token) body.identity_token = token;
    if (body.ticket_id && !token) body.key = keyOf(body.ticket_id);
    return fetch(api + op, {
      method: "POST", mode: "cors", credentials: "omit", body: JSON.stringify(body),
      headers: { "Content-Type": "text/plain;charset=UTF-8" }
    }).then(function (r) {
      if (raw && r.ok) return r.blob().then(function (b) { return { ok: true, blob: b }; });
      return r.json().then(function (j) { return { ok: r.ok, status: r.status, data: j }; },
        function () { return { ok: false, status: r.status, data: {} }; });
    }, function () { return { ok: false, status: 0, data: { error: { message: "Network error: please try again." } } }; });
  }
  function errText(res) {
    var e = res.data && res.data.error;
    return e && e.message ? e.message : "Something went wrong (HTTP " + res.status + ").";
  }
  function readFiles(input) {
    var list = input && input.files ? Array.prototype.slice.call(input.files) : [];
    return Promise.all(list.map(function (f) {
      return new Promise(function (ok, fail) {
        var r = new FileReader();
        r.onload = function () { var s = String(r.result); ok({ name: f.name, content_base64: s.slice(s.indexOf(",") + 1) }); };
        r.onerror = function () { fail(r.error); };
        r.readAsDataURL(f);
      });
    }));
  }

  // ---- DOM helpers (textContent only) ----
  function el(tag, attrs, kids) {
    var e = d.createElement(tag), k;
    for (k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "on") { for (var ev in attrs.on) e.addEventListener(ev, attrs.on[ev]); }
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  var LABEL = { open: "Open", pending: "Pending", waiting_on_customer: "Waiting on you", resolved: "Resolved", closed: "Closed" };
  function when(iso) { try { return new Date(iso).toLocaleString(); } catch (e) { return iso; } }

  var css = ".oq-portal{font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#fff;box-sizing:border-box;width:100%}" +
    ".oq-portal *{box-sizing:border-box}.oq-head{display:flex;justify-content:space-between;align-items:center;margin-bottom:8px}" +
    ".oq-head h2{font-size:18px;margin:0}.oq-logo{max-height:32px;max-width:140px;margin-right:8px;vertical-align:middle}.oq-portal button{background:var(--oq-accent,#3558e6);color:#fff;border:0;border-radius:6px;padding:6px 12px;cursor:pointer}" +
    ".oq-portal button.oq-plain{background:#eef1f8;color:#1d2330}.oq-portal input,.oq-portal textarea,.oq-portal select{font:inherit;padding:6px;border:1px solid #c9cfdc;border-radius:6px;width:100%;margin:3px 0}" +
    ".oq-tools{display:flex;gap:6px}.oq-tools input{flex:2}.oq-tools select{flex:1}.oq-list{list-style:none;padding:0;margin:8px 0}" +
    ".oq-row{border:1px solid #e1e5ee;border-radius:6px;padding:8px;margin:4px 0;cursor:pointer}.oq-row-awaiting{border-color:#e6a935;background:#fff8e8}" +
    ".oq-badge{display:inline-block;background:#e6a935;color:#fff;border-radius:9px;padding:0 8px;font-size:12px;margin-left:6px}" +
    ".oq-meta{color:#66708a;font-size:12px}.oq-msg{border-left:3px solid #c9cfdc;padding:6px 10px;margin:8px 0}" +
    ".oq-from-agent,.oq-from-ai{border-color:var(--oq-accent,#3558e6);background:#f4f6fd}.oq-body{white-space:pre-wrap;word-wrap:break-word}" +
    ".oq-error{color:#b3261e;min-height:1em}.oq-note{background:#eef8ee;border:1px solid #9ccc9c;padding:8px;border-radius:6px;word-break:break-all}" +
    ".oq-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border-radius:24px!important;padding:12px 18px!important}" +
    ".oq-panel{position:fixed;right:20px;bottom:76px;width:380px;max-width:calc(100vw - 40px);height:560px;max-height:calc(100vh - 100px);overflow:auto;" +
    "z-index:2147483000;box-shadow:0 8px 30px rgba(0,0,0,.2);border-radius:10px;padding:12px;background:#fff}";
  d.head.appendChild(el("style", { text: css }));

  // ---- mount: inline into a container, or floating ----
  var root = el("div", { "class": "oq-portal", "data-oq": "portal" });
  var host = null;
  if (cfg.flavor !== "floating") { try { host = d.querySelector(cfg.target || "#opsiq-tickets"); } catch (e) { host = null; } }
  var panel = null, launcherButton = null;
  if (host) host.appendChild(root);
  else {
    panel = el("div", { "class": "oq-panel", "data-oq": "panel", style: "display:none" }, [root]);
    var launcher = launcherButton = el("button", { "class": "oq-launcher", "data-oq": "launcher", text: "Support tickets", on: { click: function () {
      panel.style.display = panel.style.display === "none" ? "block" : "none";
      if (panel.style.display === "block") refresh();
    } } });
    d.body.appendChild(panel);
    d.body.appendChild(launcher);
  }
  function shown() { return d.visibilityState !== "hidden" && (!panel || panel.style.display !== "none"); }

  var view = el("div", { "data-oq": "view" });
  var title = el("h2", { "data-oq": "title", text: "Support tickets" });
  root.appendChild(el("div", { "class": "oq-head" }, [
    title,
    el("button", { "data-oq": "new", text: "New ticket", on: { click: function () { showNew(); } } })
  ]));
  root.appendChild(view);

  // ---- branding (Settings > Branding): title as text, a #rrggbb accent, an https logo; checked again here ----
  call("branding").then(function (res) {
    if (!res.ok || !res.data) return;
    var b = res.data;
    if (typeof b.title === "string" && b.title) title.textContent = b.title;
    if (typeof b.color === "string" && /^#[0-9a-fA-F]{6}$/.test(b.color)) root.style.setProperty("--oq-accent", b.color);
    if (typeof b.logo_url === "string" && /^https:\/\/[^\s"'<>()\\]+$/.test(b.logo_url)) {
      title.insertBefore(el("img", { "class": "oq-logo", "data-oq": "logo", src: b.logo_url, alt: "", referrerpolicy: "no-referrer" }), title.firstChild);
    }
    if (launcherButton && typeof b.title === "string" && b.title) launcherButton.textContent = b.title;
    if (launcherButton && root.style.getPropertyValue("--oq-accent")) launcherButton.style.background = b.color;
  });

  var state = { view: "list", ticket: null, sig: "" };

  // ---- list ----
  var search = el("input", { type: "search", placeholder: "Search tickets", "data-oq": "search" });
  var status = el("select", { "data-oq": "status" });
  [["", "All tickets"], ["awaiting", "Awaiting you"], ["open", "Open"], ["pending", "Pending"], ["waiting_on_customer", "Waiting on you"],
    ["resolved", "Resolved"], ["closed", "Closed"]].forEach(function (o) { status.appendChild(el("option", { value: o[0], text: o[1] })); });
  var listEl = el("ul", { "class": "oq-list", "data-oq": "list" });
  var listMsg = el("p", { "class": "oq-meta", "data-oq": "list-message" });
  var sTimer = 0;
  search.addEventListener("input", function () { clearTimeout(sTimer); sTimer = setTimeout(loadList, 300); });
  status.addEventListener("change", loadList);

  function showList() {
    state.view = "list"; state.ticket = null; state.sig = "";
    clear(view);
    view.appendChild(el("div", { "class": "oq-tools" }, [search, status]));
    view.appendChild(listMsg);
    view.appendChild(listEl);
    loadList();
  }
  function loadList() {
    var body = { search: search.value, status: status.value };
    if (!token) body.tickets = keys();
    return call("list", body).then(function (res) {
      if (state.view !== "list") return;
      if (!res.ok) { listMsg.textContent = errText(res); return; }
      var items = res.data.tickets || [], sig = JSON.stringify(items);
      if (sig === state.sig) return;
      state.sig = sig;
      clear(listEl);
      listMsg.textContent = items.length ? "" : (token || keys().length ? "No tickets match." : "You have no tickets yet. Open one with New ticket.");
      items.forEach(function (t) {
        listEl.appendChild(el("li", { "class": "oq-row" + (t.awaiting_you ? " oq-row-awaiting" : ""), "data-ticket": t.id, on: { click: function () { showTicket(t.id); } } }, [
          el("div", {}, [el("strong", { "class": "oq-subject", text: t.subject }), t.awaiting_you ? el("span", { "class": "oq-badge oq-awaiting", text: "Awaiting you" }) : null]),
          el("div", { "class": "oq-meta", text: t.id + " · " + (LABEL[t.status] || t.status) + " · updated " + when(t.updated_at) })
        ]));
      });
    });
  }

  // ---- thread ----
  function draftKey(id) { return "opsiq_draft_" + site + "_" + id; }
  function download(id, a) {
    call("attachment", { ticket_id: id, attachment_id: a.id }, true).then(function (res) {
      if (!res.ok) return;
      var u = URL.createObjectURL(res.blob), x = el("a", { href: u, download: a.file_name });
      d.body.appendChild(x); x.click(); d.body.removeChild(x);
      setTimeout(function () { URL.revokeObjectURL(u); }, 10000);
    });
  }
  function files(id, list) {
    return (list || []).map(function (a) {
      return el("button", { "class": "oq-plain oq-file", "data-oq": "attachment", text: a.file_name + " (" + Math.ceil(a.size / 1024) + " KB)",
        on: { click: function () { download(id, a); } } });
    });
  }
  function showTicket(id, notice) {
    state.view = "ticket"; state.ticket = id; state.sig = "";
    clear(view);
    var head = el("div", { "data-oq": "ticket-head" });
    var msgs = el("div", { "data-oq": "messages" });
    var err = el("p", { "class": "oq-error", "data-oq": "error" });
    var text = el("textarea", { rows: "4", placeholder: "Write a reply", "data-oq": "reply-text" });
    var input = el("input", { type: "file", multiple: "multiple", "data-oq": "reply-files" });
    var send = el("button", { "data-oq": "send", text: "Send reply" });
    var toggle = el("button", { "class": "oq-plain", "data-oq": "toggle" });
    text.value = lsGet(draftKey(id)) || "";
    text.addEventListener("input", function () { lsSet(draftKey(id), text.value || null); });
    view.appendChild(el("button", { "class": "oq-plain", "data-oq": "back", text: "← All tickets", on: { click: showList } }));
    if (notice) view.appendChild(notice);
    view.appendChild(head);
    view.appendChild(msgs);
    var form = el("div", { "data-oq": "reply" }, [text, input, el("div", { "class": "oq-tools" }, [send, toggle]), err]);
    view.appendChild(form);
    var current = null;
    send.addEventListener("click", function () {
      err.textContent = "";
      if (!text.value.trim()) { err.textContent = "Write a message first."; return; }
      send.disabled = true;
      readFiles(input).then(function (fs) {
        return call("reply", { ticket_id: id, message: text.value, files: fs });
      }).then(function (res) {
        send.disabled = false;
        if (!res.ok) { err.textContent = errText(res); return; }
        text.value = ""; input.value = ""; lsSet(draftKey(id), null);
        render(res.data);
      }, function () { send.disabled = false; err.textContent = "Could not read the file."; });
    });
    toggle.addEventListener("click", function () {
      if (!current) return;
      err.textContent = "";
      var done = current.status === "resolved" || current.status === "closed";
      call(done ? "reopen" : "resolve", { ticket_id: id }).then(function (res) {
        if (!res.ok) { err.textContent = errText(res); return; }
        render(res.data);
      });
    });
    function render(t) {
      var sig = JSON.stringify(t);
      if (sig === state.sig) return;
      state.sig = sig;
      current = t;
      clear(head);
      head.appendChild(el("h3", { "data-oq": "ticket-subject", text: t.subject }));
      head.appendChild(el("div", { "class": "oq-meta" }, [
        el("span", { text: t.id + " · " }),
        el("span", { "data-oq": "ticket-status", "data-status": t.status, text: LABEL[t.status] || t.status }),
        t.awaiting_you ? el("span", { "class": "oq-badge oq-awaiting", text: "Awaiting you" }) : null
      ]));
      clear(msgs);
      (t.messages || []).forEach(function (m) {
        msgs.appendChild(el("div", { "class": "oq-msg oq-from-" + m.author_kind, "data-oq": "message", "data-message-id": String(m.id) }, [
          el("div", { "class": "oq-meta" }, [el("strong", { text: m.author }), el("span", { text: " · " + when(m.created_at) })]),
          el("div", { "class": "oq-body", text: m.body })
        ].concat(files(id, m.attachments))));
      });
      files(id, t.attachments).forEach(function (b) { msgs.appendChild(b); });
      var done = t.status === "resolved" || t.status === "closed";
      toggle.textContent = done ? "Reopen ticket" : "Mark as resolved";
      toggle.setAttribute("data-action", done ? "reopen" : "resolve");
      form.style.display = t.locked ? "none" : "";
      if (t.locked) err.textContent = "This ticket is locked by the support team.";
    }
    state.render = render;
    return loadTicket();
  }
  function loadTicket() {
    var id = state.ticket;
    return call("get", { ticket_id: id }).then(function (res) {
      if (state.view !== "ticket" || state.ticket !== id) return;
      if (!res.ok) { var e = view.querySelector("[data-oq=error]"); if (e) e.textContent = errText(res); return; }
      state.render(res.data);
    });
  }

  // ---- new ticket ----
  function showNew() {
    state.view = "new"; state.ticket = null;
    clear(view);
    var saved = {};
    try { saved = JSON.parse(lsGet(draftKey("new"))) || {}; } catch (e) { saved = {}; }
    var f = {}, err = el("p", { "class": "oq-error", "data-oq": "error" });
    function field(name, tag, label, attrs) {
      attrs = attrs || {};
      attrs["data-oq"] = name;
      attrs.placeholder = label;
      f[name] = el(tag, attrs);
      f[name].value = saved[name] || "";
      f[name].addEventListener("input", function () {
        var o = {};
        ["email", "name", "subject", "message"].forEach(function (k) { if (f[k]) o[k] = f[k].value; });
        lsSet(draftKey("new"), JSON.stringify(o));
      });
      return f[name];
    }
    view.appendChild(el("button", { "class": "oq-plain", "data-oq": "back", text: "← All tickets", on: { click: showList } }));
    view.appendChild(el("h3", { text: "New ticket" }));
    if (!token) {
      view.appendChild(field("email", "input", "Your email", { type: "email" }));
      view.appendChild(field("name", "input", "Your name (optional)", { type: "text" }));
    }
    view.appendChild(field("subject", "input", "Subject", { type: "text", maxlength: "255" }));
    view.appendChild(field("message", "textarea", "How can we help?", { rows: "6" }));
    var input = el("input", { type: "file", multiple: "multiple", "data-oq": "files" });
    view.appendChild(input);
    var submit = el("button", { "data-oq": "submit", text: "Send ticket" });
    view.appendChild(submit);
    view.appendChild(err);
    submit.addEventListener("click", function () {
      err.textContent = "";
      submit.disabled = true;
      readFiles(input).then(function (fs) {
        var body = { subject: f.subject.value, message: f.message.value, files: fs };
        if (!token) { body.email = f.email.value; body.name = f.name.value; }
        return call("create", body);
      }).then(function (res) {
        submit.disabled = false;
        if (!res.ok) { err.textContent = errText(res); return; }
        lsSet(draftKey("new"), null);
        var t = res.data.ticket, notice = null;
        // Counted per page in Analytics > Top pages (through the tracking widget when it is on).
        if (w.OpsIQ && typeof w.OpsIQ.push === "function") w.OpsIQ.push(["track", "ticket_started", { ticket: t.id }]);
        if (res.data.key) {
          addKey(t.id, res.data.key);
          notice = el("div", { "class": "oq-note", "data-oq": "notice" }, [
            el("div", { text: "Ticket " + t.id + " is open. Keep this link to come back to it from any browser:" }),
            el("input", { type: "text", readonly: "readonly", "data-oq": "link", value: link(t.id, res.data.key) })
          ]);
        }
        showTicket(t.id, notice);
      }, function () { submit.disabled = false; err.textContent = "Could not read the file."; });
    });
  }

  function refresh() {
    if (!shown()) return;
    if (state.view === "list") loadList();
    else if (state.view === "ticket") loadTicket();
  }
  setInterval(refresh, POLL);
  d.addEventListener("visibilitychange", refresh);

  // A link from the ticket's notice: remember its key, open the ticket, take the key out of the address bar.
  var m = /#opsiq-ticket=(T-\d+)~(tk_[0-9a-f]{64})$/.exec(location.hash || "");
  if (m && !token) {
    addKey(m[1], m[2]);
    try { history.replaceState(null, "", location.href.split("#")[0]); } catch (e) { /* file: pages */ }
    if (panel) panel.style.display = "block";
    showTicket(m[1]);
  } else showList();
  cfg.api = { refresh: refresh, showList: showList, showTicket: showTicket };
})(window, document);
