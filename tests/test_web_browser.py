"""The web interface in a real headless browser: Debian's chromium, driven by selenium.

Skips, saying why, when chromium or its driver is absent (`apt-get install
chromium chromium-driver`; .ci/run installs them).
"""

from __future__ import annotations

import shutil

import pytest

from briefings import web
from test_web import PAIR_EN, build_archive

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "no chromium and chromedriver on PATH: apt-get install chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def browser(width: int = 1280, height: int = 900):
    """Headless chromium with its console log readable, so a CSP violation shows."""
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=options)
    if width < 500:  # chromium's windows are no narrower: a phone's viewport is emulated
        d.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
        )
    return d


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    running = web.start(build_archive(tmp_path_factory.mktemp("browser")))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def driver():
    d = browser()
    try:
        yield d
    finally:
        d.quit()


def wait(driver, condition, seconds: float = 60):
    return WebDriverWait(driver, seconds).until(condition)


def test_type_a_query_see_hits_click_through_to_the_turn_and_its_chinese(site, driver):
    driver.get(site.url + "/search")
    box = driver.find_element(By.ID, "q")
    assert driver.find_element(By.CSS_SELECTOR, "label[for=q]").text == "Query"
    box.send_keys('"national security"')
    box.send_keys(Keys.ENTER)  # the keyboard submits the form
    hits = wait(driver, EC.presence_of_all_elements_located((By.CSS_SELECTOR, "ol.hits > li.hit")))
    assert hits
    marked = hits[0].find_elements(By.TAG_NAME, "mark")
    assert " ".join(m.text.lower() for m in marked).startswith("national security")
    link = next(
        h.find_element(By.CSS_SELECTOR, "a.turn-link")
        for h in hits
        if f"/briefing/{PAIR_EN}#t" in h.find_element(By.CSS_SELECTOR, "a.turn-link").get_attribute("href")
    )
    target = link.get_attribute("href").rsplit("#", 1)[1]
    speaker = link.text
    link.click()
    turn = wait(driver, EC.presence_of_element_located((By.ID, target)))
    assert driver.current_url.endswith(f"/briefing/{PAIR_EN}#{target}")
    assert turn.find_element(By.CSS_SELECTOR, ".speaker").text == speaker
    assert "national security" in turn.find_element(By.CSS_SELECTOR, ".text").text.lower()
    chinese = turn.find_element(By.CSS_SELECTOR, ".counterpart")
    assert chinese.get_attribute("lang") == "zh"
    assert any("\u4e00" <= c <= "\u9fff" for c in chinese.text), chinese.text
    # side by side at desktop width: the Chinese column starts right of the English
    english = turn.find_element(By.CSS_SELECTOR, ".original-side")
    assert chinese.location["x"] > english.location["x"] + english.size["width"] / 2
    # the citation button answers, by keyboard too
    button = turn.find_element(By.CSS_SELECTOR, "button.copy")
    button.send_keys(Keys.ENTER)
    cited = wait(driver, lambda d: turn.find_element(By.CSS_SELECTOR, ".cited").text or None, 10)
    assert PAIR_EN in cited and speaker in cited


def test_the_script_in_a_transcript_is_shown_not_run(site, driver):
    driver.get(site.url + "/search?q=tariffs")
    wait(driver, EC.presence_of_all_elements_located((By.CSS_SELECTOR, "ol.hits > li.hit")))
    driver.find_element(By.CSS_SELECTOR, "a.turn-link").click()
    wait(driver, EC.presence_of_element_located((By.ID, "t1")))
    assert driver.title != "pwned"
    assert '<script>alert("x")</script>' in driver.find_element(By.ID, "t1").text
    assert not driver.find_elements(By.CSS_SELECTOR, "main img")
    problems = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not problems, problems  # nor did the page need anything the CSP refused


def test_phone_width_stacks_the_two_versions(site):
    d = browser(390, 844)
    try:
        d.get(f"{site.url}/briefing/{PAIR_EN}")
        turn = next(
            t
            for t in d.find_elements(By.CSS_SELECTOR, "li.turn")
            if t.find_elements(By.CSS_SELECTOR, ".counterpart .text")
        )
        english = turn.find_element(By.CSS_SELECTOR, ".original-side")
        chinese = turn.find_element(By.CSS_SELECTOR, ".counterpart")
        assert chinese.location["y"] >= english.location["y"] + english.size["height"] - 1
        assert d.execute_script("return window.innerWidth") == 390
        assert d.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    finally:
        d.quit()
