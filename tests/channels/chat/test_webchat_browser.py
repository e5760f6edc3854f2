"""The web chat widget in a real browser (Debian's chromium driven by Playwright): a whole
report in Arabic — menu buttons, location, photo, description, confirmation — then a switch
to English. The page is the demo portal page, under the service's Content-Security-Policy."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.app import create_app
from bot.settings import Settings
from tests.channels.chat.conftest import JPEG, FakeRasa
from tests.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROADS = '/inform{"category": "roads"}'
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
)


def script_a_report(rasa: FakeRasa) -> None:
    yes_no = [{"title": "نعم", "payload": "/affirm"}, {"title": "لا", "payload": "/deny"}]
    rasa.replies.update(
        {
            "/report_complaint": [
                {
                    "text": "وش نوع المشكلة؟",
                    "buttons": [
                        {"title": "حفرة أو طريق", "payload": ROADS},
                        {"title": "إنارة", "payload": '/inform{"category": "lighting"}'},
                    ],
                }
            ],
            ROADS: [{"text": "شارك موقع المشكلة وصورة لها، ثم اكتب وصفها."}],
            "": [{"text": "وصلني المرفق."}],
            "حفرة كبيرة قدام المسجد": [
                {"text": "بلاغ عن حفرة: حفرة كبيرة قدام المسجد. أسجله؟", "buttons": yes_no}
            ],
            "/affirm": [{"text": "تم تسجيل بلاغك برقم ١٢٣٤٥٦٧٨٩٠"}],
            '/choose_language{"language":"en"}': [{"text": "Sure, we can continue in English."}],
        }
    )


@pytest.fixture
async def page(settings: Settings) -> AsyncIterator[tuple[str, Page]]:
    async with serve(create_app(settings)) as url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        context = await browser.new_context(
            geolocation={"latitude": 25.3831, "longitude": 49.587},
            permissions=["geolocation"],
            locale="ar-SA",
        )
        yield url, await context.new_page()
        await browser.close()


async def test_a_whole_report_through_the_widget(page, fake_rasa, tmp_path):
    url, tab = page
    script_a_report(fake_rasa)
    problems: list[str] = []
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    await tab.goto(f"{url}/webchat/demo")
    await tab.click(".bw-launcher")
    chat = tab.locator(".bw")
    await expect(chat).to_have_attribute("dir", "rtl")
    bot = tab.locator(".bw-bot")
    await expect(bot.last).to_contain_text("أهلاً بك في بلاغ ٩٤٠")

    await tab.get_by_role("button", name="تقديم بلاغ").click()
    await expect(bot.last).to_contain_text("وش نوع المشكلة؟")
    await tab.get_by_role("button", name="حفرة أو طريق").click()
    await expect(bot.last).to_contain_text("شارك موقع المشكلة")

    await tab.click(".bw-location")
    await expect(tab.locator(".bw-user").last).to_contain_text("تمت مشاركة موقعي")
    await expect(bot).to_have_count(4)

    photo = tmp_path / "hole.jpg"
    photo.write_bytes(JPEG)
    await tab.set_input_files(".bw-file", str(photo))
    await expect(bot).to_have_count(5)

    await tab.fill(".bw-input", "حفرة كبيرة قدام المسجد")
    await tab.press(".bw-input", "Enter")
    await expect(bot.last).to_contain_text("أسجله؟")
    await tab.get_by_role("button", name="نعم").click()
    await expect(bot.last).to_contain_text("١٢٣٤٥٦٧٨٩٠")

    await tab.click(".bw-lang")
    await expect(chat).to_have_attribute("dir", "ltr")
    await expect(tab.locator(".bw-input")).to_have_attribute("placeholder", "Type your message…")
    await expect(bot.last).to_contain_text("continue in English")

    assert fake_rasa.messages == [
        "/greet",
        "/report_complaint",
        ROADS,
        "",
        "",
        "حفرة كبيرة قدام المسجد",
        "/affirm",
        '/choose_language{"language":"en"}',
    ]
    senders = {body["sender"] for body in fake_rasa.received}
    assert len(senders) == 1
    assert senders.pop().startswith("webchat:")
    location, upload = (body["metadata"] for body in fake_rasa.received[3:5])
    assert location["location"] == {"lat": 25.3831, "lng": 49.587}
    assert [(m["kind"], m["size"]) for m in upload["media"]] == [("photo", len(JPEG))]
    assert fake_rasa.received[-1]["metadata"]["language"] == "en"
    assert problems == [], json.dumps(problems, ensure_ascii=False)


async def test_a_chat_opened_before_the_socket_connects_still_greets(page):
    url, tab = page

    async def slow_handshake(route):
        await asyncio.sleep(1.5)  # a slow network: the visitor clicks first
        await route.continue_()

    await tab.route("**/socket.io/**", slow_handshake)
    await tab.goto(f"{url}/webchat/demo")
    await tab.click(".bw-launcher")
    await expect(tab.locator(".bw-bot").last).to_contain_text("أهلاً بك في بلاغ ٩٤٠")
