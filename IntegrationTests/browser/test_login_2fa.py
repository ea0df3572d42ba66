"""Sign in through the real login page, turn on 2FA, sign in again with a code, reach the dashboard."""
import base64
import hashlib
import hmac
import json
import os
import struct
import time
import urllib.request

from selenium.webdriver.common.by import By

from conftest import click_and_wait, navigate_by, wait_for_url

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")
PASSWORD = "correct horse battery"


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238, as an authenticator app computes it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def sign_in(browser, web, email, password):
    browser.get(web.base + "/admin")
    assert "/login" in browser.current_url, "signed-out visitors are sent to the sign-in page"
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.ID, "sign-in"))


def test_login_enable_2fa_and_login_again_with_a_code(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr

    # A wrong password is refused with a message and the email kept.
    sign_in(browser, web, "owner@example.com", "not the password")
    assert "incorrect" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "email").get_attribute("value") == "owner@example.com"

    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.ID, "sign-in"))
    assert browser.current_url.endswith("/admin")
    assert "Olive Owner" in browser.find_element(By.ID, "me").text

    # Turn on two-factor authentication from the Security page.
    browser.get(web.base + "/admin/security")
    click_and_wait(browser, browser.find_element(By.ID, "start-2fa"))
    secret = browser.find_element(By.ID, "totp-secret").text
    assert browser.find_element(By.ID, "totp-uri").get_attribute("href").startswith("otpauth://totp/")
    browser.find_element(By.ID, "code").send_keys(totp(secret))
    click_and_wait(browser, browser.find_element(By.ID, "confirm-2fa"))
    codes = browser.find_element(By.ID, "recovery-codes").text
    assert codes.count("-") >= 10, "ten recovery codes are shown once"
    browser.save_screenshot(os.path.join(SHOTS, "2fa-on.png"))

    # Sign out, then in again: now a code is asked for.
    click_and_wait(browser, browser.find_element(By.ID, "logout"))
    assert "signed out" in browser.find_element(By.ID, "flash").text
    sign_in(browser, web, "owner@example.com", PASSWORD)
    assert "/login/2fa" in browser.current_url
    browser.find_element(By.ID, "code").send_keys("000000")
    click_and_wait(browser, browser.find_element(By.ID, "verify"))
    assert "not valid" in browser.find_element(By.ID, "error").text
    # The same code that turned 2FA on cannot be replayed; wait for the next 30-second step (and stay clear of its end).
    time.sleep(30 - time.time() % 30 + 0.5)
    if time.time() % 30 > 25:
        time.sleep(6)
    browser.find_element(By.ID, "code").send_keys(totp(secret))
    click_and_wait(browser, browser.find_element(By.ID, "verify"))
    assert browser.current_url.endswith("/admin")
    assert "Dashboard" in browser.find_element(By.TAG_NAME, "h1").text
    browser.save_screenshot(os.path.join(SHOTS, "dashboard.png"))


def test_openapi_document_is_valid_and_lists_every_action(web):
    from openapi_spec_validator import validate
    with urllib.request.urlopen(web.base + "/api/docs/openapi.json", timeout=10) as r:
        doc = json.load(r)
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    assert doc["openapi"].startswith("3.1")
    listed = json.loads(web.admin("action", "list", "--json").stdout)
    assert listed, "the CLI lists the registry"
    mapping = doc["paths"]["/api/v1.php"]["post"]["requestBody"]["content"]["application/json"]["schema"]["discriminator"]["mapping"]
    assert set(mapping) == {a["name"] for a in listed}, "every registered action is documented"
    with urllib.request.urlopen(web.base + "/api/docs/", timeout=10) as r:
        page = r.read().decode()
    for a in listed:
        assert f'id="action-{a["name"]}"' in page


def test_admin_works_under_the_strict_content_security_policy(web, browser):
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    for name, domain in (("Shop", "shop.example.com"), ("Blog", "blog.example.com")):
        assert web.admin("create-site", "--name", name, "--domain", domain).returncode == 0
    sign_in(browser, web, "owner@example.com", PASSWORD)
    assert browser.current_url.endswith("/admin")
    # The site switcher submits itself through the external script (inline handlers would be blocked).
    from selenium.webdriver.support.ui import Select
    navigate_by(browser, lambda: Select(browser.find_element(By.ID, "ws")).select_by_visible_text("Blog"))
    assert "Now working in Blog" in browser.find_element(By.ID, "flash").text
    # The presence heartbeat answers the page's script.
    online = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch("/admin/heartbeat", {method: "POST", headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}})
          .then(r => r.json()).then(j => done(j.online)).catch(e => done(-1));
    """)
    assert online >= 1
    for page in ("/admin", "/admin/team", "/admin/settings", "/admin/api-keys", "/admin/security"):
        browser.get(web.base + page)
    csp = [e for e in browser.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    assert not csp, f"no CSP violations: {csp}"
