"""The analytics pages in a real browser on seeded data (opsiq-admin dev seed-analytics): the Dashboard, the
Visitor log, Sessions with a session's detail, Top pages, Geo intelligence, the Events log and the Live feed. Figures on the pages are checked against
counts made directly in the SQLite file; the date picker and filters are used; each page is saved as a
screenshot. No console errors under the strict CSP."""
import datetime
import os
import re
import sqlite3

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import click_and_wait, navigate_by
from test_login_2fa import PASSWORD, sign_in

SHOTS = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")


def day_range(days):
    """[start, end) in epoch ms of the last `days` UTC days including today (the site's zone is UTC)."""
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - datetime.timedelta(days=days - 1)
    end = today + datetime.timedelta(days=1)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def number(text):
    return int(re.sub(r"[^0-9]", "", text))


def no_console_errors(browser):
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert not errors, errors


def test_analytics_pages_on_seeded_data(web, browser):
    os.makedirs(SHOTS, exist_ok=True)
    r = web.admin("create-owner", "--email", "owner@example.com", "--name", "Olive Owner", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert web.admin("create-site", "--name", "Shop", "--domain", "shop.example.com").returncode == 0
    r = web.admin("dev", "seed-analytics", "--events", "12000", "--days", "20", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "Stored" in r.stdout
    db = sqlite3.connect(os.path.join(web.data, "opsiq.sqlite"))

    sign_in(browser, web, "owner@example.com", PASSWORD)

    # Dashboard, last 7 days by default: unique visitors and sessions as counted in the database.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin"]'))
    a, b = day_range(7)
    visitors, sessions = db.execute("SELECT COUNT(DISTINCT visitor_key), COUNT(*) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0",
                                    (a, b)).fetchone()
    assert visitors > 0
    assert number(browser.find_element(By.ID, "unique-visitors").text) == visitors
    assert f"{sessions} visits" in browser.find_element(By.ID, "card-visitors").text
    assert browser.find_element(By.CSS_SELECTOR, "svg#trend-chart title").get_attribute("textContent").startswith("Unique visitors per day")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#trend-chart circle.point")) == 7
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#heatmap rect.cell")) == 7 * 24
    assert browser.find_elements(By.CSS_SELECTOR, "#top-sources tbody tr")
    assert "No sales source is connected" in browser.find_element(By.ID, "card-sales").text
    browser.save_screenshot(os.path.join(SHOTS, "analytics-dashboard.png"))

    # The date picker: Last 30 days.
    Select(browser.find_element(By.ID, "range")).select_by_value("last_30_days")
    click_and_wait(browser, browser.find_element(By.ID, "apply-range"))
    assert "range=last_30_days" in browser.current_url
    a30, b30 = day_range(30)
    visitors30 = db.execute("SELECT COUNT(DISTINCT visitor_key) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0", (a30, b30)).fetchone()[0]
    assert number(browser.find_element(By.ID, "unique-visitors").text) == visitors30 > visitors
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#trend-chart circle.point")) == 30
    no_console_errors(browser)

    # Visitor log: the campaign worked example (search "summer-sale").
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/visitor-log"]'))
    browser.find_element(By.ID, "f-search").send_keys("summer-sale")
    click_and_wait(browser, browser.find_element(By.ID, "filter"))
    expected = db.execute("""SELECT COUNT(*) FROM tracking_events e LEFT JOIN visitors v ON v.workspace_id = e.workspace_id AND v.visitor_key = e.visitor_key
                             WHERE e.type = 'pageview' AND e.ts >= ? AND e.ts < ? AND (e.url LIKE '%summer-sale%' OR e.referrer LIKE '%summer-sale%' OR e.ip LIKE 'summer-sale%'
                             OR v.email LIKE '%summer-sale%')""", (a, b)).fetchone()[0]
    assert expected > 0
    assert number(browser.find_element(By.ID, "count").text.split("page view")[0]) == expected
    rows = browser.find_elements(By.CSS_SELECTOR, "#visits tbody tr.visit-row")
    assert 0 < len(rows) <= 50
    browser.save_screenshot(os.path.join(SHOTS, "analytics-visitor-log.png"))
    # Click an IP: every visit from it.
    ip = rows[0].find_element(By.CSS_SELECTOR, "a.ip-link").text
    click_and_wait(browser, rows[0].find_element(By.CSS_SELECTOR, "a.ip-link"))
    assert ip in browser.find_element(By.ID, "ip-filter").text
    ips = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "#visits tbody tr.visit-row td:nth-child(2)")}
    assert ips == {ip}
    # CSV export of the same table.
    csv_link = browser.find_element(By.ID, "export-csv").get_attribute("href")
    assert "format=csv" in csv_link

    # Sessions: Paid traffic only; the count matches the database; open one session.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/sessions"]'))
    Select(browser.find_element(By.ID, "f-source")).select_by_value("Paid")
    click_and_wait(browser, browser.find_element(By.ID, "filter"))
    paid = db.execute("SELECT COUNT(*) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0 AND source = 'Paid'", (a, b)).fetchone()[0]
    assert paid > 0
    assert number(browser.find_element(By.ID, "count").text.split("session")[0]) == paid
    browser.save_screenshot(os.path.join(SHOTS, "analytics-sessions.png"))
    first = browser.find_element(By.CSS_SELECTOR, "#sessions tbody tr.session-row a.session-link")
    sid = first.get_attribute("href").rsplit("/", 1)[1]
    click_and_wait(browser, first)
    pages = db.execute("SELECT pageviews FROM tracking_sessions WHERE id = ?", (int(sid),)).fetchone()[0]
    assert number(browser.find_element(By.ID, "s-pages").text) == pages
    assert len(browser.find_elements(By.CSS_SELECTOR, "#page-flow tr.flow-row")) == pages
    browser.save_screenshot(os.path.join(SHOTS, "analytics-session-detail.png"))

    # Top pages: views of the first page as counted in the database; sort by bounce rate (the header link).
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/top-pages"]'))
    first = browser.find_element(By.CSS_SELECTOR, "#top-pages tbody tr.page-row")
    path = first.find_element(By.CSS_SELECTOR, "a.page-link").text
    views = db.execute("SELECT COUNT(*) FROM tracking_events WHERE type = 'pageview' AND is_bot = 0 AND path = ? AND ts >= ? AND ts < ?", (path, a, b)).fetchone()[0]
    assert number(first.find_elements(By.TAG_NAME, "td")[1].text) == views > 0
    click_and_wait(browser, browser.find_element(By.ID, "sort-bounce"))
    assert "sort=bounce" in browser.current_url
    rates = [float(tr.find_elements(By.TAG_NAME, "td")[3].text.rstrip("%")) for tr in browser.find_elements(By.CSS_SELECTOR, "#top-pages tbody tr.page-row")]
    assert rates == sorted(rates, reverse=True) and len(rates) > 3
    browser.save_screenshot(os.path.join(SHOTS, "analytics-top-pages.png"))

    # Page groups (setting analytics.page_groups): the blog posts become one row with each visitor counted once.
    assert "Every page is its own row" in browser.find_element(By.ID, "grouping-hint").text
    site_key = db.execute("SELECT site_key FROM workspaces ORDER BY id LIMIT 1").fetchone()[0]
    r = web.admin("action", "run", "settings.set", "--site-key", site_key, "--json", '{"name":"analytics.page_groups","value":"/blog/*"}')
    assert r.returncode == 0, r.stdout + r.stderr
    browser.refresh()
    group = browser.find_element(By.CSS_SELECTOR, "#top-pages tbody tr.page-group")
    assert group.find_element(By.CSS_SELECTOR, "a.page-link").text == "/blog/*"
    blog_views, blog_visitors, blog_pages = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT visitor_key), COUNT(DISTINCT path) FROM tracking_events WHERE type = 'pageview' AND is_bot = 0"
        " AND path LIKE '/blog/%' AND ts >= ? AND ts < ?", (a, b)).fetchone()
    cells = group.find_elements(By.TAG_NAME, "td")
    assert number(cells[1].text) == blog_views > 0
    assert number(cells[2].text) == blog_visitors
    assert f"{blog_pages} pages" in group.find_element(By.CSS_SELECTOR, ".group-badge").text and blog_pages >= 2
    assert not [a_.text for a_ in browser.find_elements(By.CSS_SELECTOR, "#top-pages a.page-link") if a_.text.startswith("/blog/") and a_.text != "/blog/*"]
    assert "search=%2Fblog%2F" in group.find_element(By.CSS_SELECTOR, "a.page-link").get_attribute("href")
    browser.save_screenshot(os.path.join(SHOTS, "analytics-top-pages-grouped.png"))

    # Geo intelligence: the countries' visitors as counted in the database; drill down into one country's cities.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/geo"]'))
    top = db.execute("SELECT country, COUNT(DISTINCT visitor_key) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0 AND country != ''"
                     " GROUP BY country ORDER BY 2 DESC, 1 LIMIT 1", (a, b)).fetchone()
    row = browser.find_element(By.CSS_SELECTOR, "#country-table tbody tr.country-row")
    assert row.find_element(By.TAG_NAME, "a").text == top[0]
    assert number(row.find_elements(By.TAG_NAME, "td")[1].text) == top[1]
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg#country-bars rect.bar")) >= 5
    assert browser.find_elements(By.CSS_SELECTOR, "svg#country-share path.slice")
    # The Spanish-speaking group: its visitors counted once, as in the database; and the CSV export of countries and groups.
    spanish = ("AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "ES", "GQ", "GT", "HN", "MX", "NI", "PA", "PE", "PR", "PY", "SV", "UY", "VE")
    hispanic = db.execute("SELECT COUNT(DISTINCT visitor_key) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0 AND country IN (%s)"
                          % ",".join("?" * len(spanish)), (a, b) + spanish).fetchone()[0]
    assert hispanic > 0
    group = browser.find_element(By.ID, "group-spanish")
    assert group.find_elements(By.TAG_NAME, "td")[0].text == "Spanish-speaking" and number(group.find_elements(By.TAG_NAME, "td")[1].text) == hispanic
    csv_text = browser.execute_async_script("const done = arguments[arguments.length - 1];"
                                            " fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done);",
                                            browser.find_element(By.ID, "export-csv").get_attribute("href"))
    assert csv_text.splitlines()[0] == "name,kind,visitors,sessions,bounce_rate,conversion_rate"
    assert f"\r\n{top[0]},country,{top[1]}," in csv_text and f"\r\nSpanish-speaking,group,{hispanic}," in csv_text
    browser.save_screenshot(os.path.join(SHOTS, "analytics-geo.png"))
    click_and_wait(browser, row.find_element(By.TAG_NAME, "a"))
    assert f"Cities in {top[0]}" in browser.find_element(By.ID, "cities").text
    cities = db.execute("SELECT COUNT(DISTINCT city) FROM tracking_sessions WHERE started_at >= ? AND started_at < ? AND is_bot = 0 AND country = ?", (a, b, top[0])).fetchone()[0]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#city-table tr.city-row")) == cities

    # Events log: the conversion events by name, counted in the database.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/events"]'))
    browser.find_element(By.ID, "f-type").send_keys("order.completed")
    click_and_wait(browser, browser.find_element(By.ID, "filter"))
    orders = db.execute("SELECT COUNT(*) FROM tracking_events WHERE (type = 'order.completed' OR name = 'order.completed') AND ts >= ? AND ts < ?", (a, b)).fetchone()[0]
    assert orders > 0
    assert number(browser.find_element(By.ID, "count").text.split("event")[0]) == orders
    assert "USD" in browser.find_element(By.CSS_SELECTOR, "#events tbody tr.event-row td.props").text
    browser.save_screenshot(os.path.join(SHOTS, "analytics-events-log.png"))

    # Live feed: the count shown is the database's, and Pause / Resume toggles.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav.side a[href="/admin/live-feed"]'))
    toggle = browser.find_element(By.ID, "live-toggle")
    assert toggle.text == "Pause"
    toggle.click()
    assert toggle.text == "Resume" and toggle.get_attribute("data-paused") == "1"
    toggle.click()
    assert toggle.text == "Pause"
    browser.save_screenshot(os.path.join(SHOTS, "analytics-live-feed.png"))

    # Live feed filters: two visitors active right now (one from Spain on a phone via Google, one from Germany),
    # then the country and device filters keep only the matching sessions, as counted in the database.
    ws = db.execute("SELECT DISTINCT workspace_id FROM tracking_sessions").fetchone()[0]
    now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    for key, country, device, ref in [("live-es", "ES", "mobile", "www.google.es"), ("live-de", "DE", "desktop", "")]:
        db.execute("INSERT INTO tracking_sessions (workspace_id, visitor_key, started_at, last_at, entry_path, exit_path, pageviews, events, engaged_ms, source,"
                   " referrer_domain, utm_campaign, country, device, browser, os, is_bot, converted, city) VALUES (?, ?, ?, ?, '/', '/pricing', 2, 2, 0, 'Organic', ?, NULL, ?, ?,"
                   " 'Firefox', 'Linux', 0, 0, '')", (ws, key, now_ms - 20_000, now_ms - 5_000, ref, country, device))
    db.commit()
    browser.find_element(By.ID, "live-country").send_keys("es")
    Select(browser.find_element(By.ID, "live-device")).select_by_value("mobile")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#live-filters button[type=submit]"))
    shown = [tr.find_elements(By.TAG_NAME, "td")[3].text for tr in browser.find_elements(By.CSS_SELECTOR, "#live-rows tr.live-row")]
    expected = db.execute("SELECT COUNT(*) FROM tracking_sessions WHERE workspace_id = ? AND last_at >= ? AND is_bot = 0 AND country = 'ES' AND device = 'mobile'",
                          (ws, now_ms - 60_000)).fetchone()[0]
    assert shown and all(c == "ES" for c in shown) and len(shown) == expected
    assert browser.find_element(By.ID, "live-country").get_attribute("value") == "ES" and browser.find_element(By.ID, "live-clear")
    browser.find_element(By.ID, "live-country").clear()
    browser.find_element(By.ID, "live-country").send_keys("de")
    Select(browser.find_element(By.ID, "live-device")).select_by_value("")
    browser.find_element(By.ID, "live-referrer").send_keys("google")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#live-filters button[type=submit]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#live-rows tr.live-row")
    assert "matches these filters" in browser.find_element(By.ID, "empty").text
    browser.save_screenshot(os.path.join(SHOTS, "analytics-live-feed-filtered.png"))
    no_console_errors(browser)
