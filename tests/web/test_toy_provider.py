"""A new notification provider is one registration: a toy provider, written here against the
`Provider` interface alone, with a contact field of its own, gets an input on the admin
form (named by its key until the catalogues have words for it), a place in the users API,
its own check of what is typed, and the staff who filled it in are told through it."""

import re
from collections.abc import AsyncIterator
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted
from bot.notifications.providers.contact import ContactField
from bot.notifications.providers.registry import PROVIDERS, Registration, build_providers
from bot.platforms import Platforms
from bot.services import Services
from bot.settings import Settings
from bot.types import Role
from bot.words import N_
from tests.conftest import StaffLogin, new_complaint
from tests.notifications.conftest import deliver_all
from tests.web.conftest import WebLogin, post_form

USERS = "/staff/admin/users"
CREW = "omar.crew"


def toy_handle(typed: str) -> str:
    """`@` and 3 to 30 letters, digits or underscores, kept in lower case."""
    handle = typed.lower()
    if not re.fullmatch(r"@[a-z0-9_]{3,30}", handle):
        raise ValueError("a toy handle is @ and 3 to 30 letters")
    return handle


class ToyProvider:
    name = "toy_platform"
    channel = "toy"
    sent: ClassVar[list[OutboxMessage]] = []  # what the platform took

    async def send(self, message: OutboxMessage) -> Accepted:
        self.sent.append(message)
        return Accepted(f"toy:{message.id}", "delivered")

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        return []


def build(platforms: Platforms) -> ToyProvider:
    return ToyProvider()


# First in the list: staff who filled in its field are reached on it before anything else.
# Its label is a catalogue key; one the catalogues have words for, to see them on the pages.
TOY = Registration(
    ToyProvider.name,
    N_("provider.webhook"),
    build,
    ContactField("toy_handle", N_("contact.toy_handle"), "toy", toy_handle),
)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    ToyProvider.sent.clear()
    application = create_app(settings, providers=(TOY, *PROVIDERS))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def crew(staff_headers: StaffLogin) -> None:
    await staff_headers(Role.AGENT, CREW)


async def test_the_admin_form_shows_checks_and_saves_its_field(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, crew: None
) -> None:
    await web_login(Role.ADMIN)
    page = await client.get(USERS)
    assert 'name="toy_handle"' in page.text
    assert 'aria-label="toy_handle"' in page.text  # its key: no words for it yet
    action = f"{USERS}/{CREW}/contact"
    refused = await post_form(client, USERS, action, {"toy_handle": "omar", "language": "ar"})
    assert refused.headers["location"] == f"{USERS}?error=contact&field=toy_handle"
    shown = await client.get(refused.headers["location"])
    assert "لم يُحفظ شيء: قيمة «toy_handle» غير صحيحة." in shown.text
    untouched = await services.store.get_user(CREW)
    assert untouched is not None
    assert untouched.contacts == {}

    form = {"toy_handle": "@Omar_Crew", "phone": "٠٥٥٩٨٧٦٥٤٣", "language": "en"}
    saved = await post_form(client, USERS, action, form)
    assert saved.headers["location"].endswith("notice=saved")
    account = await services.store.get_user(CREW)
    assert account is not None
    assert account.contacts == {"toy_handle": "@omar_crew", "phone": "+966559876543"}
    assert 'value="@omar_crew"' in (await client.get(USERS)).text


async def test_the_users_api_takes_its_field(
    client: httpx.AsyncClient, staff_headers: StaffLogin, crew: None
) -> None:
    admin = await staff_headers(Role.ADMIN)
    contact = f"/api/staff/users/{CREW}/contact"
    refused = await client.put(contact, json={"contacts": {"toy_handle": "x"}}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == [
        {"field": "body.contacts.toy_handle", "problem": "a toy handle is @ and 3 to 30 letters"}
    ]
    saved = await client.put(contact, json={"contacts": {"toy_handle": "@crew"}}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["contacts"] == {"toy_handle": "@crew"}


async def test_staff_who_filled_it_in_are_told_through_it(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, crew: None
) -> None:
    await web_login(Role.ADMIN)
    form = {"toy_handle": "@omar_crew", "phone": "0559876543", "language": "en"}
    await post_form(client, USERS, f"{USERS}/{CREW}/contact", form)
    complaint = await new_complaint(services)
    page = f"/staff/complaints/{complaint.reference}"
    await post_form(client, page, f"{page}/assign", {"assignee": CREW})
    await deliver_all(services.dispatcher, services.store)
    (told,) = ToyProvider.sent
    assert (told.event, told.to, told.language) == ("assignment", "@omar_crew", "en")
    assert told.body.startswith(f"New report {complaint.reference}")
    shown = {"reference": complaint.reference, "lang": "en"}
    outbox = await client.get("/staff/outbox", params=shown)
    assert "toy · Webhook" in outbox.text  # its channel, and its label from the registration


async def test_a_provider_registered_under_another_name_is_refused(services: Services) -> None:
    misnamed = Registration("toy", N_("provider.webhook"), build)
    with pytest.raises(ValueError, match="'toy_platform' is registered as 'toy'"):
        build_providers(services.platforms, (misnamed,))
