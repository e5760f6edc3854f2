"""The phone simulator: its signing endpoint's limits, and a whole call placed from the page in
a real browser (Debian's chromium driven by Playwright) through the real voice webhooks."""

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect
from pydantic import SecretStr

from bot.app import create_app
from bot.services import Services
from bot.settings import Settings
from bot.store.base import ComplaintFilter
from channels.voice.speech import read_digits
from tests.channels.chat.test_webchat_browser import BROWSER_ARGS, CHROMIUM
from tests.channels.voice.conftest import PUBLIC, FakeRasa
from tests.channels.voice.report_bot import ReportBot
from tests.servers import serve

VOICE = f"{PUBLIC}/channels/twilio/voice"


async def sign(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.post("/simulator/sign", json={"url": url, "params": {"CallSid": "CA1"}})


async def test_the_simulator_signs_only_the_phone_lines_own_urls(client: httpx.AsyncClient):
    assert (await sign(client, f"{VOICE}?s=2")).json()["signature"]
    assert (await sign(client, f"{PUBLIC}/channels/twilio/messaging")).status_code == 422
    config = (await client.get("/simulator/config")).json()
    assert config == {
        "enabled": True,
        "voice_url": VOICE,
        "status_url": f"{VOICE}/status",
        "account_sid": "AC" + "0" * 32,
        "line": "+966940",
    }


@pytest.fixture
def real_token(settings: Settings) -> Settings:
    return settings.model_copy(update={"twilio_auth_token": SecretStr("a-real-token")})


async def test_with_a_real_twilio_token_nothing_is_signed(real_token: Settings):
    app = create_app(real_token)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            assert (await sign(client, VOICE)).status_code == 404
            assert (await client.get("/simulator/config")).json()["enabled"] is False


@pytest.fixture
async def simulator(
    settings: Settings, fake_rasa: FakeRasa
) -> AsyncIterator[tuple[Page, Services]]:
    app = create_app(settings)
    async with serve(app) as url, async_playwright() as playwright:
        services: Services = app.state.services
        fake_rasa.bot = ReportBot(services.complaints)
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = await browser.new_page(locale="ar-SA")
        await page.goto(f"{url}/simulator")
        yield page, services
        await browser.close()


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
)
async def test_a_whole_call_from_the_simulator(simulator: tuple[Page, Services]):
    page, services = simulator
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    transcript, steps = page.locator("#transcript"), page.locator("#steps > li")

    async def press(key: str, then: str) -> None:
        await page.click(f"#keypad [data-key='{key}']")
        await expect(transcript).to_contain_text(then)

    await page.click("#call")
    await expect(transcript).to_contain_text("للعربية اضغط 1.")
    await expect(steps.first).to_contain_text("<Gather")
    await press("1", "كيف أقدر أخدمك؟")
    await press("1", "وش نوع المشكلة؟")
    await page.fill("#words", "حفر وطرق")  # said, not pressed
    await page.click("#say")
    await expect(transcript).to_contain_text("في أي حي؟")
    await press("1", "صف لنا المشكلة")
    await press("#", "نتواصل معك على الرقم المنتهي بـ")  # the recording ends with #
    await press("1", "أرسله؟")
    await press("1", "تم تسجيل بلاغك برقم")
    (complaint,) = (await services.store.list_complaints(ComplaintFilter(), 5, None)).items
    await expect(transcript).to_contain_text(read_digits(complaint.reference, "ar"))
    await press("2", "في أمان الله")
    await expect(page.locator("#status")).to_have_text("انتهت المكالمة")
    await expect(steps.last).to_contain_text("/channels/twilio/voice/status")
    # Whole step numbers, the same in the transcript and in the TwiML panel.
    count = await steps.count()
    assert count >= 10
    await expect(steps.last.locator("div").first).to_contain_text(f"{count}. POST")
    numbers = await page.locator("#transcript .step-number").all_inner_texts()
    assert numbers[0] == "1"
    assert numbers[-1] == str(count - 1)  # the goodbye, heard before the status callback
    # The Arabic inside the left-to-right TwiML reads right to left whole: the sentence's
    # full stop ends it on the left of its first word, not on the right of the line.
    placed = await page.evaluate(
        """() => {
            const text = document.querySelector("#steps > li pre").firstChild;
            const x = (start, length) => {
                const range = document.createRange();
                range.setStart(text, start);
                range.setEnd(text, start + length);
                return range.getBoundingClientRect().x;
            };
            const sentence = text.data.indexOf("للعربية اضغط 1.");
            return { first: x(sentence, 7), stop: x(sentence + 14, 1) };
        }"""
    )
    assert placed["stop"] < placed["first"], placed
    assert (complaint.category, complaint.district, complaint.phone) == (
        "roads",
        "al_hofuf",
        "+966501234567",
    )
    assert [a.kind for a in complaint.attachments] == ["voice"]

    await page.click("#ui-language")
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")
    await expect(page.locator("#call")).to_have_text("Call 940")
    assert problems == []
