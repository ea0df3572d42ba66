"""The first-run setup page, as an operator uses it in a browser."""
import os

from selenium.webdriver.common.by import By

from conftest import click_and_wait, wait_for_url

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")


def fill(browser, **fields):
    for name, value in fields.items():
        el = browser.find_element(By.NAME, name)
        el.clear()
        el.send_keys(value)


def test_setup_creates_owner_and_site_and_shows_the_snippet(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    token = web.admin("setup-token").stdout.strip().split("token=")[1]

    browser.get(web.base + "/")
    assert browser.current_url.endswith("/setup"), "a new install leads to the setup page"
    assert "Welcome to OpsIQ" in browser.page_source

    # Wrong token: refused, with the message beside the field.
    fill(browser, token="wrong", name="Ann Owner", email="ann@example.com", password="correct horse battery",
         site_name="Ann's Shop", domain="shop.example.com")
    click_and_wait(browser, browser.find_element(By.ID, "create"))
    assert "does not match" in browser.find_element(By.ID, "err-token").text

    # Short password: refused, other values kept.
    fill(browser, token=token, password="short")
    click_and_wait(browser, browser.find_element(By.ID, "create"))
    assert "at least 12 characters" in browser.find_element(By.ID, "err-password").text
    assert browser.find_element(By.NAME, "email").get_attribute("value") == "ann@example.com"
    browser.save_screenshot(os.path.join(SHOTS, "setup-error.png"))

    fill(browser, password="correct horse battery")
    click_and_wait(browser, browser.find_element(By.ID, "create"))
    assert "Setup complete" in browser.find_element(By.ID, "setup-done").text
    snippet = browser.find_element(By.ID, "snippet").text
    site_key = browser.find_element(By.ID, "site-key").text
    assert site_key.startswith("site_") and len(site_key) == 29
    assert snippet == f'<script src="{web.base}/widget.php" data-site-key="{site_key}" async></script>'
    browser.save_screenshot(os.path.join(SHOTS, "setup-done.png"))

    # Set up once: the page now sends you on, and the CLI sees the Owner.
    browser.get(web.base + "/setup")
    assert "/login" in browser.current_url, "once set up, the setup page leads to the sign-in page"
    assert browser.find_element(By.ID, "sign-in")
    again = web.admin("create-owner", "--email", "x@example.com", "--name", "X", "--password-stdin", stdin="correct horse battery\n")
    assert again.returncode == 1 and "Owner" in again.stderr


def test_setup_page_fits_a_phone(web, browser):
    browser.set_window_size(375, 800)
    browser.get(web.base + "/setup")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 375, f"no sideways scrolling on a phone (content is {width}px wide)"
    field = browser.find_element(By.NAME, "email")
    assert field.size["width"] > 250, "inputs use the screen's width"
    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, "setup-phone.png"))
