"""The ticket portal embed (widget.php with data-mode="tickets") on a local test site in another origin,
driven in headless Chromium against the real opsiq-web: open a ticket with a file, see the agent's reply
arrive by polling, reply, resolve, reopen; the agent's internal note never reaches the page."""
import base64
import json
import os
import sqlite3
import tempfile
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import free_port  # noqa: F401 (fixtures come from conftest)
from test_tracking_e2e import identity_token, serve_site

SECRET = "SECRET-NOTE refund approved by finance, ref ch_zz9"
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes(range(256)) * 4


def make_site(web):
    out = web.admin("create-site", "--name", "Portal site", "--domain", "127.0.0.1")
    assert out.returncode == 0, out.stderr
    return [l.split()[-1] for l in out.stdout.splitlines() if l.startswith("site key:")][0]


def action(web, site_key, name, params):
    out = web.admin("action", "run", name, "--site-key", site_key, "--json", json.dumps(params))
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout[out.stdout.index("{"):])


def page(directory, body):
    with open(os.path.join(directory, "index.html"), "w") as f:
        f.write(f"<!doctype html><html><head><title>Help</title></head><body><h1>Help centre</h1>{body}</body></html>")


def q(browser, name):
    return browser.find_element(By.CSS_SELECTOR, f'[data-oq="{name}"]')


def status(browser):
    return browser.execute_script("var e = document.querySelector('[data-oq=ticket-status]'); return e && e.getAttribute('data-status')")


def wait(browser, cond, timeout=15):
    return WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda d: cond())


def messages(browser):
    # Read in one script call: the thread re-renders when a poll brings news, which would stale element handles.
    return browser.execute_script("return Array.from(document.querySelectorAll('[data-oq=message] .oq-body')).map(e => e.textContent)")


def test_anonymous_inline_portal_full_cycle(web, browser):
    site_key = make_site(web)
    site = tempfile.mkdtemp(prefix="opsiq-portal-")
    page(site, f'<div id="opsiq-tickets"></div><script src="{web.base}/widget.php" data-site-key="{site_key}" data-mode="tickets" async></script>')
    with open(os.path.join(site, "screen.png"), "wb") as f:
        f.write(PNG)
    httpd, port = serve_site(site)
    try:
        browser.get(f"http://127.0.0.1:{port}/index.html")
        # Inline flavour: the portal renders inside the page's container, no floating launcher.
        assert browser.find_element(By.CSS_SELECTOR, '#opsiq-tickets [data-oq="portal"]')
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-oq="launcher"]')
        wait(browser, lambda: "no tickets yet" in q(browser, "list-message").text)
        q(browser, "new").click()
        q(browser, "email").send_keys("ann@example.com")
        q(browser, "subject").send_keys("Printer <b>on fire</b>")
        q(browser, "message").send_keys("It smokes when I print.")
        # The new-ticket draft is autosaved.
        draft = json.loads(browser.execute_script(f"return localStorage.getItem('opsiq_draft_{site_key}_new')"))
        assert draft["subject"] == "Printer <b>on fire</b>" and draft["email"] == "ann@example.com"
        q(browser, "files").send_keys(os.path.join(site, "screen.png"))
        q(browser, "submit").click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-oq="ticket-subject"]'))
        # Markup typed by the customer is shown as text, never parsed.
        assert q(browser, "ticket-subject").text == "Printer <b>on fire</b>"
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-oq="ticket-subject"] b')
        link = q(browser, "link").get_attribute("value")
        assert "#opsiq-ticket=T-1~tk_" in link
        assert browser.execute_script(f"return localStorage.getItem('opsiq_draft_{site_key}_new')") is None
        assert [a.text.split(" (")[0] for a in browser.find_elements(By.CSS_SELECTOR, '[data-oq="attachment"]')] == ["screen.png"]
        assert status(browser) == "open"
        # The widget records the ticket as a ticket_started event on its page, which Analytics > Top pages counts
        # per page (headless Chromium is classified as a bot, so its page views and events stay out of the report
        # itself; the count is covered by AnalyticsReportTests).
        deadline = time.time() + 20
        started = []
        while time.time() < deadline:
            events = action(web, site_key, "analytics.events", {"range": "today", "type": "ticket_started"})["data"]["events"]
            started = [e for e in events if e.get("name") == "ticket_started"]
            if started:
                break
            time.sleep(0.5)
        assert len(started) == 1 and started[0]["url"].split("?")[0].endswith("/index.html"), started
        assert '"ticket":"T-1"' in json.dumps(started[0], separators=(",", ":")), started[0]

        # The agent answers and writes an internal note; the reply arrives by polling (about 12 s).
        action(web, site_key, "tickets.reply", {"ticket_id": "T-1", "message": "We are sending a technician."})
        action(web, site_key, "tickets.reply", {"ticket_id": "T-1", "message": SECRET, "internal": True})
        started = time.time()
        wait(browser, lambda: "We are sending a technician." in messages(browser), timeout=30)
        assert time.time() - started > 1, "appeared by polling, not by reload"
        assert SECRET not in browser.page_source and "finance" not in browser.page_source
        assert browser.find_elements(By.CSS_SELECTOR, '[data-oq="ticket-head"] .oq-awaiting')

        # The list highlights the ticket as awaiting the customer.
        q(browser, "back").click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-ticket="T-1"].oq-row-awaiting'))
        from selenium.webdriver.support.ui import Select
        Select(q(browser, "status")).select_by_value("awaiting")
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, '[data-ticket]')) == 1)
        q(browser, "search").send_keys("no such words")
        wait(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, '[data-ticket]'))
        q(browser, "search").clear()
        Select(q(browser, "status")).select_by_value("")
        q(browser, "search").send_keys("printer")
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-ticket="T-1"]'))
        browser.find_element(By.CSS_SELECTOR, '[data-ticket="T-1"]').click()
        wait(browser, lambda: "We are sending a technician." in messages(browser))

        # Reply: the draft autosaves, survives a reload, and is cleared once sent.
        q(browser, "reply-text").send_keys("Thanks, I will be home.")
        assert browser.execute_script(f"return localStorage.getItem('opsiq_draft_{site_key}_T-1')") == "Thanks, I will be home."
        browser.refresh()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-ticket="T-1"]'))
        browser.find_element(By.CSS_SELECTOR, '[data-ticket="T-1"]').click()
        wait(browser, lambda: q(browser, "reply-text").get_attribute("value") == "Thanks, I will be home.")
        q(browser, "send").click()
        wait(browser, lambda: messages(browser)[-1:] == ["Thanks, I will be home."])
        assert q(browser, "reply-text").get_attribute("value") == ""
        assert browser.execute_script(f"return localStorage.getItem('opsiq_draft_{site_key}_T-1')") is None

        # Resolve and reopen with one click each.
        toggle = q(browser, "toggle")
        assert toggle.get_attribute("data-action") == "resolve"
        toggle.click()
        wait(browser, lambda: status(browser) == "resolved")
        q(browser, "toggle").click()
        wait(browser, lambda: status(browser) == "open")

        # Another poll round: the note still never appears, though it is in the store.
        time.sleep(13)
        assert SECRET not in browser.page_source
        db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))
        try:
            notes = db.execute("SELECT body FROM ticket_messages WHERE internal = 1").fetchall()
            statuses = [r[0] for r in db.execute("SELECT status FROM tickets").fetchall()]
        finally:
            db.close()
        assert notes == [(SECRET,)] and statuses == ["open"]
        assert browser.execute_script("return document.cookie") == ""

        # The access link opens the ticket in a fresh browser profile (no stored key).
        browser.execute_script("localStorage.clear()")
        browser.get(f"http://127.0.0.1:{port}/index.html")
        wait(browser, lambda: "no tickets yet" in q(browser, "list-message").text)
        browser.get(link.replace("/index.html#", "/index.html?again=1#"))
        wait(browser, lambda: "Thanks, I will be home." in messages(browser))
        assert "opsiq-ticket" not in browser.current_url, "the key leaves the address bar"
    finally:
        httpd.shutdown()


def test_authenticated_floating_portal_shows_only_the_customers_tickets(web, browser):
    site_key = make_site(web)
    rev = web.admin("action", "run", "sites.secret.reveal", "--site-key", site_key, "--json", "{}")
    assert rev.returncode == 0, rev.stderr
    secret = json.loads(rev.stdout[rev.stdout.index("{"):])["data"]["site_secret"]
    action(web, site_key, "tickets.create", {"subject": "Jane's invoice", "message": "Where is it?", "customer_email": "jane@example.com"})
    action(web, site_key, "tickets.create", {"subject": "Bob's secret", "message": "Private", "customer_email": "bob@example.com"})
    action(web, site_key, "tickets.reply", {"ticket_id": "T-1", "message": SECRET, "internal": True})
    token = identity_token(site_key, secret, {"id": "cust_7", "email": "jane@example.com", "name": "Jane Doe"})
    site = tempfile.mkdtemp(prefix="opsiq-portal-")
    page(site, f'<script src="{web.base}/widget.php" data-site-key="{site_key}" data-mode="tickets" data-flavor="floating" data-identity-token="{token}" async></script>')
    httpd, port = serve_site(site)
    try:
        browser.get(f"http://127.0.0.1:{port}/index.html")
        q(browser, "launcher").click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-ticket="T-1"]'))
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-ticket="T-2"]')
        assert "Bob" not in browser.page_source
        browser.find_element(By.CSS_SELECTOR, '[data-ticket="T-1"]').click()
        wait(browser, lambda: messages(browser) == ["Where is it?"])
        assert SECRET not in browser.page_source
        # Identified customers are not asked for an email.
        q(browser, "new").click()
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-oq="email"]')
        q(browser, "subject").send_keys("Second question")
        q(browser, "message").send_keys("Also this")
        q(browser, "submit").click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '[data-oq="ticket-subject"]') and q(browser, "ticket-subject").text == "Second question")
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-oq="link"]'), "no access key in authenticated mode"
        db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))
        try:
            row = db.execute("SELECT customer_email FROM tickets WHERE subject = 'Second question'").fetchone()
            keys = db.execute("SELECT COUNT(*) FROM ticket_portal_keys").fetchone()[0]
        finally:
            db.close()
        assert row == ("jane@example.com",) and keys == 0
    finally:
        httpd.shutdown()
