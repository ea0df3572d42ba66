"""Developer > Triggers in a real browser against a real opsiq-web (embedded worker): build the
monitoring recipe with the plain form, POST a monitoring alert to the automation's own URL, and see the
Urgent ticket appear and the run in the log; a dry run from the page; no console errors under the CSP."""
import json
import os
import re
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import click_and_wait
from test_login_2fa import PASSWORD, sign_in

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")


def test_monitoring_recipe_built_in_the_admin_runs_from_an_inbound_webhook(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    r = web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com")
    assert r.returncode == 0, r.stderr
    site_key = re.search(r"site_[A-Za-z0-9]+", r.stdout).group(0)
    r = web.admin("action", "run", "departments.create", "--site-key", site_key, "--json", '{"name":"Technical"}')
    assert r.returncode == 0, r.stdout + r.stderr
    sign_in(browser, web, "owner@example.com", PASSWORD)

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/triggers"]'))
    assert browser.find_element(By.ID, "empty").is_displayed()
    assert "slug=stripe" in browser.find_element(By.ID, "platform-url-stripe").text
    click_and_wait(browser, browser.find_element(By.ID, "new-automation"))
    browser.find_element(By.ID, "name").send_keys("Auto-create ticket from monitoring")
    Select(browser.find_element(By.ID, "trigger_kind")).select_by_value("webhook")
    browser.find_element(By.ID, "condition").send_keys('payload.status = "down"')
    Select(browser.find_element(By.ID, "step1_action")).select_by_value("tickets.create")
    browser.find_element(By.ID, "step1_params").send_keys(json.dumps({
        "department": "Technical", "subject": "Server {{payload.hostname}} down", "priority": "urgent",
        "message": "Monitoring reports {{payload.hostname}} as {{payload.status}}.", "customer_email": "monitoring@example.com"}))
    click_and_wait(browser, browser.find_element(By.ID, "save"))
    assert "Automation saved." in browser.find_element(By.ID, "flash").text
    hook = browser.find_element(By.ID, "hook-url").text
    assert "/hooks/ah_" in hook

    # The monitoring system's POST (no browser involved); the worker inside opsiq-web runs the job.
    req = urllib.request.Request(hook, data=json.dumps({"status": "down", "hostname": "web-1"}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 202
        assert json.loads(resp.read())["status"] == "queued"
    deadline = time.time() + 20
    while time.time() < deadline:
        browser.get(web.base + "/admin/tickets")
        if "Server web-1 down" in browser.page_source:
            break
        time.sleep(0.5)
    assert "Server web-1 down" in browser.page_source, "the automation created the ticket"

    browser.get(web.base + "/admin/triggers")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#automations a.automation-link"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#run-log tr.run.status-succeeded")
    assert len(rows) == 1, browser.find_element(By.ID, "run-log").text

    # A dry run renders the steps with sample input and writes nothing.
    dry = browser.find_element(By.ID, "dry-input")
    dry.clear()
    dry.send_keys('{"status": "down", "hostname": "db-2"}')
    click_and_wait(browser, browser.find_element(By.ID, "dry-run-button"))
    assert browser.find_element(By.ID, "dry-condition").text == "holds"
    assert "Server db-2 down" in browser.find_element(By.ID, "dry-steps").text
    browser.save_screenshot(os.path.join(SHOTS, "automation-edit.png"))
    browser.get(web.base + "/admin/tickets")
    assert "Server db-2 down" not in browser.page_source

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/event-catalog"]'))
    assert "order.completed" in browser.find_element(By.ID, "event-catalog").text
    logs = browser.get_log("browser")
    assert not [e for e in logs if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")], logs
