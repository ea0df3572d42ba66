"""The real widget, served by the real opsiq-web, on a test site in another origin: events land in the store."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import sqlite3
import tempfile
import threading
import time

from selenium.webdriver.common.by import By

from conftest import free_port


def serve_site(directory):
    port = free_port()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=directory, **k)
    # Threaded: Chromium opens speculative connections that send nothing; one of those must not hold up the page.
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, port


def rows(web, since=0.0):
    db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))
    try:
        return db.execute("SELECT type, name, path, browser, device, country, visitor_key, props, scroll_pct, os, source FROM tracking_events ORDER BY ts, id").fetchall()
    finally:
        db.close()


def wait_rows(web, predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = rows(web)
        if predicate(r):
            return r
        time.sleep(0.25)
    raise AssertionError(f"events did not arrive: {rows(web)}")


def identity_token(site_key, secret, customer):
    """Made the way the spec's PHP/Node samples make it: base64(payload_json) + "." + hex(HMAC-SHA256(payload_json, site_secret))."""
    now = int(time.time())
    payload = json.dumps({"site_key": site_key, "customer": customer, "iat": now, "exp": now + 3600}, separators=(",", ":"))
    sig = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(payload.encode()).decode() + "." + sig


def test_widget_on_a_site_sends_to_opsiq(web, browser):
    out = web.admin("create-site", "--name", "Test site", "--domain", "127.0.0.1")
    assert out.returncode == 0, out.stderr
    site_key = [l.split()[-1] for l in out.stdout.splitlines() if l.startswith("site key:")][0]
    rev = web.admin("action", "run", "sites.secret.reveal", "--site-key", site_key, "--json", "{}")
    assert rev.returncode == 0, rev.stderr
    secret = json.loads(rev.stdout[rev.stdout.index("{"):])["data"]["site_secret"]
    token = identity_token(site_key, secret, {"id": "cust_42", "email": "jane@example.com", "name": "Jane Doe"})
    site = tempfile.mkdtemp(prefix="opsiq-site-")
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write(f"""<!doctype html><html><head><title>Home</title>
<script>window.OpsIQ = window.OpsIQ || []; OpsIQ.push(["track", "queued.before.load", {{"n": 1}}]);</script></head>
<body><h1>Test shop</h1><button id="spa" onclick="history.pushState({{}}, '', '/pricing')">Pricing</button>
<div style="height:5000px">long page</div><p id="end">end</p>
<script src="{web.base}/widget.php" data-site-key="{site_key}" data-identity-token="{token}" async></script></body></html>""")
    httpd, port = serve_site(site)
    # Headless Chromium says "HeadlessChrome" and is (rightly) filed as a bot; present as a desktop visitor.
    browser.execute_cdp_cmd("Network.setUserAgentOverride", {"userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"})
    try:
        browser.get(f"http://127.0.0.1:{port}/index.html")
        wait_rows(web, lambda r: any(x[0] == "pageview" for x in r) and any(x[1] == "queued.before.load" for x in r))
        # Scroll to the bottom: scroll-depth events at the 25/50/75/100 % marks.
        browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        wait_rows(web, lambda r: any(x[0] == "scroll" and x[8] == 100 for x in r))
        browser.find_element(By.ID, "spa").click()
        browser.execute_script("OpsIQ.push(['track', 'plan.selected', {plan: 'pro'}]); return OpsIQ._flush();")
        r = wait_rows(web, lambda r: any(x[0] == "pageview" and x[2] == "/pricing" for x in r) and any(x[1] == "plan.selected" for x in r)
                      and any(x[0] == "identify" for x in r))
        pageviews = [x for x in r if x[0] == "pageview"]
        assert [p[2] for p in pageviews][:2] == ["/index.html", "/pricing"]
        assert all(p[3] == "Chrome" and p[4] == "desktop" for p in pageviews), pageviews
        assert all(p[5] == "Unknown" for p in pageviews)
        assert all(p[5] == "Unknown" for p in pageviews), "a loopback address has no country"
        assert len({x[6] for x in r}) == 1, "one visitor"
        assert any(x[1] == "plan.selected" and '"plan":"pro"' in x[7] for x in r)
        assert not browser.get_cookies(), "no cookies"
        assert all(p[9] == "Linux" and p[10] == "Direct" for p in pageviews), pageviews
        # The server-made identity token named the visitor: the visitor row carries the customer.
        db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))
        try:
            who = db.execute("SELECT email, customer_id, name FROM visitors WHERE visitor_key = ?", (r[0][6],)).fetchone()
        finally:
            db.close()
        assert who == ("jane@example.com", "cust_42", "Jane Doe"), who
    finally:
        httpd.shutdown()
