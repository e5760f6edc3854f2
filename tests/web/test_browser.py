"""In a real browser (Debian's chromium driven by Playwright) against the real app under uvicorn.

Staff sign in, filter the queue, open a complaint, change its status and find the
citizen's notification in the outbox; a citizen tracks a report; the KPI dashboard draws
every chart. CI installs chromium (.ci/run); elsewhere these tests say what is missing.
"""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from bot.complaint_record import Location
from bot.complaints import CITIZEN, NewComplaint
from bot.composition import start_services
from bot.demo import seed_store
from bot.phone import last_four
from bot.settings import ROOT, Settings
from bot.types import Role
from tests.conftest import PASSWORD, create_account
from tests.servers import bound_socket, local_url

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CHARTS = (
    "chart-day",
    "chart-hour",
    "chart-channel",
    "chart-category",
    "chart-district",
    "chart-ageing",
)
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
)


@dataclass(frozen=True)
class LiveApp:
    base: str
    reference: str
    phone: str
    pinned: str  # an open roads report with a map pin at PIN


PIN = Location(lat=25.38, lng=49.59)  # where the report form's map opens


async def prepare(settings: Settings) -> tuple[str, str, str]:
    """A supervisor, some demo history for the charts, one fresh lighting report and one
    roads report pinned where the report form's map opens."""
    services = await start_services(settings)
    try:
        await create_account(services, "noura", Role.SUPERVISOR, display_name="نورة")
        async for _ in seed_store(services, 300, seed=7):
            pass
        report = NewComplaint(
            channel="whatsapp",
            language="ar",
            description="عمود انارة طافي أمام المدرسة",
            category="lighting",
            district="al_hofuf",
            phone="0509876543",
        )
        complaint = (await services.complaints.create(report, CITIZEN)).complaint
        assert complaint.phone
        pothole = report.model_copy(
            update={"category": "roads", "description": "حفرة كبيرة", "location": PIN}
        )
        pinned = (await services.complaints.create(pothole, CITIZEN)).complaint
        return complaint.reference, complaint.phone, pinned.reference
    finally:
        await services.stop()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    folder = tmp_path_factory.mktemp("browser")
    listener = bound_socket()  # held from now on, then handed to the server (`--fd`)
    base, port = local_url(listener), listener.getsockname()[1]
    env = {
        **os.environ,
        "BALAGH_STORE_URL": f"sqlite:///{folder / 'balagh.db'}",
        "BALAGH_ATTACHMENTS_DIR": str(folder / "attachments"),
        "BALAGH_RASA_URL": "http://127.0.0.1:9",
        "BALAGH_WORKER_INTERVAL_SECONDS": "0.5",
        "BALAGH_PORT": str(port),
    }
    settings = Settings(store_url=env["BALAGH_STORE_URL"], attachments_dir=folder / "attachments")
    reference, phone, pinned = asyncio.run(prepare(settings))
    fd = listener.fileno()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bot.app:create_app", "--fd", str(fd)],
        cwd=ROOT,
        env=env,
        pass_fds=[fd],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),
    )
    listener.close()  # the server has its own copy
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (folder / "server.log").read_text()
            time.sleep(0.2)
        yield LiveApp(base, reference, phone, pinned)
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def browser(live_app: LiveApp) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/staff/login")
    page.fill("#username", "noura")
    page.fill("#password", PASSWORD)
    page.click("form[action='/staff/login'] button[type=submit]")
    page.wait_for_url(f"{base}/staff/queue")


def test_staff_filter_open_change_status_and_see_the_outbox(
    live_app: LiveApp, browser: Browser
) -> None:
    page = browser.new_page()
    sign_in(page, live_app.base)
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.select_option("#category", "lighting")
    page.select_option("#district", "al_hofuf")
    page.click("#queue-filters button[type=submit]")
    row = page.locator(f"#queue tr[data-reference='{live_app.reference}']")
    expect(row).to_be_visible()
    categories = page.locator("#queue tbody tr td:nth-child(5)").all_inner_texts()
    assert set(categories) == {"إنارة الشوارع"}
    row.locator("a").click()
    page.wait_for_url(f"**/staff/complaints/{live_app.reference}")
    page.select_option("#new-status", "in_progress")
    page.fill("#status-note", "الفريق في الموقع")
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status-label")).to_have_text("قيد التنفيذ")
    expect(page.locator(".notice")).to_be_visible()

    page.goto(f"{live_app.base}/staff/outbox?reference={live_app.reference}")
    messages = page.locator(f"#outbox tr[data-reference='{live_app.reference}']")
    expect(messages.first).to_be_visible(timeout=10_000)
    page.close()


def test_citizen_tracks_a_report(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{live_app.base}/track")
    page.fill("#reference", live_app.reference)
    page.fill(
        "#digits", last_four(live_app.phone).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    )
    page.click("form[action='/track'] button[type=submit]")
    page.wait_for_url(f"**/track/{live_app.reference}?t=*")
    expect(page.locator("h1")).to_contain_text(live_app.reference)
    expect(page.locator(".timeline li").last).to_contain_text("تم استلام البلاغ")
    page.close()


def test_kpi_dashboard_draws_its_charts(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, live_app.base)
    page.goto(f"{live_app.base}/staff/kpi")
    page.wait_for_load_state("networkidle")
    assert int(page.inner_text("#kpi-total")) > 0
    for chart in CHARTS:
        painted = page.evaluate(
            """id => {
                const canvas = document.getElementById(id);
                const pixels = canvas.getContext("2d")
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                return canvas.width > 0 && pixels.some(value => value !== 0);
            }""",
            chart,
        )
        assert painted, chart
    page.close()


def test_the_search_box_finds_a_reference_or_a_phone(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page()
    sign_in(page, live_app.base)
    eastern = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    local_phone = ("0" + live_app.phone.removeprefix("+966")).translate(eastern)
    page.fill("#q", local_phone)
    page.press("#q", "Enter")
    expect(page.locator("#searched-as")).to_be_visible()
    expect(page.locator(f"#queue tr[data-reference='{live_app.reference}']")).to_be_visible()
    reference = live_app.reference
    page.fill("#q", f"{reference[:3]}-{reference[3:6]}-{reference[6:]}")
    page.press("#q", "Enter")
    page.wait_for_url(f"**/staff/complaints/{reference}")
    page.close()


def test_a_failing_portal_form_comes_back_filled_in(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{live_app.base}/report?lang=en")
    page.select_option("#category", "lighting")
    page.fill("#description", "Street light out")
    page.fill("#phone", "12345")
    page.fill("#name", "Huda")
    page.click("#report-form button.btn[type=submit]:not([name])")
    expect(page.locator("#error-phone")).to_contain_text("Enter it like 0501234567")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#description")).to_have_value("Street light out")
    expect(page.locator("#phone")).to_have_value("12345")
    expect(page.locator("#name")).to_have_value("Huda")
    expect(page.locator("#category")).to_have_value("lighting")
    page.close()


def test_the_kpi_dashboard_shows_what_each_figure_counts(
    live_app: LiveApp, browser: Browser
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, live_app.base)
    page.goto(f"{live_app.base}/staff/kpi?lang=en")
    total = page.locator("[data-figure=total]")
    expect(total.locator(".definition")).to_contain_text("Reports created in the range")
    backlog = page.locator("[data-figure=backlog]")
    expect(backlog.locator(".definition")).to_contain_text("the same number as the dispatch board")
    assert int(page.inner_text("#kpi-open")) + int(page.inner_text("#kpi-closed")) == int(
        page.inner_text("#kpi-total")
    )
    page.fill("#from", "2026-03-02")
    page.fill("#to", "2026-03-01")
    page.click("#kpi-filters button[type=submit]")
    expect(page.locator("#kpi-refused")).to_have_text(
        "The range ends before it starts. Choose a valid range."
    )
    page.close()


def test_a_report_nearby_is_offered_and_followed(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{live_app.base}/report?lang=en")
    page.select_option("#category", "roads")
    page.locator("#pick-map").click()  # its middle: where the roads report is pinned
    offered = page.locator(f"#nearby-list li[data-reference='{live_app.pinned}']")
    expect(offered).to_be_visible()
    expect(page.locator("#nearby h2")).to_have_text("Is it one of these?")
    page.fill("#phone", "0555000111")
    offered.locator("button").click()
    expect(page.locator("#following")).to_be_visible()
    expect(page.locator("#followed-reference")).to_have_text(live_app.pinned)
    page.close()


def test_a_map_without_tiles_says_so_and_shows_the_pin(live_app: LiveApp, browser: Browser) -> None:
    """The test machine reaches no tile server: exactly the air-gapped case."""
    page = browser.new_page()
    sign_in(page, live_app.base)
    page.goto(f"{live_app.base}/staff/complaints/{live_app.pinned}?lang=en")
    expect(page.locator(".map-unavailable")).to_have_text(
        "The map is unavailable right now; the pin still marks the place."
    )
    expect(page.locator("#map .leaflet-marker-icon")).to_be_visible()
    page.close()


def test_the_api_documentation_loads_with_no_network(live_app: LiveApp, browser: Browser) -> None:
    page = browser.new_page()
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(live_app.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_app.base}/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
    page.goto(f"{live_app.base}/redoc")
    expect(page.get_by_text("/api/staff/complaints").first).to_be_attached(timeout=15_000)
    assert outside == []
    page.close()
