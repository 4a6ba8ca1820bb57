"""A page in headless Chromium (Debian's chromium and chromium-driver) shows the dashboard's
first part (WhatsApp numbers and email) while MessageSender is still answering, then its
deferred SMS part; each moment is kept as a screenshot under the test's temporary folder."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.support.gateway import World
from tests.support.parts import Upstreams, upstreams

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    if os.environ.get("GATEWAY_REQUIRE_BROWSER") == "1":
        raise RuntimeError("GATEWAY_REQUIRE_BROWSER=1 but chromium or chromedriver is missing")
    pytest.skip("needs Debian's chromium and chromium-driver", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

SLOW = 3.0  # seconds MessageSender takes to answer
PAGE = Path(__file__).parent.parent / "support" / "deferred.html"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium must not look for a browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--window-size=760,640",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()


@pytest.fixture
async def slow(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Upstreams]:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(), content_type="text/html")

    routes = [web.get("/deferred.html", page)]
    async for running in upstreams(world, tmp_path, monkeypatch, routes=routes):
        running.states["ms"].latency = SLOW
        yield running


async def until(browser: WebDriver, parts: str) -> None:
    for _ in range(400):
        seen = await asyncio.to_thread(browser.execute_script, "return document.body.dataset.parts")
        if seen == parts:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the page never had {parts} parts")


def card(browser: WebDriver, name: str) -> str:
    return str(browser.find_element(By.ID, name).find_element(By.CLASS_NAME, "v").text)


async def test_the_page_shows_the_first_part_before_the_slow_platform_answers(
    browser: WebDriver, slow: Upstreams, world: World, tmp_path: Path
) -> None:
    url = slow.gateway.server.make_url("/deferred.html").with_query(key=world.keys["acme_tenant"])
    await asyncio.to_thread(browser.get, str(url))
    await until(browser, "1")
    await asyncio.to_thread(browser.save_screenshot, str(tmp_path / "1-first-part.png"))
    assert "+5511900000001" in card(browser, "wa")
    assert "sent" in card(browser, "email")
    assert card(browser, "sms") == "loading…"
    await until(browser, "2")
    await asyncio.to_thread(browser.save_screenshot, str(tmp_path / "2-whole.png"))
    assert "delivery rate" in card(browser, "sms")
    first, whole = (
        int(browser.execute_script(f"return document.body.dataset.part{n}")) for n in (1, 2)
    )
    # MessageSender answers SLOW s after it is asked at the earliest.
    assert first < SLOW * 1000 <= whole, (first, whole)
