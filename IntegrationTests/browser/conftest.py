"""Browser tests: real headless Chromium against a real opsiq-web (debug build) on a temp SQLite store."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, ".build", "debug")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Web:
    def __init__(self, extra_env=None):
        self.data = tempfile.mkdtemp(prefix="opsiq-e2e-")
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OPSIQ_")}
        self.env.update({"OPSIQ_DATA_DIR": self.data, "OPSIQ_PORT": str(self.port)})
        self.env.update(extra_env or {})
        self.log = open(os.path.join(self.data, "web.log"), "w")
        self.proc = subprocess.Popen([os.path.join(BIN, "opsiq-web")], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                time.sleep(0.1)
        else:
            raise RuntimeError("opsiq-web did not become ready:\n" + open(self.log.name).read())

    def admin(self, *args, stdin=None):
        return subprocess.run([os.path.join(BIN, "opsiq-admin"), *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=60)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def web():
    w = Web()
    yield w
    w.stop()


@pytest.fixture
def web_loopback_outbound():
    """opsiq-web whose outbound HTTP (webhooks) may reach plain-http receivers on loopback: the
    operator's SSRF allow-list, as someone delivering inside their own network would set it."""
    w = Web({"OPSIQ_OUTBOUND_ALLOW": "127.0.0.0/8", "OPSIQ_OUTBOUND_ALLOW_HTTP": "true"})
    yield w
    w.stop()


@pytest.fixture
def browser():
    opts = Options()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    # Elements of the page a click leads to may take a moment: wait for them instead of failing at once.
    driver.implicitly_wait(10)
    yield driver
    driver.quit()


def wait_for_url(driver, fragment, timeout=15):
    """Waits until the browser has navigated to a URL containing `fragment`."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, timeout).until(lambda d: fragment in d.current_url)
    return driver.current_url


def click_and_wait(driver, element):
    """Clicks something that submits or navigates, and waits for the new page to replace the old one."""
    navigate_by(driver, element.click)


def navigate_by(driver, action):
    """Runs `action` (a click, a select...) that loads a new page, and waits until the new page has replaced the old one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    # Mark the current document; the new one will not carry the mark. (Watching the old <html>
    # element go stale is racy in Chromium: mid-navigation it may answer with an inspector error.)
    marker = "opsiq-" + os.urandom(6).hex()
    driver.execute_script("window.__opsiqPage = arguments[0]", marker)
    action()

    def replaced(d):
        try:
            return d.execute_script("return window.__opsiqPage") != marker and \
                d.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False  # the page is between documents: ask again
    WebDriverWait(driver, 15, poll_frequency=0.1).until(replaced)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, save what the browser showed (URL, title, page source, screenshot) next to the screenshots."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "browser" in item.fixturenames:
        driver = item.funcargs.get("browser")
        if driver is None:
            return
        shots = os.environ.get("OPSIQ_SCREENSHOTS", "/tmp/opsiq-screenshots")
        os.makedirs(shots, exist_ok=True)
        base = os.path.join(shots, f"FAILED-{item.name}")
        try:
            driver.save_screenshot(base + ".png")
            with open(base + ".html", "w") as f:
                f.write(driver.page_source)
            report.sections.append(("browser", f"url={driver.current_url} title={driver.title!r}; saved {base}.png/.html"))
        except Exception as e:  # the browser itself may be what failed
            report.sections.append(("browser", f"could not capture the page: {e}"))
