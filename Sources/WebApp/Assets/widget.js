/*! OpsIQ tracking widget. One file, no dependencies, no cookies.
 *
 * SNIPPET
 *   <script src="https://HOST/widget.php" data-site-key="site_..." async></script>
 *   optional: data-identity-token="..."   signed identity (sent as an identify event)
 *             data-respect-dnt="true"      send nothing when navigator.doNotTrack is "1"
 *             data-track-forms="false"     no "form" events
 *             data-endpoint="https://HOST/beacon.php"  (default: origin of the script src + "/beacon.php")
 *             data-mode="tickets"          also load the ticket portal (HOST/widget-portal.js; see that file):
 *               data-flavor="inline|floating", data-target="#css-selector" (inline container, default
 *               #opsiq-tickets); with data-identity-token the authenticated flavour. Tracking is unchanged.
 *
 * QUEUE  window.OpsIQ = window.OpsIQ || []; OpsIQ.push([cmd, ...]) before load is replayed in order;
 *   after load OpsIQ.push runs commands at once. Commands:
 *   ["track", name, props?]  ["identify", {id?, email?, name?, token?, ...}]  ["page"]
 *   Also OpsIQ.version and OpsIQ._flush() (Promise<boolean>: true when the outbox is empty).
 *
 * BEACON  POST endpoint, Content-Type: text/plain;charset=UTF-8 (CORS-simple, no preflight),
 *   credentials omitted. Body (JSON):
 *   {"site_key": "site_...", "visitor_id": "<32 hex, absent without localStorage>",
 *    "session_hint": "<32 hex, per tab, renewed after 30 min idle>", "sent_at": <ms>,
 *    "events": [{
 *      common:     "id": "<32 hex, unique; dedupe key>", "type", "ts": <ms epoch>, "url", "path"
 *      pageview:   "title", "referrer" (document.referrer on the first pageview of a load, else ""),
 *                  "screen": "1920x1080", "lang", "tz"
 *      engagement: "engaged_ms" (visible time since the previous engagement event of this page view),
 *                  "scroll_pct" (max 0-100), "pageview_id"
 *      scroll:     "scroll_pct" (sent on reaching 25/50/75/100), "pageview_id"
 *      outbound:   "href"          form: "form" (id, else name, else action; never field values)
 *      custom:     "name", "props" identify: "identity" ({id, email, name, token, ...} as given)
 *   }]}
 *   Batches of at most 20 events; flushed 2 s after the first queued event, at once when 20 are
 *   queued, and with sendBeacon on outbound click / form submit / visibilitychange(hidden) / pagehide.
 *
 * DELIVERY  Events live in localStorage "opsiq_outbox_<site_key>" (max 500, oldest dropped) until
 *   the server answers 2xx. 429, 5xx, network error: kept, retried after 2,4,8..60 s, on "online"
 *   and on the next page load. Other 4xx: batch dropped (one console warning). sendBeacon cannot
 *   see the answer: beaconed events leave the outbox when sendBeacon returns true, unless the last
 *   fetch failed (then they are kept and re-sent). The server must therefore de-duplicate by id.
 *   Visitor id: localStorage "opsiq_vid"; session: sessionStorage "opsiq_sid". No cookies.
 */
(function (w, d) {
  "use strict";
  var VERSION = "1.0.0", MAX = 500, BATCH = 20;
  var prev = w.OpsIQ;
  if (prev && prev.version) return; // loaded twice
  var queue = Array.isArray(prev) ? prev.slice() : [];
  var nav = navigator, loc = location;
  var script = d.currentScript || d.querySelector("script[data-site-key]");
  var attr = function (n) { return script ? script.getAttribute("data-" + n) : null; };
  var siteKey = attr("site-key") || "";
  var endpoint = attr("endpoint");
  if (!endpoint) {
    try { endpoint = new URL(script.src, loc.href).origin + "/beacon.php"; } catch (e) { endpoint = "/beacon.php"; }
  }
  // Ticket portal: its UI is a separate script, loaded only in tickets mode (the tracking core stays small).
  if (attr("mode") === "tickets" && siteKey) {
    var base = "";
    try { base = new URL(script.src, loc.href).origin; } catch (e) { /* inline script: same origin */ }
    w.OpsIQPortal = w.OpsIQPortal || { siteKey: siteKey, base: base, token: attr("identity-token") || "", flavor: attr("flavor") || "", target: attr("target") || "" };
    var ps = d.createElement("script");
    ps.src = base + "/widget-portal.js";
    ps.async = true;
    (d.head || d.documentElement).appendChild(ps);
  }
  var dnt = attr("respect-dnt") === "true" &&
    /^(1|yes)$/.test(String(nav.doNotTrack || w.doNotTrack || nav.msDoNotTrack));

  if (dnt || !siteKey || !w.fetch || !w.JSON) {
    if (!siteKey) console.warn("OpsIQ: data-site-key missing");
    w.OpsIQ = { version: VERSION, push: function () {}, _flush: function () { return Promise.resolve(true); } };
    return;
  }

  // ---- storage and ids ----
  var LS = null, SS = null;
  try { LS = w.localStorage; LS.setItem("opsiq_t", "1"); LS.removeItem("opsiq_t"); } catch (e) { LS = null; }
  try { SS = w.sessionStorage; } catch (e) { SS = null; }
  function get(k) { try { return LS.getItem(k); } catch (e) { return null; } }
  function set(k, v) { try { LS.setItem(k, v); } catch (e) { /* quota or disabled */ } }
  function rid() {
    var a = new Uint8Array(16), s = "", i;
    try { crypto.getRandomValues(a); } catch (e) { for (i = 0; i < 16; i++) a[i] = Math.random() * 256; }
    for (i = 0; i < 16; i++) s += (a[i] + 256).toString(16).slice(1);
    return s;
  }
  var vid = null;
  if (LS) {
    vid = get("opsiq_vid");
    if (!/^[0-9a-f]{32}$/.test(vid || "")) { vid = rid(); set("opsiq_vid", vid); }
  }
  var sid = "", sidT = 0;
  function session() {
    var now = Date.now(), v;
    try { v = (SS.getItem("opsiq_sid") || "").split(":"); } catch (e) { v = [sid, sidT]; }
    sid = v[0] && now - v[1] < 18e5 ? v[0] : rid();
    sidT = now;
    try { SS.setItem("opsiq_sid", sid + ":" + now); } catch (e) { /* memory only */ }
  }

  // ---- outbox ----
  var KEY = "opsiq_outbox_" + siteKey;
  var gone = {}, fly = {}; // ids acknowledged/dropped; ids in a fetch now
  var box = load(), timer = 0, backoff = 0, busy = null, warned = false;
  function load() {
    try { var a = JSON.parse(get(KEY)); return Array.isArray(a) ? a.slice(-MAX) : []; } catch (e) { return []; }
  }
  // Write our events plus those other tabs left there; `skip` keeps ids out of storage only.
  function save(skip) {
    if (!LS) return;
    var mine = {};
    box.forEach(function (e) { mine[e.id] = 1; });
    var all = load().filter(function (e) { return e && !mine[e.id] && !gone[e.id]; })
      .concat(box.filter(function (e) { return !(skip && skip[e.id]); }));
    set(KEY, JSON.stringify(all.slice(-MAX)));
  }
  function drop(list) {
    list.forEach(function (e) { gone[e.id] = 1; });
    box = box.filter(function (e) { return !gone[e.id]; });
    save();
  }
  function pending() { return box.filter(function (e) { return !fly[e.id]; }); }
  function body(evs) {
    var b = { site_key: siteKey, session_hint: sid, sent_at: Date.now(), events: evs };
    if (vid) b.visitor_id = vid;
    return JSON.stringify(b);
  }
  function add(e) {
    box.push(e);
    if (box.length > MAX) box.splice(0, box.length - MAX);
    save();
    schedule(pending().length >= BATCH);
  }
  function schedule(now) {
    if (backoff) return; // the retry timer is armed
    if (now) { clearTimeout(timer); timer = 0; flush(); }
    else if (!timer) timer = setTimeout(function () { timer = 0; flush(); }, 2000);
  }
  function retry(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { timer = 0; flush(); }, ms);
  }
  // One batch by fetch; resolves true on 2xx (or a dropped 4xx), false when it must be retried.
  function flush() {
    if (busy) return busy;
    var batch = pending().slice(0, BATCH);
    if (!batch.length) return Promise.resolve(true);
    batch.forEach(function (e) { fly[e.id] = 1; });
    busy = fetch(endpoint, {
      method: "POST", body: body(batch), keepalive: true, credentials: "omit", mode: "cors",
      headers: { "Content-Type": "text/plain;charset=UTF-8" }
    }).then(function (r) { return r.status; }, function () { return 0; }).then(function (st) {
      busy = null;
      batch.forEach(function (e) { delete fly[e.id]; });
      // A page being left sees its keepalive fetch fail although the browser may still deliver it:
      // keep the batch for the next page (the server de-duplicates) without backing off.
      if (!st && leaving) { save(); return false; }
      if (st >= 200 && st < 500 && st !== 429 && !(st >= 300 && st < 400)) {
        if (st >= 400 && !warned) { warned = true; console.warn("OpsIQ: beacon rejected (HTTP " + st + "), events dropped"); }
        backoff = 0;
        drop(batch);
        if (pending().length) schedule(pending().length >= BATCH);
        return true;
      }
      backoff = Math.min(backoff ? backoff * 2 : 2000, 60000);
      retry(backoff);
      return false;
    });
    return busy;
  }
  function drain() { return flush().then(function (ok) { return ok && pending().length ? drain() : ok; }); }
  // Page is going away (or hidden): hand everything not in flight to sendBeacon.
  function beacon(unload) {
    var p = pending(), ok = true, i, b, skip = {};
    if (!nav.sendBeacon) return false;
    for (i = 0; i < p.length && ok; i += BATCH) {
      b = p.slice(i, i + BATCH);
      ok = !!(nav.sendBeacon && nav.sendBeacon(endpoint, body(b)));
      if (ok && !backoff) drop(b);
    }
    // keepalive fetches outlive the page; if the server is healthy don't re-send them next load
    if (unload && !backoff) { for (i in fly) skip[i] = 1; save(skip); }
    return ok;
  }
  // The page is probably about to go (form submit, outbound link): sendBeacon outlives it, fetch may not.
  function sendNow() { if (!beacon(false)) flush(); }

  // ---- page state ----
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser */ }
  var curUrl, curPath, pvId, maxPct = 0, mile = 0, eng = 0, since = 0;
  function visible() { return d.visibilityState !== "hidden"; }
  function ev(type, x, url, path) {
    session();
    var e = { id: rid(), type: type, ts: Date.now(), url: url || loc.href, path: path || loc.pathname }, k;
    for (k in x) if (x[k] !== undefined) e[k] = x[k];
    return e;
  }
  function obj(x) { return x && typeof x === "object" ? JSON.parse(JSON.stringify(x)) : {}; }
  function pct() {
    var de = d.documentElement, h = Math.max(de.scrollHeight, d.body ? d.body.scrollHeight : 0);
    var y = w.pageYOffset || de.scrollTop || 0;
    return h > 0 ? Math.max(0, Math.min(100, Math.round((y + w.innerHeight) / h * 100))) : 100;
  }
  function tick() {
    var now = Date.now();
    if (since) eng += now - since;
    since = visible() ? now : 0;
  }
  function pageview(ref) {
    curUrl = loc.href; curPath = loc.pathname;
    maxPct = pct(); mile = Math.floor(maxPct / 25) * 25; eng = 0; since = visible() ? Date.now() : 0;
    var e = ev("pageview", {
      title: d.title, referrer: ref, screen: screen.width + "x" + screen.height, lang: nav.language || "", tz: tz
    });
    pvId = e.id;
    add(e);
  }
  // Close out engagement for the current page view (force: even with no visible time).
  function engagement(force) {
    tick();
    var ms = Math.round(eng);
    if (ms > 0 || force) add(ev("engagement", { engaged_ms: ms, scroll_pct: maxPct, pageview_id: pvId }, curUrl, curPath));
    eng = 0;
  }
  function route() {
    if (loc.pathname !== curPath) { engagement(true); pageview(""); }
  }
  function run(c) {
    try {
      if (!c || !c.length) return;
      if (c[0] === "track" && c[1]) add(ev("custom", { name: String(c[1]), props: obj(c[2]) }));
      else if (c[0] === "identify" && c[1]) add(ev("identify", { identity: obj(c[1]) }));
      else if (c[0] === "page") { engagement(true); pageview(""); }
    } catch (e) { console.warn("OpsIQ: bad command", c, e); }
  }

  // ---- listeners ----
  var sTimer = 0;
  w.addEventListener("scroll", function () {
    if (sTimer) return;
    sTimer = setTimeout(function () {
      sTimer = 0;
      var p = pct(), m = Math.floor(p / 25) * 25;
      if (p > maxPct) maxPct = p;
      if (m > mile) { mile = m; add(ev("scroll", { scroll_pct: p, pageview_id: pvId })); }
    }, 100);
  }, { passive: true });
  var leaving = false;
  d.addEventListener("visibilitychange", function () {
    if (visible()) { since = Date.now(); return; }
    if (!leaving) engagement(false); // pagehide has already closed the page view
    beacon(false);
  });
  w.addEventListener("pagehide", function () { engagement(false); since = 0; leaving = true; beacon(true); });
  w.addEventListener("pageshow", function (e) { if (e.persisted) { leaving = false; since = visible() ? Date.now() : 0; } });
  w.addEventListener("online", function () { retry(0); });
  function onClick(e) {
    var a = e.target && e.target.closest && e.target.closest("a[href]");
    if (a && /^https?:$/.test(a.protocol) && a.hostname && a.hostname !== loc.hostname) {
      add(ev("outbound", { href: a.href }));
      sendNow();
    }
  }
  d.addEventListener("click", onClick, true);
  d.addEventListener("auxclick", onClick, true);
  if (attr("track-forms") !== "false") {
    d.addEventListener("submit", function (e) {
      var f = e.target;
      if (!f || !f.getAttribute) return;
      add(ev("form", { form: f.getAttribute("id") || f.getAttribute("name") || f.getAttribute("action") || "" }));
      sendNow();
    }, true);
  }
  ["pushState", "replaceState"].forEach(function (m) {
    var orig = history[m];
    if (orig) history[m] = function () { var r = orig.apply(this, arguments); route(); return r; };
  });
  w.addEventListener("popstate", route);

  // ---- start ----
  w.OpsIQ = {
    version: VERSION,
    push: function () { for (var i = 0; i < arguments.length; i++) run(arguments[i]); },
    _flush: drain
  };
  pageview(d.referrer || "");
  var token = attr("identity-token");
  if (token) add(ev("identify", { identity: { token: token } }));
  queue.forEach(run);
  schedule(true); // also re-sends what an earlier page load left in the outbox
})(window, document);
