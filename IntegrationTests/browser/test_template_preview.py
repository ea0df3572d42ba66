"""The email template editor's live preview in a real browser: typing in the editor updates the rendered
email in the sandboxed preview frame (debounced, posted with the CSRF token); template-authored script
never runs in it; no console errors under the strict CSP."""
import os
import time

from selenium.webdriver.common.by import By

from conftest import navigate_by
from test_login_2fa import PASSWORD, sign_in

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")


def frame_text(browser, element_id):
    """The text of an element inside the preview frame ('' while it is not there)."""
    from selenium.common.exceptions import WebDriverException
    try:
        browser.switch_to.frame(browser.find_element(By.ID, "live-preview"))
        found = browser.find_elements(By.ID, element_id) if element_id else browser.find_elements(By.TAG_NAME, "body")
        return found[0].text if found else ""
    except WebDriverException:
        return ""  # the frame is between two documents: ask again
    finally:
        browser.switch_to.default_content()


def wait_frame(browser, element_id, wanted, timeout=30):
    end = time.time() + timeout
    text = ""
    while time.time() < end:
        text = frame_text(browser, element_id)
        if wanted in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"{wanted!r} never appeared in #{element_id} of the preview: {text!r}")


def test_live_preview_updates_as_the_admin_types(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com").returncode == 0
    sign_in(browser, web, "owner@example.com", PASSWORD)
    navigate_by(browser, lambda: browser.get(web.base + "/admin/email-templates?key=ticket_received"))

    # The first render comes without typing: the saved text inside the layout, sample values filled in.
    frame = browser.find_element(By.ID, "live-preview")
    assert frame.get_attribute("sandbox") == "", "sandboxed without allow-scripts"
    wait_frame(browser, "preview-frame-subject", "We received your request [T-12345]")

    # Typing updates it (after the debounce).
    body = browser.find_element(By.ID, "t-body")
    body.clear()
    body.send_keys("Hello {{customer_name}}, live preview works.")
    browser.find_element(By.ID, "t-subject").send_keys(" NEW")
    wait_frame(browser, "preview-frame-subject", "NEW")
    browser.switch_to.frame(frame)
    assert "Hello Jane Doe, live preview works." in browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()

    # An unknown variable: the frame says so; fixing it brings the email back.
    body.send_keys(" {{custmer}}")
    wait_frame(browser, "preview-frame-error", "{{custmer}}")
    for _ in range(len(" {{custmer}}")):
        body.send_keys("\ue003")  # backspace
    wait_frame(browser, "preview-frame-subject", "NEW")

    # The layout: template-authored script and handlers never run in the preview.
    navigate_by(browser, lambda: browser.get(web.base + "/admin/email-templates?key=layout"))
    body = browser.find_element(By.ID, "t-body")
    body.clear()
    body.send_keys('<div style="color:#c00" onmouseover="window.parent.document.title=\'pwned\'">Brand of {{business_name}}</div>'
                   '<script>window.parent.document.title="pwned"</script><img src=x onerror="window.parent.document.title=\'pwned\'">{{content}}')
    wait_frame(browser, None, "Brand of Shop")
    browser.switch_to.frame(browser.find_element(By.ID, "live-preview"))
    assert not browser.find_elements(By.TAG_NAME, "script")
    assert not browser.find_elements(By.CSS_SELECTOR, "[onmouseover], [onerror]")
    assert browser.find_element(By.XPATH, "//div[contains(., 'Brand of Shop')]").value_of_css_property("color") == "rgba(204, 0, 0, 1)"
    assert "Hi Jane," in browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert browser.title != "pwned"
    browser.save_screenshot(os.path.join(SHOTS, "template-live-preview.png"))

    logs = browser.get_log("browser")
    errors = [e for e in logs if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")
              and "preview" not in e.get("message", "")]
    assert not errors, f"no console errors: {errors}"
