"""Admins set where a staff member's notifications go through the users API."""

import httpx

from bot.services import Services
from bot.types import Role
from tests.conftest import StaffLogin

CONTACT = "/api/staff/users/agent.user/contact"


async def test_admin_sets_and_clears_a_contact(
    client: httpx.AsyncClient, services: Services, staff_headers: StaffLogin
) -> None:
    admin = await staff_headers(Role.ADMIN)
    await staff_headers(Role.AGENT)
    contacts = {"phone": "٠٥٥ ١٢٣ ٤٥٦٧", "telegram_chat_id": "4242"}
    body = {"contacts": contacts, "language": "en"}
    response = await client.put(CONTACT, json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "username": "agent.user",
        "display_name": "agent.user",
        "role": "agent",
        "team": None,
        "active": True,
        "contacts": {"phone": "+966551234567", "telegram_chat_id": "4242"},
        "language": "en",
    }
    body = {"contacts": {"phone": None}, "language": "ar"}  # one left out is cleared too
    cleared = await client.put(CONTACT, json=body, headers=admin)
    assert cleared.status_code == 200
    account = await services.store.get_user("agent.user")
    assert account is not None
    assert (account.contacts, account.language) == ({}, "ar")


async def test_fields_at_the_top_level_still_count_as_contacts(
    client: httpx.AsyncClient, services: Services, staff_headers: StaffLogin
) -> None:
    """Clients written before `contacts` send each field at the top level."""
    admin = await staff_headers(Role.ADMIN)
    await staff_headers(Role.AGENT)
    body = {"phone": "0551234567", "telegram_chat_id": None, "language": "en"}
    response = await client.put(CONTACT, json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["contacts"] == {"phone": "+966551234567"}


async def test_bad_contacts_are_422_and_change_nothing(
    client: httpx.AsyncClient, services: Services, staff_headers: StaffLogin
) -> None:
    admin = await staff_headers(Role.ADMIN)
    await staff_headers(Role.AGENT)
    before = await services.store.get_user("agent.user")
    for body, field in (
        ({"contacts": {"phone": "0512"}}, "body.contacts.phone"),
        ({"telegram_chat_id": "@agent"}, "body.contacts.telegram_chat_id"),
        ({"language": "fr"}, "body.language"),
        ({"contacts": {"email": "a@b.c"}}, "body.contacts.email"),
        ({"contacts": {"phone": 5}}, "body.contacts.phone"),
    ):
        response = await client.put(CONTACT, json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"][0]["field"] == field
    english = await client.put(
        CONTACT + "?lang=en", json={"contacts": {"phone": "0512"}}, headers=admin
    )
    assert english.json()["error"] == {
        "code": "invalid_contact",
        "message": "Nothing saved: the value of “Mobile (SMS)” is not valid.",
        "details": [{"field": "body.contacts.phone", "problem": "not a valid phone number"}],
    }
    assert await services.store.get_user("agent.user") == before
    missing = await client.put("/api/staff/users/nobody.here/contact", json={}, headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no staff account 'nobody.here'"


async def test_only_admins_set_contacts(
    client: httpx.AsyncClient, staff_headers: StaffLogin
) -> None:
    supervisor = await staff_headers(Role.SUPERVISOR)
    await staff_headers(Role.AGENT)
    response = await client.put(CONTACT, json={"language": "en"}, headers=supervisor)
    assert response.status_code == 403
