#!/usr/bin/env python3
"""Standalone test server for the OpsIQ tracking widget (standard library only).

Two ports, so the widget talks to its beacon cross-origin, as on a real customer site:
  site port   /site/index.html, /site/page2.html, /site/thanks.html (POST too)  -- the "customer" site
  asset port  /widget.js (= Sources/WebApp/Assets/widget.js), /beacon.php, /records, /control

/site/index.html query options: key=<site key>, dnt=1 (data-respect-dnt="true"), forms=0
(data-track-forms="false"), token=<identity token>, noqueue=1 (no pre-load OpsIQ.push calls).
/beacon.php records every body (in memory, and one JSON line per request in --out) and answers 204
with Access-Control-Allow-Origin: <Origin>. /control?fail=N[&status=503] makes the next N beacon
requests answer that status (503/429 add Retry-After: 1); /control?reset=1 clears the records.
/records returns [{"status", "content_type", "origin", "body"}...] as JSON.
Prints one line `READY {"site": <url>, "assets": <url>}` on stdout once both ports listen.
"""
import argparse
import html
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WIDGET = os.path.join(ROOT, "Sources", "WebApp", "Assets", "widget.js")

LOCK = threading.Lock()
STATE = {"records": [], "fail": 0, "fail_status": 503, "out": None, "site": "", "assets": "", "site_port": 0}


def page(q, name):
    a = lambda k, d="": q.get(k, [d])[0]
    key = a("key", "site_test")
    attrs = f'data-site-key="{html.escape(key)}"'
    if a("dnt") == "1":
        attrs += ' data-respect-dnt="true"'
    if a("forms") == "0":
        attrs += ' data-track-forms="false"'
    if a("token"):
        attrs += f' data-identity-token="{html.escape(a("token"))}"'
    qs = "?" + "&".join(f"{k}={v[0]}" for k, v in q.items()) if q else ""
    queue = "" if a("noqueue") == "1" else """
<script>
  window.OpsIQ = window.OpsIQ || [];
  OpsIQ.push(["track", "signup.completed", {plan: "pro"}]);
  OpsIQ.push(["identify", {id: "42", email: "a@b.com", name: "Ann"}]);
  OpsIQ.push(["track", "queued.third", {n: 3}]);
</script>"""
    outbound = f"http://localhost:{STATE['site_port']}/site/page2.html"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Harness {name}</title>{queue}
<script src="{STATE['assets']}/widget.js" {attrs} async></script>
</head><body>
<h1 id="h">{name}</h1>
<nav>
  <a id="to-index" href="/site/index.html{qs}">index</a>
  <a id="to-page2" href="/site/page2.html{qs}">page 2</a>
  <a id="outbound" href="{outbound}">outbound</a>
</nav>
<button id="spa" onclick="history.pushState({{}}, '', '/site/app/step2{qs}')">SPA step 2</button>
<button id="custom" onclick="OpsIQ.push(['track', 'button.clicked', {{color: 'blue', n: 7}}])">custom</button>
<form id="signup" name="signupform" action="/site/thanks.html{qs}" method="post">
  <input name="email" value="secret-field@example.com"><input type="password" name="pw" value="hunter2-secret">
  <button id="submit" type="submit">Sign up</button>
</form>
<div style="height:4000px;background:linear-gradient(#fff,#ccc)">tall content</div>
<p id="end">end</p>
</body></html>"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body=b"", ctype="text/plain; charset=utf-8", extra=None):
        self.send_response(status)
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def do_OPTIONS(self):  # CORS preflight (the widget's requests are simple, but answer anyway)
        self.send(204, extra={
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
        })

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/widget.js" or u.path == "/widget.php":
            with open(WIDGET, "rb") as f:
                return self.send(200, f.read(), "application/javascript; charset=utf-8")
        if u.path in ("/site/", "/site/index.html") or u.path.startswith("/site/app/"):
            return self.send(200, page(q, "index").encode(), "text/html; charset=utf-8")
        if u.path == "/site/page2.html":
            return self.send(200, page(q, "page2").encode(), "text/html; charset=utf-8")
        if u.path == "/site/thanks.html":
            return self.send(200, page(q, "thanks").encode(), "text/html; charset=utf-8")
        if u.path == "/records":
            with LOCK:
                data = json.dumps(STATE["records"]).encode()
            return self.send(200, data, "application/json")
        if u.path == "/control":
            with LOCK:
                if "reset" in q:
                    STATE["records"].clear()
                if "fail" in q:
                    STATE["fail"] = int(q["fail"][0])
                    STATE["fail_status"] = int(q.get("status", ["503"])[0])
            return self.send(200, b"ok")
        return self.send(404, b"not found")

    def do_POST(self):
        u = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if u.path == "/site/thanks.html":
            return self.send(200, page(parse_qs(u.query), "thanks").encode(), "text/html; charset=utf-8")
        if u.path != "/beacon.php":
            return self.send(404, b"not found")
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = {"_invalid": raw.decode("utf-8", "replace")}
        with LOCK:
            status = 204
            if STATE["fail"] > 0:
                STATE["fail"] -= 1
                status = STATE["fail_status"]
            rec = {"status": status, "content_type": self.headers.get("Content-Type", ""),
                   "origin": self.headers.get("Origin", ""), "cookie": self.headers.get("Cookie", ""), "body": body}
            STATE["records"].append(rec)
            if STATE["out"]:
                with open(STATE["out"], "a") as f:
                    f.write(json.dumps(rec) + "\n")
        extra = {"Retry-After": "1"} if status in (429, 503) else None
        if status == 204:
            return self.send(204)
        return self.send(status, b'{"error":"unavailable"}', "application/json", extra)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site-port", type=int, default=0)
    ap.add_argument("--asset-port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--out", default=None, help="append every beacon record as a JSON line")
    args = ap.parse_args()
    STATE["out"] = args.out
    site = ThreadingHTTPServer((args.host, args.site_port), Handler)
    assets = ThreadingHTTPServer((args.host, args.asset_port), Handler)
    site.daemon_threads = assets.daemon_threads = True
    STATE["site_port"] = site.server_address[1]
    STATE["site"] = f"http://{args.host}:{site.server_address[1]}"
    STATE["assets"] = f"http://{args.host}:{assets.server_address[1]}"
    threading.Thread(target=assets.serve_forever, daemon=True).start()
    print("READY " + json.dumps({"site": STATE["site"], "assets": STATE["assets"]}), flush=True)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
