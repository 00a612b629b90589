"""The app under ``streamlit run`` on loopback, opened in a headless Chromium (selenium).

Every page must load and finish its script without an exception or an error shown; a screenshot
of each page is saved under ``$DASHBOARD_ARTIFACTS`` (default ``out/test-artifacts/dashboards``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.slow  # a browser and a streamlit server

REPO = Path(__file__).resolve().parents[2]
# $CHROMIUM / $CHROMEDRIVER, else on PATH; `make test` installs Debian's when they are missing.
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
ARTIFACTS = Path(
    os.environ.get("DASHBOARD_ARTIFACTS", REPO / "out" / "test-artifacts" / "dashboards")
)
START_TIMEOUT_S = 60
PAGE_TIMEOUT_S = 45
PAGES = {  # URL path -> title the page shows
    "": "Leaderboard",
    "drilldown": "Benchmark drill-down",
    "samples": "Sample browser",
    "corpus": "Corpus explorer",
    "training": "Training",
}
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1400,1800",
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer at {url}")


@pytest.fixture(scope="module")
def server(argv: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "dashboards" / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--", *argv,
    ]  # fmt: skip
    log = (tmp_path_factory.mktemp("streamlit") / "server.log").open("w")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM and CHROMEDRIVER):  # a failure, never a skip: the pages must be seen
        pytest.fail(
            "Chromium and ChromeDriver not found: run `make test`, or install them and set "
            "CHROMIUM and CHROMEDRIVER"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _finished(driver: webdriver.Chrome, title: str) -> bool:
    """The page's title is drawn and the script is no longer running."""
    heads = driver.find_elements(By.CSS_SELECTOR, "h1")
    running = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]')
    return any(title in h.text for h in heads) and not running


@pytest.mark.parametrize("path", list(PAGES))
def test_page_loads_in_chromium(server: str, browser: webdriver.Chrome, path: str) -> None:
    title = PAGES[path]
    browser.get(f"{server}/{path}")
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(lambda d: _finished(d, title))
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '[data-testid="stSidebar"]'))
    )
    time.sleep(1.0)  # let charts and images draw before the screenshot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{path or 'leaderboard'}.png"))
    exceptions = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not exceptions, [e.text for e in exceptions]
    errors = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentError"]')
    assert not errors, [e.text for e in errors]
    assert "Reading only under:" in browser.find_element(By.CSS_SELECTOR, "section").text
    # Opened by its direct link, the page still has the app's navigation (not a legacy page list).
    sidebar = browser.find_element(By.CSS_SELECTOR, '[data-testid="stSidebar"]').text
    assert all(title in sidebar for title in PAGES.values()), sidebar


def test_corpus_grid_shows_images_from_shards(server: str, browser: webdriver.Chrome) -> None:
    browser.get(f"{server}/corpus")
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(lambda d: _finished(d, PAGES["corpus"]))
    tab = next(
        t for t in browser.find_elements(By.CSS_SELECTOR, '[role="tab"]') if t.text == "Samples"
    )
    tab.click()
    grid = '[role="tabpanel"] [data-testid="stImage"] img'
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        lambda d: len([i for i in d.find_elements(By.CSS_SELECTOR, grid) if i.is_displayed()]) >= 4
    )
    images = [i for i in browser.find_elements(By.CSS_SELECTOR, grid) if i.is_displayed()]
    assert all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images)
    browser.find_element(By.XPATH, '//button[.//p[text()="details"]]').click()
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        lambda d: any(h.text.startswith("Sample ") for h in d.find_elements(By.CSS_SELECTOR, "h3"))
    )
    time.sleep(1.0)
    browser.save_screenshot(str(ARTIFACTS / "corpus-samples.png"))
