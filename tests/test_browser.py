"""The dashboard page and GraphiQL in headless Chromium (Debian's chromium and chromium-driver),
checked for what a person would see; screenshots are kept beside the test's data.

.ci/run installs the browser and sets GATEWAY_REQUIRE_BROWSER=1, so CI never skips these; on a
machine without Chromium they are skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.graphiql import fetch_assets
from tests.live import LiveGateway, start_gateway

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
NPM = shutil.which("npm")  # GraphiQL's files come through npm pack
if CHROMIUM is None or CHROMEDRIVER is None or NPM is None:
    if os.environ.get("GATEWAY_REQUIRE_BROWSER") == "1":
        raise RuntimeError("GATEWAY_REQUIRE_BROWSER=1 but chromium, chromedriver or npm is missing")
    pytest.skip("needs Debian's chromium and chromium-driver, and npm", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    data = tmp_path_factory.mktemp("browser")
    fetch_assets(data / "graphiql-assets")  # GraphiQL without the CDN, as a user would
    running = start_gateway(data, env={"GATEWAY_RATE_LIMIT": "0"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium must not look for a browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def open_dashboard(browser: WebDriver, gateway: LiveGateway, key: str, timezone: str) -> None:
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    browser.execute_script("sessionStorage.clear()")
    field = browser.find_element(By.ID, "timezone")
    field.clear()
    field.send_keys(timezone)
    typed = browser.find_element(By.ID, "key")
    typed.clear()  # the page fills in the key it kept for this tab
    typed.send_keys(key)
    browser.find_element(By.ID, "show").click()
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ready"
    )


def panel(browser: WebDriver, name: str) -> dict[str, object]:
    section = browser.find_element(By.ID, name)
    return {
        "state": section.get_attribute("data-state"),
        "totals": section.find_element(By.CLASS_NAME, "totals").text,
        "status": section.find_element(By.CLASS_NAME, "status").text,
        "bars": len(section.find_elements(By.CSS_SELECTOR, "svg rect")),
        "labels": [t.text for t in section.find_elements(By.CSS_SELECTOR, "svg text")],
    }


def test_a_tenant_key_sees_all_four_charts_in_its_timezone(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    open_dashboard(browser, gateway, gateway.keys["tenant"], "Asia/Kathmandu")
    whatsapp = panel(browser, "whatsapp")
    assert whatsapp["state"] == "ready" and whatsapp["status"] == ""
    assert "(Asia/Kathmandu)" in str(whatsapp["totals"]) and "% delivered" in str(
        whatsapp["totals"]
    )
    assert whatsapp["bars"] == 30 * 3  # 30 local days, sent / delivered / read
    numbers = browser.find_element(By.ID, "number")
    assert numbers.is_displayed() and len(numbers.find_elements(By.TAG_NAME, "option")) == 4
    trends = panel(browser, "sms-trends")
    assert trends["state"] == "ready" and "messages in" in str(trends["totals"])
    assert int(str(trends["bars"])) > 0
    times = panel(browser, "send-times")
    assert times["state"] == "ready" and str(times["totals"]).startswith("Best hour: ")
    assert times["bars"] == 24 and "0h" in times["labels"]  # type: ignore[operator]
    email = panel(browser, "email")
    assert email["state"] == "ready" and "unique opens" in str(email["totals"])
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000


def test_a_number_key_sees_its_number_and_is_told_why_not_the_rest(
    browser: WebDriver, gateway: LiveGateway
) -> None:
    open_dashboard(browser, gateway, gateway.keys["number"], "America/Sao_Paulo")
    whatsapp = panel(browser, "whatsapp")
    assert whatsapp["state"] == "ready", whatsapp
    assert "(America/Sao_Paulo)" in str(whatsapp["totals"])
    assert not browser.find_element(By.ID, "number").is_displayed()
    for name in ("sms-trends", "send-times", "email"):
        shown = panel(browser, name)
        assert shown["state"] == "error" and shown["bars"] == 0
        assert str(shown["status"]).endswith("use a tenant-scoped key (FORBIDDEN)")


def test_a_bad_key_is_said_on_every_panel(browser: WebDriver, gateway: LiveGateway) -> None:
    open_dashboard(browser, gateway, "agk_not-a-key", "UTC")
    for name in ("whatsapp", "sms-trends", "send-times", "email"):
        assert "UNAUTHENTICATED" in str(panel(browser, name)["status"])


def test_graphiql_runs_from_the_gateways_own_files(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    browser.get(f"http://127.0.0.1:{gateway.port}/graphql")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-container .graphiql-editors")
    )
    assert "unpkg.com" not in browser.page_source
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(name.startswith(f"http://127.0.0.1:{gateway.port}/") for name in loaded)
    assert any("/graphiql-assets/graphiql@" in name for name in loaded)
    shot = tmp_path / "graphiql.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
