"""The agent inbox with two real browsers (two Debian chromium processes, by Playwright): a resident
on the web chat widget asks for an employee; an employee in the back office, whose inbox is
already open, sees the conversation appear, takes it, and they write to each other live; the
bot says nothing meanwhile; the employee hands back and the bot answers again."""

import json
import re
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright, expect

from bot.app import create_app
from bot.services import Services
from bot.settings import Settings
from bot.types import Role
from tests.channels.chat.conftest import FakeRasa
from tests.channels.chat.test_webchat_browser import BROWSER_ARGS, CHROMIUM
from tests.conftest import PASSWORD, create_account
from tests.servers import serve

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
)


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[str, FastAPI]]:
    app = create_app(settings)
    async with serve(app) as url:
        yield url, app


def watch(tab: Page, problems: list[str]) -> None:
    tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )


async def test_a_resident_and_an_employee_talk_live_then_the_bot_answers_again(
    served, fake_rasa: FakeRasa
):
    url, app = served
    services: Services = app.state.services
    await create_account(services, "amal", Role.AGENT, display_name="أمل")
    problems: list[str] = []
    async with async_playwright() as playwright:
        browsers = [
            await playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
            for _ in ("resident", "agent")
        ]
        resident, agent = [await browser.new_page(locale="ar-SA") for browser in browsers]
        watch(resident, problems)
        watch(agent, problems)

        await agent.goto(f"{url}/staff/login?next=/staff/inbox")
        await agent.fill("#username", "amal")
        await agent.fill("#password", PASSWORD)
        await agent.press("#password", "Enter")
        await expect(agent.locator("#inbox")).to_have_attribute("data-live", "on")
        await expect(agent.locator(".conversation-row")).to_have_count(0)

        await resident.goto(f"{url}/webchat/demo")
        await resident.click(".bw-launcher")
        said = resident.locator(".bw-bot")
        await resident.get_by_role("button", name="التحدث مع موظف").click()
        await expect(said.last).to_contain_text("خلال 2 دقيقة تقريباً")

        row = agent.locator(".conversation-row")
        await expect(row).to_have_count(1)  # it appeared without a reload
        await expect(row).to_contain_text("بانتظار موظف")
        await row.locator("a").click()
        await expect(agent.locator("#transcript")).to_contain_text("التحدث مع موظف")
        # the conversation's page has its own live socket: what the employee types goes there
        await expect(agent.locator("#inbox")).to_have_attribute("data-live", "on")
        await agent.get_by_role("button", name="استلام الطلب").click()
        await expect(said.last).to_contain_text("معك الآن أمل من موظفي الأمانة")
        await agent.locator("#reply-text").press_sequentially("تمام")
        await expect(resident.locator(".bw-typing")).to_be_visible()  # the employee writes
        await agent.fill("#reply-text", "")

        await resident.locator(".bw-input").press_sequentially("فيه حفرة")
        await expect(agent.locator(".conversation .typing")).to_be_visible()
        await agent.locator("#reply-text").press_sequentially("أهلاً")  # writing meanwhile
        await resident.locator(".bw-input").press_sequentially(" قدام البيت")
        await resident.press(".bw-input", "Enter")
        await expect(agent.locator("#transcript .resident").last).to_contain_text(
            "فيه حفرة قدام البيت"
        )
        # the panel was read again under the employee's hands: their next keys still land
        await agent.keyboard.type(" بك")
        await expect(agent.locator("#reply-text")).to_have_value("أهلاً بك")
        bot_lines = await said.count()

        await agent.fill("#reply-text", "تمام، أرسل لي موقع الحفرة لو سمحت")
        await agent.get_by_role("button", name="إرسال").click()
        await expect(said.last).to_contain_text("تمام، أرسل لي موقع الحفرة لو سمحت")
        await agent.select_option("#reply-template", label="نحتاج الموقع")  # a canned reply
        canned = agent.locator("#reply-text")
        await expect(canned).to_have_value(re.compile("موقع"))
        words = await canned.input_value()
        await agent.get_by_role("button", name="إرسال").click()
        await expect(said.last).to_contain_text(words)
        await expect(said).to_have_count(bot_lines + 2)  # the employee's words, none of the bot's
        assert fake_rasa.messages[-1] == "فيه حفرة قدام البيت"  # Rasa heard it, paused

        await agent.get_by_role("button", name="إعادة للمساعد الآلي").click()
        await expect(said.last).to_contain_text("أعادك الموظف إلى المساعد الآلي")
        await resident.fill(".bw-input", "مرحبا")
        await resident.press(".bw-input", "Enter")
        await expect(said.last).to_contain_text("أهلاً بك في بلاغ ٩٤٠")
        await expect(agent.locator(".conversation-row")).to_have_count(0)  # off the waiting list
        for browser in browsers:
            await browser.close()
    assert problems == [], json.dumps(problems, ensure_ascii=False)
