#!/usr/bin/env python3
"""A loopback HTTP receiver for the outbound HTTP and webhook tests.

Every request is recorded as N.json (method, path, headers, base64 body) in --dir before it is
answered. The answer depends on the path, or on the mode last set with POST /_mode {"mode": ...}
for paths under /hook:
  /status/<code>[?retry_after=N]   that status (with Retry-After when asked)
  /sleep/<seconds>                 answers 200 after sleeping (for timeouts)
  /redirect?to=<url>               302 to that URL
  /big/<bytes>                     200 with that many bytes of body
  /hook                            the current mode: "ok" (200), a status code, "sleep:<s>", or "429:<s>"
"""
import argparse, base64, json, os, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

lock = threading.Lock()
state = {"n": 0, "mode": "ok"}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def record(self, body):
        with lock:
            state["n"] += 1
            n = state["n"]
        rec = {"method": self.command, "path": self.path,
               "headers": [[k, v] for k, v in self.headers.items()],
               "body": base64.b64encode(body).decode(), "received_at": time.time()}
        tmp = os.path.join(args.dir, "%06d.tmp" % n)
        with open(tmp, "w") as f: json.dump(rec, f)
        os.rename(tmp, os.path.join(args.dir, "%06d.json" % n))

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/_mode":
            with lock: state["mode"] = json.loads(body)["mode"]
            return self.answer(204)
        self.record(body)
        parts = u.path.strip("/").split("/")
        if parts[0] == "status":
            h = [("Retry-After", q["retry_after"][0])] if "retry_after" in q else []
            return self.answer(int(parts[1]), b'{"status":"scripted"}', h)
        if parts[0] == "sleep":
            time.sleep(float(parts[1]))
            return self.answer(200, b"late")
        if parts[0] == "redirect":
            return self.answer(302, b"", [("Location", q["to"][0])])
        if parts[0] == "big":
            return self.answer(200, b"x" * int(parts[1]))
        if parts[0] == "hook":
            with lock: mode = state["mode"]
            if mode == "ok": return self.answer(200, b'{"received":true}', [("Content-Type", "application/json")])
            if mode.startswith("sleep:"):
                time.sleep(float(mode[6:]))
                return self.answer(200, b"late")
            if mode.startswith("429:"): return self.answer(429, b"slow down", [("Retry-After", mode[4:])])
            return self.answer(int(mode), b"<b>scripted failure</b>")
        return self.answer(200, b"ok:" + body[:64], [("X-Echo-Host", self.headers.get("Host", ""))])

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--dir", required=True)
args = ap.parse_args()
os.makedirs(args.dir, exist_ok=True)
srv = ThreadingHTTPServer((args.host, args.port), Handler)
srv.daemon_threads = True
print("READY", flush=True)
srv.serve_forever()
