"""The dashboard page and GraphiQL in headless Chromium (Debian's chromium and chromium-driver),
checked for what a person would see; screenshots are kept beside the test's data.

.ci/run installs the browser and sets GATEWAY_REQUIRE_BROWSER=1, so CI never skips these; on a
machine without Chromium they are skipped, saying why.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from gateway.http.graphiql import fetch_assets
from tests.support.live import LiveGateway, start_gateway

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


def open_dashboard(
    browser: WebDriver, gateway: LiveGateway, key: str, timezone: str, period: str = "DAYS_30"
) -> None:
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    browser.execute_script("sessionStorage.clear()")
    browser.execute_script(f"document.getElementById('period').value = '{period}'")
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


def test_a_tenant_key_sees_all_five_charts_in_its_timezone(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    open_dashboard(browser, gateway, gateway.keys["tenant"], "Asia/Kathmandu")
    channels = panel(browser, "channels")
    assert channels["state"] == "ready" and channels["status"] == "", channels
    assert "(Asia/Kathmandu)" in str(channels["totals"])
    for name in ("WhatsApp", "SMS", "Email"):
        assert re.search(rf"{name} [\d,]+ of [\d,]+ delivered \([\d.]+%\)", str(channels["totals"]))
    assert channels["bars"] == 30 * 3  # 30 local days, one bar a channel
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


# The visible panels' boxes, and the width of the grid they are laid out in.
PANELS = """
const main = document.querySelector('main'), style = getComputedStyle(main);
const inner = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
const shown = [...document.querySelectorAll('[data-panel]')].filter((p) => !p.hidden);
return { width: inner, gap: parseFloat(style.columnGap), panels: shown.map((p) => {
  const r = p.getBoundingClientRect();
  return { id: p.id, left: r.left, width: r.width, top: r.top, state: p.dataset.state };
}) };
"""


def check_rows(layout: dict[str, Any]) -> None:
    """Every row of panels fills the grid's width: one panel across it, or two side by side;
    never a half-width panel beside empty space."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for shown in layout["panels"]:
        rows.setdefault(round(shown["top"]), []).append(shown)
    for row in rows.values():
        filled = sum(p["width"] for p in row) + layout["gap"] * (len(row) - 1)
        assert abs(filled - layout["width"]) <= 2, (row, layout["width"])


def test_a_number_key_sees_its_number_and_one_line_on_what_a_tenant_key_adds(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    for period in ("DAYS_7", "DAYS_30", "DAYS_90"):
        open_dashboard(browser, gateway, gateway.keys["number"], "America/Sao_Paulo", period)
        whatsapp = panel(browser, "whatsapp")
        assert whatsapp["state"] == "ready" and whatsapp["status"] == "", whatsapp
        assert "(America/Sao_Paulo)" in str(whatsapp["totals"])
        assert not browser.find_element(By.ID, "number").is_displayed()
        layout = browser.execute_script(PANELS)
        assert [p["id"] for p in layout["panels"]] == ["whatsapp"]  # no FORBIDDEN panels
        check_rows(layout)
        line = browser.find_element(By.ID, "note")
        assert line.is_displayed() and line.get_attribute("data-kind") == "number"
        assert line.text.startswith("This key is number-scoped: it shows its own number.")
        assert "gateway keys create --tenant demo" in line.text
        assert "FORBIDDEN" not in browser.find_element(By.TAG_NAME, "body").text
        shot = tmp_path / f"dashboard-number-key-{period}.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000


def test_without_a_key_the_page_asks_for_one(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    line = browser.find_element(By.ID, "note")
    assert line.is_displayed() and line.get_attribute("data-kind") == "ask"
    assert line.text.startswith("Enter an API key above and press Show")
    assert browser.execute_script(PANELS)["panels"] == []  # no empty panels
    shot = tmp_path / "dashboard-no-key.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 5_000
    browser.find_element(By.ID, "show").click()  # Show with the field empty asks again
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "ask"
    # A key typed in then shows the panels, and the line goes.
    open_dashboard(browser, gateway, gateway.keys["tenant"], "UTC")
    assert not browser.find_element(By.ID, "note").is_displayed()
    assert len(browser.execute_script(PANELS)["panels"]) == 5


def test_a_bad_key_is_said_on_every_panel(browser: WebDriver, gateway: LiveGateway) -> None:
    open_dashboard(browser, gateway, "agk_not-a-key", "UTC")
    for name in ("channels", "whatsapp", "sms-trends", "send-times", "email"):
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


def test_graphiql_explains_the_key_and_keeps_it_out_of_storage(
    browser: WebDriver, gateway: LiveGateway
) -> None:
    key = gateway.keys["number"]
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    browser.execute_script("localStorage.clear()")
    headers = quote(json.dumps({"x-api-key": key}))
    browser.get(f"http://127.0.0.1:{gateway.port}/graphql?headers={headers}")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")
    )
    # The document itself: its lines wrap on screen (at "x-", say), so not the shown text.
    document = browser.execute_script(
        "return document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
    )
    assert "x-api-key" in document and "query LastWeek" in document
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    WebDriverWait(browser, 20).until(
        lambda b: "deliveryRate" in b.find_element(By.CSS_SELECTOR, ".result-window").text
    )
    stored = "return JSON.stringify(Object.assign({}, localStorage))"
    assert "graphiql:queries" in browser.execute_script(stored)  # the history is kept ...
    assert key not in browser.execute_script(stored)  # ... without the key
    # Opting in, in GraphiQL's settings, keeps them.
    browser.find_element(By.CSS_SELECTOR, "button[aria-label='Open settings dialog']").click()
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "enable-persist-headers"))
    browser.find_element(By.ID, "enable-persist-headers").click()
    WebDriverWait(browser, 10).until(lambda b: key in b.execute_script(stored))


# Whether any line of GraphiQL's query editor runs past the editor's right edge.
OVERFLOW = """
const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
const right = editor.getBoundingClientRect().right;
const lines = [...editor.querySelectorAll('.CodeMirror-line')];
const scroll = editor.querySelector('.CodeMirror-scroll');
return {
  wrapping: editor.CodeMirror.getOption('lineWrapping'),
  lines: lines.length,
  past: lines.filter((l) => l.getBoundingClientRect().right > right + 1).map((l) => l.textContent),
  scrolls: scroll.scrollWidth > scroll.clientWidth + 1,
};
"""


def test_graphiqls_welcome_text_wraps_inside_the_editor(
    browser: WebDriver, gateway: LiveGateway, tmp_path: Path
) -> None:
    try:
        for width in (1400, 900):
            browser.set_window_size(width, 1000)
            browser.get(f"http://127.0.0.1:{gateway.port}/graphql")
            WebDriverWait(browser, 20).until(
                lambda b: b.execute_script(
                    "const e = document.querySelector('.graphiql-query-editor .CodeMirror');"
                    " return e && e.CodeMirror.getOption('lineWrapping');"
                )
            )
            shown = browser.execute_script(OVERFLOW)
            assert shown["wrapping"] and shown["lines"] > 20, shown
            assert shown["past"] == [] and not shown["scrolls"], shown
            shot = tmp_path / f"graphiql-welcome-{width}.png"
            assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    finally:
        browser.set_window_size(1400, 1100)


def test_graphiql_says_why_when_its_scripts_cannot_load(
    browser: WebDriver,
    gateway: LiveGateway,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:
    """With the CDN blocked and no copy of GraphiQL's files, the page says what is wrong and
    names the command; once the files are there, a reload loads them from the gateway."""
    data = tmp_path_factory.mktemp("offline-graphiql")
    offline = start_gateway(data, "--no-demo", wait_for="/dashboard")
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*unpkg.com*"]})
    try:
        page = f"http://127.0.0.1:{offline.port}/graphql"
        browser.get(page)
        notice = WebDriverWait(browser, 20).until(
            lambda b: b.find_element(By.CSS_SELECTOR, "#graphiql[data-notice]")
        )
        text = " ".join(notice.text.split())
        assert text.startswith("GraphiQL could not load")
        assert "did not load from unpkg.com" in text and "gateway graphiql-assets" in text
        assert "Loading..." not in text
        shot = tmp_path / "graphiql-offline.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

        # The files the module's gateway fetched, as `gateway graphiql-assets` would put them.
        assets = gateway.log.parent / "graphiql-assets"
        shutil.copytree(assets, data / "graphiql-assets")
        browser.get(page)
        WebDriverWait(browser, 20).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-container .graphiql-editors")
        )
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert all(name.startswith(f"http://127.0.0.1:{offline.port}/") for name in loaded)
        assert not browser.find_elements(By.CSS_SELECTOR, "#graphiql[data-notice]")
        shot = tmp_path / "graphiql-local.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    finally:
        browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        offline.stop()


# Each chart's box, its bars and its labels as the browser laid them out, in CSS pixels.
GEOMETRY = """
return [...document.querySelectorAll('[data-panel]')].map((section) => {
  const box = (node) => { const r = node.getBoundingClientRect();
    return [r.left, r.right, r.top, r.bottom]; };
  const chart = section.querySelector('svg');
  return {
    id: section.id, days: Number(section.dataset.days), first: section.dataset.first,
    last: section.dataset.last || null, totals: section.querySelector('.totals').textContent,
    chart: chart && box(chart),
    bars: chart ? [...chart.querySelectorAll('rect')].map(box) : [],
    labels: chart ? [...chart.querySelectorAll('text')].map((t) => [t.textContent, ...box(t)]) : [],
    ticks: chart ? [...chart.querySelectorAll('text.tick')].map((t) => t.textContent) : [],
  };
});
"""


def round_step(ticks: list[str]) -> bool:
    values = [int(t.replace(",", "")) for t in ticks]
    step = values[1] - values[0]
    mantissa = step / 10 ** (len(str(step)) - 1)
    return values == [i * step for i in range(len(values))] and mantissa in (1, 2, 2.5, 5)


def check_layout(shown: dict[str, Any]) -> None:
    left, right, top, bottom = shown["chart"]
    for text, *box in shown["labels"]:  # every label whole inside its chart
        assert left <= box[0] and box[1] <= right and top <= box[2] and box[3] <= bottom, text
    days = sorted((b for t, *b in shown["labels"] if not re.fullmatch(r"[\d,]+", t)))
    for before, after in itertools.pairwise(days):
        assert before[1] <= after[0], (shown["id"], before, after)  # labels never overlap
    bars = sorted(shown["bars"])
    for before, after in itertools.pairwise(bars):
        assert before[1] <= after[0] + 0.01, (shown["id"], before, after)  # nor do bars
    assert round_step(shown["ticks"]), shown["ticks"]


def test_every_period_covers_the_same_local_days_whole_and_clear(
    browser: WebDriver, gateway: LiveGateway
) -> None:
    shots = Path(tempfile.mkdtemp(prefix="dashboard-shots-"))
    zone = "America/Sao_Paulo"
    for period, days in (("DAYS_7", 7), ("DAYS_30", 30), ("DAYS_90", 90)):
        open_dashboard(browser, gateway, gateway.keys["tenant"], zone, period)
        # The browser, the gateway and its demo data share this machine's clock.
        today = datetime.now(ZoneInfo(zone)).date()
        first = (today - timedelta(days=days - 1)).isoformat()
        panels = {p["id"]: p for p in browser.execute_script(GEOMETRY)}
        for name in ("channels", "whatsapp", "sms-trends", "email"):
            shown = panels[name]
            assert (shown["days"], shown["first"], shown["last"]) == (days, first, str(today))
            check_layout(shown)
        times = panels["send-times"]
        assert times["first"] == first and f"last {days} days" in times["totals"]
        check_layout(times)
        check_rows(browser.execute_script(PANELS))  # no half-width panel left alone
        # The whole page, in one picture: the window as tall as the page (its width unchanged).
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1400, height + 140)
        assert browser.save_screenshot(str(shots / f"dashboard-{days}.png"))
        browser.set_window_size(1400, 1100)
    print(f"screenshots in {shots}")


def test_day_labels_carry_the_year_where_the_window_crosses_one(
    browser: WebDriver, gateway: LiveGateway
) -> None:
    browser.get(f"http://127.0.0.1:{gateway.port}/dashboard")
    api = "window.gatewayDashboard"
    days = [f"2026-12-{d}" for d in (29, 30, 31)] + ["2027-01-01", "2027-01-02"]
    labels = browser.execute_script(f"return {api}.dayLabels(arguments[0], () => true)", days)
    assert labels == ["2026-12-29", "12-30", "12-31", "2027-01-01", "01-02"]
    within = browser.execute_script(f"return {api}.dayLabels(arguments[0], () => true)", days[:3])
    assert within == ["12-29", "12-30", "12-31"]
    ticks = [
        browser.execute_script(
            f"return {api}.niceScale({n}).ticks",
        )
        for n in (0, 7, 555, 4161)
    ]
    assert ticks == [[0, 1], [0, 2, 4, 6, 8], [0, 200, 400, 600], [0, 2000, 4000, 6000]]
    # 90 local days back over a DST change, and the first of 7 days in +05:45 near midnight.
    script = f"return {api}.localDate(arguments[0], arguments[1], new Date(arguments[2]))"
    assert (
        browser.execute_script(script, "Asia/Kathmandu", 6, "2027-01-01T18:20:00Z") == "2026-12-27"
    )
    assert (
        browser.execute_script(script, "America/New_York", 89, "2026-11-05T12:00:00Z")
        == "2026-08-08"
    )
