"""The tracking widget (Sources/WebApp/Assets/widget.js) in real headless Chromium against widget_harness.py.

The site is served on one port and widget.js + /beacon.php on another, so every beacon is cross-origin.
Each test uses its own site key and only looks at records for that key.
"""
import collections
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from selenium.webdriver.common.by import By

HERE = os.path.dirname(os.path.abspath(__file__))
WIDGET = os.path.join(HERE, "..", "..", "Sources", "WebApp", "Assets", "widget.js")


class Harness:
    def __init__(self, tmp):
        self.out = os.path.join(tmp, "beacons.jsonl")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "widget_harness.py"), "--out", self.out],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY "), line + self.proc.stdout.read()
        urls = json.loads(line[6:])
        self.site, self.assets = urls["site"], urls["assets"]

    def control(self, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        urllib.request.urlopen(f"{self.assets}/control?{qs}", timeout=5).read()

    def records(self, key):
        with urllib.request.urlopen(self.assets + "/records", timeout=5) as r:
            return [x for x in json.loads(r.read()) if x["body"].get("site_key") == key]

    def events(self, key, acked_only=True):
        return [e for r in self.records(key) if r["status"] == 204 or not acked_only for e in r["body"]["events"]]

    def wait(self, key, pred, timeout=15, what="events"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            evs = self.events(key)
            if pred(evs):
                return evs
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; got: " + json.dumps(self.events(key), indent=1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(str(tmp_path_factory.mktemp("widget")))
    yield h
    h.stop()


@pytest.fixture
def key():
    return "site_t" + uuid.uuid4().hex[:12]


def of(evs, type_, **match):
    return [e for e in evs if e["type"] == type_ and all(e.get(k) == v for k, v in match.items())]


def open_site(browser, harness, key, path="/site/index.html", **q):
    qs = "&".join([f"key={key}"] + [f"{k}={v}" for k, v in q.items()])
    browser.get(f"{harness.site}{path}?{qs}")
    wait_widget(browser)


def wait_widget(browser, title=""):
    deadline = time.time() + 10
    while not browser.execute_script("return document.title.indexOf(arguments[0]) >= 0 && "
                                     "!!(window.OpsIQ && window.OpsIQ.version)", title):
        assert time.time() < deadline, "widget did not load"
        time.sleep(0.05)


def assert_unique_ids(evs):
    dup = [i for i, n in collections.Counter(e["id"] for e in evs).items() if n > 1]
    assert not dup, f"event ids acknowledged more than once: {dup}"


def test_queued_calls_replayed_in_order_and_pageview(harness, browser, key):
    open_site(browser, harness, key, "/site/page2.html", noqueue=1)
    browser.find_element(By.ID, "to-index").click()  # a real navigation, so document.referrer is page2
    evs = harness.wait(key, lambda e: of(e, "pageview", path="/site/index.html"))
    page2_url = f"{harness.site}/site/page2.html?key={key}&noqueue=1"
    index_pv = of(evs, "pageview", path="/site/index.html")
    assert len(index_pv) == 1
    pv = index_pv[0]
    assert pv["url"] == f"{harness.site}/site/index.html?key={key}&noqueue=1"
    assert pv["referrer"] == page2_url
    assert pv["title"] == "Harness index"
    scr, lang = browser.execute_script("return [screen.width + 'x' + screen.height, navigator.language]")
    assert pv["screen"] == scr and re.match(r"^\d+x\d+$", scr)
    assert pv["lang"] == lang and lang
    assert pv["tz"]
    assert re.match(r"^[0-9a-f]{32}$", pv["id"]) and abs(pv["ts"] / 1000 - time.time()) < 60
    # noqueue=1 was passed along, so the queue on index is absent: now load index with the queue.
    browser.get(f"{harness.site}/site/index.html?key={key}")
    evs = harness.wait(key, lambda e: len(of(e, "custom", name="queued.third")) == 1)
    seq = [e for e in evs if e["path"] == "/site/index.html" and e["url"].endswith(f"key={key}")]
    kinds = [(e["type"], e.get("name")) for e in seq if e["type"] != "engagement"]
    assert kinds[:4] == [("pageview", None), ("custom", "signup.completed"), ("identify", None), ("custom", "queued.third")]
    assert seq[0]["referrer"] == "", "a direct load has no referrer"
    assert of(evs, "custom", name="signup.completed")[0]["props"] == {"plan": "pro"}
    assert of(evs, "identify")[0]["identity"] == {"id": "42", "email": "a@b.com", "name": "Ann"}
    recs = harness.records(key)
    assert all(r["content_type"] == "text/plain;charset=UTF-8" for r in recs)
    assert all(r["origin"] == harness.site and not r["cookie"] for r in recs)
    bodies = [r["body"] for r in recs]
    assert all(re.match(r"^[0-9a-f]{32}$", b["visitor_id"]) for b in bodies)
    assert len({b["visitor_id"] for b in bodies}) == 1, "one visitor across page loads"
    assert all(re.match(r"^[0-9a-f]{32}$", b["session_hint"]) and b["sent_at"] > 0 for b in bodies)
    assert len({b["session_hint"] for b in bodies}) == 1, "one session across page loads in the tab"
    assert_unique_ids(harness.events(key))


def test_pushstate_and_popstate_pageviews_with_engagement(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    first = harness.wait(key, lambda e: of(e, "pageview"))[0]
    time.sleep(0.6)
    browser.find_element(By.ID, "spa").click()
    evs = harness.wait(key, lambda e: of(e, "pageview", path="/site/app/step2"), what="SPA pageview")
    pv2 = of(evs, "pageview", path="/site/app/step2")[0]
    assert pv2["referrer"] == "" and pv2["url"].startswith(harness.site + "/site/app/step2")
    eng = of(evs, "engagement", pageview_id=first["id"])
    assert len(eng) == 1 and eng[0]["path"] == "/site/index.html" and eng[0]["url"] == first["url"]
    assert 500 <= eng[0]["engaged_ms"] < 60000
    assert 0 < eng[0]["scroll_pct"] <= 100
    browser.back()  # popstate
    evs = harness.wait(key, lambda e: len(of(e, "pageview", path="/site/index.html")) == 2, what="popstate pageview")
    assert of(evs, "engagement", pageview_id=pv2["id"])
    # replaceState to the same path is not a new page view
    browser.execute_script("history.replaceState({}, '', location.pathname + location.search + '#x')")
    browser.execute_script("return OpsIQ._flush()")
    time.sleep(0.5)
    assert len(of(harness.events(key), "pageview")) == 3
    assert_unique_ids(harness.events(key))


def test_engagement_counts_only_visible_time(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    pv = harness.wait(key, lambda e: of(e, "pageview"))[0]
    vis = ("Object.defineProperty(document, 'visibilityState', {configurable: true, get: function () { return arguments[0]; }.bind(null, '%s')});"
           "document.dispatchEvent(new Event('visibilitychange'));")
    time.sleep(0.5)
    browser.execute_script(vis % "hidden")  # hidden: engagement so far is sent at once (sendBeacon)
    evs = harness.wait(key, lambda e: of(e, "engagement"), timeout=1.5, what="engagement on hide")
    first = of(evs, "engagement")[0]
    assert first["pageview_id"] == pv["id"] and 400 <= first["engaged_ms"] < 5000
    time.sleep(2)  # hidden time is not counted
    browser.execute_script(vis % "visible")
    time.sleep(0.3)
    browser.find_element(By.ID, "spa").click()
    evs = harness.wait(key, lambda e: len(of(e, "engagement")) == 2)
    second = of(evs, "engagement")[1]
    assert second["pageview_id"] == pv["id"] and 200 <= second["engaged_ms"] < 1500


def test_scroll_depth(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    pv = harness.wait(key, lambda e: of(e, "pageview"))[0]
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight / 2)")
    time.sleep(0.3)
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    evs = harness.wait(key, lambda e: of(e, "scroll", scroll_pct=100), what="scroll 100")
    pcts = [e["scroll_pct"] for e in of(evs, "scroll")]
    assert pcts == sorted(pcts) and len(pcts) >= 2 and all(e["pageview_id"] == pv["id"] for e in of(evs, "scroll"))
    browser.find_element(By.ID, "spa").click()
    evs = harness.wait(key, lambda e: of(e, "engagement"))
    assert of(evs, "engagement")[0]["scroll_pct"] == 100


def test_outbound_click(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    harness.wait(key, lambda e: of(e, "pageview"))
    browser.find_element(By.ID, "outbound").click()
    port = harness.site.rsplit(":", 1)[1]
    evs = harness.wait(key, lambda e: of(e, "outbound"), what="outbound")
    ob = of(evs, "outbound")
    assert len(ob) == 1 and ob[0]["href"] == f"http://localhost:{port}/site/page2.html"
    assert ob[0]["path"] == "/site/index.html"
    # same-host links are not outbound
    open_site(browser, harness, key, noqueue=1)
    browser.find_element(By.ID, "to-page2").click()
    time.sleep(2.5)
    assert len(of(harness.events(key), "outbound")) == 1


def test_form_submit_without_field_values(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    harness.wait(key, lambda e: of(e, "pageview"))
    browser.find_element(By.ID, "submit").click()
    evs = harness.wait(key, lambda e: of(e, "form") and of(e, "pageview", path="/site/thanks.html"), what="form")
    f = of(evs, "form")
    assert len(f) == 1 and f[0]["form"] == "signup" and f[0]["path"] == "/site/index.html"
    dump = json.dumps(harness.records(key))
    assert "secret-field" not in dump and "hunter2" not in dump


def test_forms_setting_off(harness, browser, key):
    open_site(browser, harness, key, noqueue=1, forms=0)
    browser.find_element(By.ID, "submit").click()
    harness.wait(key, lambda e: of(e, "pageview", path="/site/thanks.html"))
    browser.execute_script("return OpsIQ._flush()")
    assert not of(harness.events(key), "form")


def test_custom_events_identify_and_identity_token(harness, browser, key):
    open_site(browser, harness, key, noqueue=1, token="tok.abc123")
    browser.find_element(By.ID, "custom").click()
    browser.execute_script("OpsIQ.push(['identify', {email: 'jane@example.com', name: 'Jane', customer_id: 'cust_1', plan: 'pro'}])")
    evs = harness.wait(key, lambda e: of(e, "custom") and len(of(e, "identify")) == 2)
    c = of(evs, "custom")[0]
    assert c["name"] == "button.clicked" and c["props"] == {"color": "blue", "n": 7}
    ids = [e["identity"] for e in of(evs, "identify")]
    assert ids == [{"token": "tok.abc123"},
                   {"email": "jane@example.com", "name": "Jane", "customer_id": "cust_1", "plan": "pro"}]
    assert browser.execute_script("return typeof OpsIQ.version") == "string"


def test_events_before_unload_are_sent_by_beacon(harness, browser, key):
    open_site(browser, harness, key, noqueue=1)
    harness.wait(key, lambda e: of(e, "pageview"))
    browser.execute_script("OpsIQ.push(['track', 'last.words', {}])")
    browser.find_element(By.ID, "to-page2").click()  # well before the 2 s batch timer
    evs = harness.wait(key, lambda e: of(e, "custom", name="last.words") and of(e, "pageview", path="/site/page2.html"))
    assert len(of(evs, "custom", name="last.words")) == 1
    time.sleep(2.5)
    assert_unique_ids(harness.events(key))


def test_retry_after_503_delivers_each_event_exactly_once(harness, browser, key):
    harness.control(fail=2)  # next two beacon requests answer 503
    open_site(browser, harness, key)
    browser.execute_script("for (var i = 0; i < 25; i++) OpsIQ.push(['track', 'bulk', {i: i}])")
    evs = harness.wait(key, lambda e: len(of(e, "custom", name="bulk")) >= 25, timeout=30, what="retried events")
    recs = harness.records(key)
    failed = [r for r in recs if r["status"] == 503]
    assert len(failed) == 2
    acked = [e for r in recs if r["status"] == 204 for e in r["body"]["events"]]
    assert_unique_ids(acked)
    assert {e["id"] for r in failed for e in r["body"]["events"]} <= {e["id"] for e in acked}
    assert sorted(e["props"]["i"] for e in of(evs, "custom", name="bulk")) == list(range(25))
    assert all(len(r["body"]["events"]) <= 20 for r in recs)
    assert browser.execute_script("return OpsIQ._flush()") is True
    assert browser.execute_script(f"return localStorage.getItem('opsiq_outbox_{key}')") == "[]"
    time.sleep(2.5)
    assert_unique_ids([e for r in harness.records(key) if r["status"] == 204 for e in r["body"]["events"]])


def test_outbox_survives_outage_across_page_loads(harness, browser, key):
    harness.control(fail=1000)
    try:
        open_site(browser, harness, key)
        deadline = time.time() + 10
        while not [r for r in harness.records(key) if r["status"] == 503]:
            assert time.time() < deadline, "no beacon attempt"
            time.sleep(0.1)
        pv_id = [e for r in harness.records(key) for e in r["body"]["events"] if e["type"] == "pageview"][0]["id"]
        browser.find_element(By.ID, "to-page2").click()  # pagehide during the outage: events must be kept
        wait_widget(browser, "page2")
        outbox = browser.execute_script(f"return JSON.parse(localStorage.getItem('opsiq_outbox_{key}'))")
        assert pv_id in [e["id"] for e in outbox]
    finally:
        harness.control(fail=0)
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    evs = harness.wait(key, lambda e: [x for x in e if x["id"] == pv_id] and of(e, "pageview", path="/site/page2.html")
                       and of(e, "custom", name="queued.third"), timeout=20, what="events from the first page after recovery")
    # the first page's queued events arrived once, the second page's too
    assert len(of(evs, "custom", name="queued.third", path="/site/index.html")) == 1
    assert len(of(evs, "custom", name="queued.third", path="/site/page2.html")) == 1
    assert_unique_ids(evs)


def test_client_error_drops_batch(harness, browser, key):
    harness.control(fail=1, status=400)
    open_site(browser, harness, key, noqueue=1)
    deadline = time.time() + 10
    while not harness.records(key):
        assert time.time() < deadline
        time.sleep(0.1)
    browser.execute_script("OpsIQ.push(['track', 'after.400', {}])")
    evs = harness.wait(key, lambda e: of(e, "custom", name="after.400"))
    assert not of(evs, "pageview"), "the rejected batch is not re-sent"
    assert [r["status"] for r in harness.records(key)] == [400, 204]
    logs = [l["message"] for l in browser.get_log("browser")]
    assert sum("beacon rejected" in m for m in logs) == 1


def test_do_not_track(harness, browser, key):
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: function () { return '1'; }});"})
    open_site(browser, harness, key, dnt=1)
    browser.find_element(By.ID, "custom").click()
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    assert browser.execute_script("return OpsIQ._flush()") is True
    browser.find_element(By.ID, "to-page2").click()
    time.sleep(3)
    assert harness.records(key) == []
    assert browser.execute_script("return Object.keys(localStorage).filter(function (k) { return k.indexOf('opsiq') == 0; })") == []
    # same browser, DNT on, but the site does not ask to respect it: tracked
    key2 = key + "b"
    open_site(browser, harness, key2)
    harness.wait(key2, lambda e: of(e, "pageview"))


def test_no_cookies(harness, browser, key):
    open_site(browser, harness, key, token="tok.x")
    browser.find_element(By.ID, "custom").click()
    browser.find_element(By.ID, "spa").click()
    harness.wait(key, lambda e: of(e, "custom", name="button.clicked"))
    assert browser.execute_script("return document.cookie") == ""
    assert browser.get_cookies() == []
    browser.get(harness.assets + "/records")
    assert browser.get_cookies() == []
    assert all(not r["cookie"] for r in harness.records(key))


def test_gzipped_size_within_budget():
    if shutil.which("gzip"):
        size = len(subprocess.run(["gzip", "-9", "-c", WIDGET], capture_output=True, check=True).stdout)
    else:
        size = len(gzip.compress(open(WIDGET, "rb").read(), 9))
    assert size <= 8192, f"widget.js is {size} bytes gzipped"
