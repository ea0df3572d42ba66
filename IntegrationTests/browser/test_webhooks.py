"""Developer > Webhooks in a real browser against a real opsiq-web (embedded worker) and a real receiver on
loopback that verifies every delivery the way the spec's PHP and Node verifiers do (hex HMAC-SHA256 of the
raw body with the endpoint secret, compared in constant time).

Adds an endpoint from the form (the secret is shown once), sends a test event, then a real ticket.created
event: the receiver's first answer is a 500 whose body carries markup, the retry after about 5 s succeeds,
the delivery log shows both attempts with the markup escaped, and Redeliver sends the same event_id again."""
import hashlib
import hmac
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium.webdriver.common.by import By

from conftest import click_and_wait
from test_login_2fa import PASSWORD, sign_in

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")
HOSTILE = '<script>window.__pwned = 1</script><b id="injected">bold</b>'


class Receiver:
    """Counts deliveries by event_id and checks each signature; fails the first ticket.created with a 500."""

    def __init__(self):
        self.secret = None
        self.got = []          # (event type, event_id, signature valid, webhook-id header)
        self.failed_once = set()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sig = self.headers.get("X-OpsIQ-Signature", "")
                with outer.lock:
                    expected = hmac.new(outer.secret.encode(), raw, hashlib.sha256).hexdigest() if outer.secret else ""
                    ok = bool(expected) and hmac.compare_digest(expected, sig)
                    body = json.loads(raw)
                    outer.got.append((body["event"], body["event_id"], ok, self.headers.get("webhook-id")))
                    fail = body["event"] == "ticket.created" and body["event_id"] not in outer.failed_once
                    if fail:
                        outer.failed_once.add(body["event_id"])
                answer = (HOSTILE if fail else "ok").encode()
                self.send_response(500 if fail else 200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/opsiq-hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, event):
        with self.lock:
            return [g for g in self.got if g[0] == event]


def wait_until(check, timeout=30, every=0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def test_endpoint_from_the_admin_receives_signed_retried_and_redelivered_events(web_loopback_outbound, browser):
    web = web_loopback_outbound
    os.makedirs(SHOTS, exist_ok=True)
    receiver = Receiver()
    try:
        r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        r = web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com")
        assert r.returncode == 0, r.stderr
        site_key = re.search(r"site_[A-Za-z0-9]+", r.stdout).group(0)
        sign_in(browser, web, "owner@example.com", PASSWORD)

        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/webhooks"]'))
        assert browser.find_element(By.ID, "no-endpoints").is_displayed()
        browser.find_element(By.ID, "new-url").send_keys(receiver.url)
        browser.find_element(By.ID, "new-desc").send_keys("Order system")
        browser.find_element(By.CSS_SELECTOR, '#new-endpoint-form input[name="events"][value="ticket.created"]').click()
        click_and_wait(browser, browser.find_element(By.ID, "add-endpoint-button"))
        secret = browser.find_element(By.ID, "secret-value").text
        assert secret.startswith("opsiq_whsec_"), secret
        with receiver.lock:
            receiver.secret = secret
        card = browser.find_element(By.CSS_SELECTOR, "div.endpoint")
        eid = card.get_attribute("id").split("-")[1]
        assert "ticket.created" in card.text and "active" in card.text
        # Shown once: the page after a reload does not carry it.
        browser.get(web.base + "/admin/webhooks")
        assert secret not in browser.page_source

        # Send test event: answered at once on the page, signed like every delivery.
        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#test-{eid} button"))
        assert "Delivered: HTTP 200" in browser.find_element(By.ID, "test-result").text
        tests = receiver.of("webhook.test")
        assert len(tests) == 1 and tests[0][2], tests
        assert tests[0][3] == tests[0][1], "webhook-id is the event_id"

        # A real event, published by creating a ticket; the worker inside opsiq-web delivers it.
        out = web.admin("action", "run", "tickets.create", "--site-key", site_key, "--json",
                        json.dumps({"subject": "Where is my order?", "message": "Order 1001", "customer_email": "jane@example.com"}))
        assert out.returncode == 0, out.stdout + out.stderr
        assert wait_until(lambda: len(receiver.of("ticket.created")) >= 2, timeout=40), receiver.got
        created = receiver.of("ticket.created")
        event_id = created[0][1]
        assert [g[1] for g in created] == [event_id, event_id], "the retry carries the same event_id"
        assert all(g[2] for g in created), "every delivery verifies with the endpoint secret"

        click_and_wait(browser, browser.find_element(By.ID, f"log-{eid}"))
        row = browser.find_element(By.CSS_SELECTOR, "#deliveries tr.delivery")
        assert "ticket.created" in row.text and event_id in row.text
        assert "next" not in browser.find_element(By.CSS_SELECTOR, "#deliveries tr.delivery").text or \
            "pending" in browser.find_element(By.CSS_SELECTOR, "#deliveries tr.delivery").text, "a next attempt is shown only while pending"
        assert wait_until(lambda: "status-delivered" in browser.find_element(By.CSS_SELECTOR, "#deliveries tr.delivery").get_attribute("class")
                          or browser.refresh(), timeout=15)
        did = browser.find_element(By.CSS_SELECTOR, "#deliveries tr.delivery").get_attribute("id").split("-")[1]
        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#delivery-{did} a"))
        attempts = browser.find_elements(By.CSS_SELECTOR, "div.attempt")
        assert len(attempts) == 2, [a.text for a in attempts]
        texts = " ".join(a.text for a in attempts)
        ok_card = next(a for a in attempts if ": 200 in" in a.text)
        assert "·" not in ok_card.text.split("\n")[0], "no error separator on a successful attempt"
        assert "500" in texts and "200" in texts
        # The receiver's markup is shown as text, never run or rendered.
        assert HOSTILE in browser.find_element(By.CSS_SELECTOR, "pre.excerpt").text or \
            any(HOSTILE in e.text for e in browser.find_elements(By.CSS_SELECTOR, "pre.excerpt"))
        assert not browser.find_elements(By.ID, "injected")
        assert browser.execute_script("return window.__pwned === undefined")
        assert "X-OpsIQ-Signature" in texts and "webhook-signature" in texts
        browser.save_screenshot(os.path.join(SHOTS, "webhook-log.png"))

        # Redeliver: the same event again, with the same event_id.
        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#redeliver-{did} button"))
        assert "Delivery queued again." in browser.find_element(By.ID, "flash").text
        assert wait_until(lambda: len(receiver.of("ticket.created")) == 3, timeout=20), receiver.got
        assert {g[1] for g in receiver.of("ticket.created")} == {event_id}
        assert all(g[2] for g in receiver.of("ticket.created"))

        logs = browser.get_log("browser")
        assert not [e for e in logs if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")], logs
    finally:
        receiver.server.shutdown()
