"""The admin ticket pages in a real browser: create a ticket from the form, reply, add an internal note,
pick a canned response (the auto-submitting select), change the status; no console errors under the strict CSP."""
import os

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import click_and_wait, navigate_by
from test_login_2fa import PASSWORD, sign_in

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")


def test_ticket_pages_create_reply_note_canned_and_status(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com").returncode == 0
    sign_in(browser, web, "owner@example.com", PASSWORD)

    # The menu's Tickets entry is the real queue.
    link = browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/tickets"]')
    click_and_wait(browser, link)
    assert browser.current_url.endswith("/admin/tickets")
    assert browser.find_element(By.ID, "empty").is_displayed()

    # New ticket from the form; customer text with markup stays text.
    browser.find_element(By.ID, "nt-subject").send_keys("Double charge on my account")
    browser.find_element(By.ID, "nt-email").send_keys("ada@example.com")
    browser.find_element(By.ID, "nt-name").send_keys("Ada Lovelace")
    Select(browser.find_element(By.ID, "nt-priority")).select_by_value("high")
    browser.find_element(By.ID, "nt-message").send_keys('I was charged twice <img src=x id="injected">')
    click_and_wait(browser, browser.find_element(By.ID, "create-ticket"))
    assert "/admin/tickets/1" in browser.current_url
    assert "Created T-1." in browser.find_element(By.ID, "flash").text
    assert "Double charge on my account" in browser.find_element(By.ID, "ticket-subject").text
    assert browser.find_element(By.ID, "t-priority").text == "high"
    assert not browser.find_elements(By.ID, "injected"), "customer markup is shown as text"
    assert '<img src=x id="injected">' in browser.find_element(By.CSS_SELECTOR, ".msg.customer .body").text

    # A reply, then an internal note (shown apart, with the note class).
    browser.find_element(By.ID, "reply-message").send_keys("Hi Ada, refund is on its way.")
    click_and_wait(browser, browser.find_element(By.ID, "send-reply"))
    assert "Added to T-1." in browser.find_element(By.ID, "flash").text
    browser.find_element(By.ID, "reply-message").send_keys("Confirmed duplicate in Stripe: ch_1 and ch_2.")
    browser.find_element(By.ID, "internal").click()
    click_and_wait(browser, browser.find_element(By.ID, "send-reply"))
    notes = browser.find_elements(By.CSS_SELECTOR, "#thread .msg.note")
    assert len(notes) == 1 and "ch_1 and ch_2" in notes[0].text and "internal note" in notes[0].text
    kinds = [li.get_attribute("class") for li in browser.find_elements(By.CSS_SELECTOR, "#thread > li")]
    assert kinds == ["msg customer", "msg agent", "msg agent note"], kinds

    # A canned response (created through the admin's action endpoint with the page's CSRF token),
    # picked with the select: the external script submits it and the reply box comes back filled in.
    created = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const f = document.getElementById("reply-form");
        const body = new URLSearchParams({_csrf: f.elements["_csrf"].value, site_key: f.elements["site_key"].value, back: "/admin/tickets/1",
            title: "Refund issued", shortcut: "/refund", body: "Hi {{customer_name}}, your refund for {{ticket_id}} is on its way."});
        fetch("/admin/actions/canned.create", {method: "POST", body: body, redirect: "manual"}).then(r => done(r.type + " " + r.status)).catch(e => done(String(e)));
    """)
    assert created.startswith("opaqueredirect"), created
    browser.get(web.base + "/admin/tickets/1")
    navigate_by(browser, lambda: Select(browser.find_element(By.ID, "canned")).select_by_visible_text("Refund issued (/refund)"))
    assert browser.find_element(By.ID, "reply-message").get_attribute("value") == "Hi Ada Lovelace, your refund for T-1 is on its way."

    # Status change.
    Select(browser.find_element(By.ID, "status")).select_by_value("waiting_on_customer")
    click_and_wait(browser, browser.find_element(By.ID, "set-status"))
    assert "Status changed." in browser.find_element(By.ID, "flash").text
    assert browser.find_element(By.ID, "t-status").text == "Waiting on customer"
    browser.save_screenshot(os.path.join(SHOTS, "ticket.png"))

    # Back in the queue, with My tickets and the filters.
    click_and_wait(browser, browser.find_element(By.ID, "back-to-queue"))
    row = browser.find_element(By.ID, "row-1")
    assert "Waiting on customer" in row.text and "Ada Lovelace" in row.text
    click_and_wait(browser, browser.find_element(By.ID, "my-tickets"))
    assert browser.find_elements(By.ID, "empty"), "nobody assigned it yet"
    browser.get(web.base + "/admin/tickets?status=active")
    assert browser.find_elements(By.ID, "row-1")
    browser.save_screenshot(os.path.join(SHOTS, "tickets.png"))

    logs = browser.get_log("browser")
    csp = [e for e in logs if "Content Security Policy" in e.get("message", "")]
    assert not csp, f"no CSP violations: {csp}"
    errors = [e for e in logs if e.get("level") == "SEVERE" and "favicon.ico" not in e.get("message", "")]
    assert not errors, f"no console errors: {errors}"


def test_reply_with_a_file_and_department_sla_settings(web, browser, tmp_path):
    """The reply form uploads a file with the reply (multipart); Settings > Ticket departments creates a
    department and saves SLA targets that the next ticket in it uses."""
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com").returncode == 0
    sign_in(browser, web, "owner@example.com", PASSWORD)

    # Settings > Ticket departments: create Billing, give Urgent a 30-minute first response and escalation.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/settings/departments"]'))
    browser.find_element(By.ID, "new-name").send_keys("Billing")
    click_and_wait(browser, browser.find_element(By.ID, "create-department"))
    assert "Department created." in browser.find_element(By.ID, "flash").text
    card = browser.find_element(By.CSS_SELECTOR, ".department")
    did = card.get_attribute("id").split("-")[1]
    cell = browser.find_element(By.ID, f"sla-{did}-first_response-urgent")
    assert cell.get_attribute("value") == "60"
    cell.clear()
    cell.send_keys("30")
    browser.find_element(By.ID, f"escalate-{did}").click()
    click_and_wait(browser, browser.find_element(By.ID, f"save-sla-{did}"))
    assert "SLA targets saved." in browser.find_element(By.ID, "flash").text
    assert browser.find_element(By.ID, f"sla-{did}-first_response-urgent").get_attribute("value") == "30"
    assert browser.find_element(By.ID, f"escalate-{did}").is_selected()
    browser.save_screenshot(os.path.join(SHOTS, "departments.png"))

    # A ticket in Billing, then a reply with a PDF attached through the file input.
    browser.get(web.base + "/admin/tickets")
    browser.find_element(By.ID, "nt-subject").send_keys("Invoice copy")
    browser.find_element(By.ID, "nt-email").send_keys("ada@example.com")
    Select(browser.find_element(By.ID, "nt-department")).select_by_visible_text("Billing")
    Select(browser.find_element(By.ID, "nt-priority")).select_by_value("urgent")
    browser.find_element(By.ID, "nt-message").send_keys("Please send my invoice.")
    click_and_wait(browser, browser.find_element(By.ID, "create-ticket"))
    clock = browser.find_element(By.ID, "t-sla-first_response").text
    assert clock and clock != "—", clock
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n")
    browser.find_element(By.ID, "reply-message").send_keys("Here is your invoice.")
    browser.find_element(By.ID, "reply-files").send_keys(str(pdf))
    click_and_wait(browser, browser.find_element(By.ID, "send-reply"))
    assert "with 1 file(s)" in browser.find_element(By.ID, "flash").text
    links = browser.find_elements(By.CSS_SELECTOR, "#thread .msg.agent a.attachment")
    assert [a.text for a in links] == ["invoice.pdf"]
    assert browser.find_element(By.ID, "customer-panel").text.count("ada@example.com") >= 1
    browser.save_screenshot(os.path.join(SHOTS, "ticket-upload.png"))
    logs = browser.get_log("browser")
    assert not [e for e in logs if "Content Security Policy" in e.get("message", "")]
