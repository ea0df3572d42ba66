/// Static assets, compiled in: one stylesheet and one small script (no inline CSS or JS, so the
/// Content-Security-Policy can forbid both).
enum Assets {
    static let css = """
    :root { --ink:#1d2433; --muted:#5b6478; --line:#dfe3ec; --accent:#3558e6; --bad:#b42318; --ok:#067647; }
    * { box-sizing: border-box; }
    body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:#f5f7fb; }
    header { background:#fff; border-bottom:1px solid var(--line); padding:14px 24px; font-weight:650; letter-spacing:.2px; }
    header span { color:var(--accent); }
    main { max-width:720px; margin:32px auto; padding:0 16px; }
    .card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:24px 28px; margin-bottom:20px; }
    h1 { font-size:22px; margin:0 0 6px; } h2 { font-size:16px; margin:22px 0 10px; }
    p.lead { color:var(--muted); margin-top:0; }
    label { display:block; font-weight:600; margin:14px 0 4px; }
    input[type=text], input[type=email], input[type=password] { width:100%; padding:9px 11px; border:1px solid var(--line); border-radius:7px; font:inherit; }
    input:focus { outline:2px solid var(--accent); outline-offset:0; }
    .hint { color:var(--muted); font-size:13px; margin-top:3px; }
    .err { color:var(--bad); font-size:13px; margin-top:4px; }
    .banner { border-radius:8px; padding:10px 14px; margin-bottom:14px; }
    .banner.bad { background:#fef3f2; color:var(--bad); border:1px solid #fecdca; }
    .banner.ok { background:#ecfdf3; color:var(--ok); border:1px solid #abefc6; }
    button { margin-top:20px; background:var(--accent); color:#fff; border:0; border-radius:7px; padding:10px 18px; font:inherit; font-weight:600; cursor:pointer; }
    pre { background:#0f172a; color:#e2e8f0; padding:14px; border-radius:8px; overflow:auto; font-size:13px; white-space:pre-wrap; word-break:break-all; }
    code { background:#eef1f7; padding:1px 5px; border-radius:4px; }
    dl { display:grid; grid-template-columns:max-content 1fr; gap:6px 16px; } dt { color:var(--muted); } dd { margin:0; font-family:ui-monospace, monospace; }
    main { max-width: 1200px; }
    .shell { display:flex; gap:24px; align-items:flex-start; }
    .side { width:210px; flex:none; background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px 0; font-size:14px; }
    .navhead { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; padding:10px 16px 4px; }
    .side a { display:block; padding:4px 16px; color:var(--ink); text-decoration:none; }
    .side a.active { background:#eef1fd; color:var(--accent); font-weight:600; }
    .side a.soon { color:#98a1b3; }
    .page { flex:1; min-width:0; }
    .topbar { display:flex; justify-content:space-between; align-items:center; margin-bottom:14px; }
    .me { color:var(--muted); font-size:14px; display:flex; gap:12px; align-items:center; }
    .online { color:var(--ok); }
    .sr { position:absolute; left:-9999px; }
    form.inline { display:inline; margin:0; } button.link { background:none; color:var(--accent); padding:0; margin:0; font-weight:500; }
    table { width:100%; border-collapse:collapse; background:#fff; font-size:14px; }
    th, td { text-align:left; padding:8px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
    th { color:var(--muted); font-weight:600; }
    .tag { display:inline-block; padding:1px 8px; border-radius:10px; background:#eef1f7; font-size:12px; }
    button.small { margin:0; padding:4px 10px; font-size:13px; } button.danger { background:#b42318; }
    select { padding:6px; border-radius:6px; border:1px solid var(--line); font:inherit; }
    .grid2 { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
    @media (max-width: 800px) { .shell { flex-direction:column; } .side { width:100%; } .grid2 { grid-template-columns:1fr; } }
    .narrow { max-width:440px; margin:40px auto; }
    .spaced { margin-top:16px; }
    label.check { display:inline-block; font-weight:400; margin:2px 12px 2px 0; }
    label.check.block { display:block; }
    textarea { width:100%; padding:9px 11px; border:1px solid var(--line); border-radius:7px; font:inherit; }
    .filters { display:flex; flex-wrap:wrap; gap:6px 10px; align-items:center; margin-bottom:8px; } .filters label { margin:0; }
    .toolbar a.current { font-weight:700; }
    tr.sla-overdue td.sla, dd.sla-overdue { color:var(--bad); font-weight:600; } tr.sla-overdue { background:#fef3f2; }
    tr.sla-due_soon td.sla, dd.sla-due_soon { color:#b54708; font-weight:600; } tr.sla-due_soon { background:#fffaeb; }
    .prio-urgent, .prio-high { color:var(--bad); font-weight:600; }
    dl.facts dd { font-family:inherit; }
    ol.thread { list-style:none; padding:0; margin:0 0 20px; }
    .msg { background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 16px; margin-bottom:10px; }
    .msg.customer { border-left:4px solid var(--accent); } .msg.agent { border-left:4px solid var(--ok); }
    .msg.note { background:#fffaeb; border:1px dashed #f79009; border-left:4px solid #f79009; }
    .msg .meta { color:var(--muted); font-size:13px; margin-bottom:6px; } .msg .body { white-space:pre-wrap; word-break:break-word; }
    form.row { display:flex; gap:8px; align-items:center; margin-bottom:8px; } form.row label { margin:0; }
    tr.fresh { background:#ecfdf3; transition:background 2s; } .tag.bad { background:#fef3f2; color:var(--bad); } .tag.good { background:#ecfdf3; color:var(--ok); }
    .grid3 { display:grid; grid-template-columns:1fr 1fr 1fr; gap:12px; } svg.chart.doughnut { max-width:240px; margin:0 auto; } td.props { word-break:break-all; max-width:420px; }
    .cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(190px, 1fr)); gap:12px; margin-bottom:20px; }
    .stat { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
    .stat .label { color:var(--muted); font-size:13px; } .stat .value { font-size:24px; font-weight:650; margin:2px 0; }
    svg.chart { width:100%; height:auto; max-width:760px; display:block; } td.num { text-align:right; font-variant-numeric:tabular-nums; }
    form.rangepicker { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-bottom:16px; } form.rangepicker label { margin:0; }
    iframe.preview-frame { width:100%; height:460px; border:1px solid var(--line); border-radius:8px; background:#fff; }
    form.rangepicker button { margin-top:0; } form.rangepicker input[type=text] { width:auto; min-width:200px; } input[type=date] { padding:5px; border:1px solid var(--line); border-radius:6px; font:inherit; }
    """

    static let js = """
    // OpsIQ admin: auto-submitting selects and the 60-second presence heartbeat.
    document.addEventListener("DOMContentLoaded", function () {
      document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
        el.addEventListener("change", function () { el.form.submit(); });
      });
      var meta = document.querySelector('meta[name="csrf-token"]');
      var online = document.getElementById("online-count");
      if (!meta) { return; }
      function beat() {
        fetch("/admin/heartbeat", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": meta.content } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (j) { if (j && online) { online.textContent = "\\u25CF " + j.online + " online"; } })
          .catch(function () {});
      }
      setInterval(beat, 60000);
    });
    // Date picker: editing a date switches the preset to Custom.
    document.addEventListener("DOMContentLoaded", function () {
      var range = document.getElementById("range");
      if (!range) { return; }
      ["from", "to"].forEach(function (id) {
        var el = document.getElementById(id);
        if (el) { el.addEventListener("change", function () { range.value = "custom"; }); }
      });
    });
    // Live feed: reload the rows every data-refresh seconds (unless paused); rows that are new or changed since
    // the last refresh are highlighted.
    document.addEventListener("DOMContentLoaded", function () {
      var feed = document.getElementById("live-feed");
      if (!feed) { return; }
      var every = Math.max(5, parseInt(feed.getAttribute("data-refresh"), 10) || 15) * 1000;
      var toggle = document.getElementById("live-toggle");
      var paused = false;
      function stamps(root) {
        var s = {};
        root.querySelectorAll("tr[data-stamp]").forEach(function (tr) { s[tr.getAttribute("data-stamp")] = true; });
        return s;
      }
      var seen = stamps(document);
      function refresh() {
        if (paused) { return; }
        fetch(location.pathname + location.search, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html || paused) { return; }
            var doc = new DOMParser().parseFromString(html, "text/html");
            ["live-rows", "live-count", "live-updated"].forEach(function (id) {
              var fresh = doc.getElementById(id), old = document.getElementById(id);
              if (fresh && old) { old.innerHTML = fresh.innerHTML; }
            });
            document.querySelectorAll("#live-rows tr[data-stamp]").forEach(function (tr) {
              if (!seen[tr.getAttribute("data-stamp")]) { tr.classList.add("fresh"); }
            });
            seen = stamps(document);
          })
          .catch(function () {});
      }
      setInterval(refresh, every);
      toggle.addEventListener("click", function () {
        paused = !paused;
        toggle.textContent = paused ? "Resume" : "Pause";
        toggle.setAttribute("data-paused", paused ? "1" : "0");
        if (!paused) { refresh(); }
      });
    });
    // Email template editor: the live preview. The draft is posted (with the CSRF token) into the sandboxed
    // frame 400 ms after the last keystroke; the frame's document is rendered and sanitised by the server.
    document.addEventListener("DOMContentLoaded", function () {
      var form = document.getElementById("live-preview-form");
      var editor = document.getElementById("template-form");
      if (!form || !editor) { return; }
      var timer = null;
      function send() {
        var subject = editor.querySelector('[name="subject"]');
        form.elements["subject"].value = subject ? subject.value : "";
        form.elements["body"].value = editor.querySelector('[name="body"]').value;
        form.submit();
      }
      editor.addEventListener("input", function () {
        if (timer) { clearTimeout(timer); }
        timer = setTimeout(send, 400);
      });
      send();
    });
    """
}
