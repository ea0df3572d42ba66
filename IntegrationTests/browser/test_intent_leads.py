"""The Intent funnel and Leads pages in a real browser on seeded data (opsiq-admin dev seed-analytics). Figures are
checked against counts made directly in the SQLite file; the comparison range, the class filter and a lead's detail
panel are used; each page is saved as a screenshot. No console errors under the strict CSP."""
import os
import sqlite3

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import click_and_wait
from test_analytics import SHOTS, day_range, no_console_errors, number
from test_login_2fa import PASSWORD, sign_in


def test_intent_and_leads_on_seeded_data(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com").returncode == 0
    r = web.admin("dev", "seed-analytics", "--events", "6000", "--days", "20", "--seed", "5")
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))
    sign_in(browser, web, "owner@example.com", PASSWORD)

    # Intent funnel, last 7 days: the classified sessions add up to the sessions in the database, bouncing sessions
    # (one page, under 10 s) are counted the same way, and the funnel chart has accessible labels.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/intent"]'))
    a, b = day_range(7)
    sessions, bounces = db.execute("""SELECT COUNT(*), SUM(CASE WHEN pageviews <= 1 AND engaged_ms < 10000 THEN 1 ELSE 0 END) FROM tracking_sessions
                                      WHERE started_at >= ? AND started_at < ? AND is_bot = 0""", (a, b)).fetchone()
    assert sessions > 0
    counts = {row.get_attribute("id")[len("stage-"):]: number(row.find_element(By.CSS_SELECTOR, "td.sessions").text)
              for row in browser.find_elements(By.CSS_SELECTOR, "#intent-table tr.stage-row")}
    assert set(counts) == {"browsing", "researching", "comparing", "buying", "support", "bouncing"}
    assert sum(counts.values()) == sessions
    assert counts["bouncing"] == bounces
    # The classes are stored with the sessions (migration 26), under the key of the site's rules.
    stored = dict(db.execute("SELECT intent, COUNT(*) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0 AND intent_rules != ''"
                             " GROUP BY intent", (a, b)).fetchall())
    assert stored == {k: v for k, v in counts.items() if v}
    assert not browser.find_elements(By.ID, "pending")
    assert counts["buying"] > 0 and counts["comparing"] > 0
    assert browser.find_element(By.CSS_SELECTOR, "svg#intent-funnel title").get_attribute("textContent").startswith("Intent funnel")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#intent-funnel rect.bar")) == 6
    browser.save_screenshot(os.path.join(SHOTS, "intent-funnel.png"))

    # Compare with the last 30 days and list only the buying sessions, each with the rule that decided it.
    Select(browser.find_element(By.ID, "compare")).select_by_value("last_30_days")
    Select(browser.find_element(By.ID, "f-intent")).select_by_value("buying")
    click_and_wait(browser, browser.find_element(By.ID, "apply-range"))
    assert "compare=last_30_days" in browser.current_url
    a30, b30 = day_range(30)
    sessions30 = db.execute("SELECT COUNT(*) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0", (a30, b30)).fetchone()[0]
    others = [number(td.text) for td in browser.find_elements(By.CSS_SELECTOR, "#intent-table td.other")]
    assert sum(others) == sessions30 > sessions
    assert browser.find_elements(By.CSS_SELECTOR, "svg#intent-funnel-compare")
    assert f"{counts['buying']} session(s)" in browser.find_element(By.ID, "count").text
    reasons = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#intent-sessions td.reason")]
    assert reasons and all("buying page" in r for r in reasons)
    browser.save_screenshot(os.path.join(SHOTS, "intent-funnel-compare.png"))
    no_console_errors(browser)

    # Leads, last 30 days: every lead's row, highest score first; open the top lead's detail panel.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/leads"]'))
    rows = browser.find_elements(By.CSS_SELECTOR, "#leads tr.lead-row")
    assert rows
    scores = [number(r.find_element(By.CSS_SELECTOR, "td.score").text) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    for r in rows:
        high = bool(r.find_elements(By.CSS_SELECTOR, ".high-value"))
        assert high == (number(r.find_element(By.CSS_SELECTOR, "td.score").text) > 80)
    top = rows[0].get_attribute("data-visitor")
    top_sessions = number(rows[0].find_elements(By.CSS_SELECTOR, "td")[2].text)
    expected_sessions = db.execute("SELECT COUNT(*) FROM tracking_sessions WHERE visitor_key = ? AND started_at >= ? AND started_at < ? AND is_bot = 0",
                                   (top, a30, b30)).fetchone()[0]
    assert top_sessions == expected_sessions
    browser.save_screenshot(os.path.join(SHOTS, "leads.png"))
    click_and_wait(browser, rows[0].find_element(By.CSS_SELECTOR, "a.lead-link"))
    panel = browser.find_element(By.ID, "lead-detail")
    assert f"Score {scores[0]}" in panel.text
    parts = [number(tr.find_elements(By.CSS_SELECTOR, "td")[1].text) for tr in panel.find_elements(By.CSS_SELECTOR, "#score-breakdown tr.part-row")]
    assert len(parts) == 7 and sum(parts) == scores[0]
    assert "Not yet" in browser.find_element(By.ID, "crm-status").text
    assert browser.find_element(By.ID, "sales-tip").text
    assert len(panel.find_elements(By.CSS_SELECTOR, "tr.lead-session")) == expected_sessions
    views = db.execute("""SELECT COUNT(*) FROM tracking_events e JOIN tracking_sessions s ON s.workspace_id = e.workspace_id AND s.visitor_key = e.visitor_key
                          AND e.ts >= s.started_at AND e.ts <= s.last_at WHERE s.visitor_key = ? AND s.started_at >= ? AND s.started_at < ? AND s.is_bot = 0
                          AND e.type = 'pageview'""", (top, a30, b30)).fetchone()[0]
    assert len(panel.find_elements(By.CSS_SELECTOR, "tr.lead-page")) == min(views, 200)
    browser.save_screenshot(os.path.join(SHOTS, "lead-detail.png"))
    no_console_errors(browser)
