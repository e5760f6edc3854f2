"""A report's whole life through the API, and every message it causes, in both languages.

The service runs on its embedded defaults: every message goes to the local outbox,
which staff read at GET /api/staff/outbox.
"""

from urllib.parse import parse_qs, urlparse

import pytest

from bot.notifications.replies import handle_citizen_reply
from bot.phone import normalise_phone
from bot.tracking_link import token_is_valid
from bot.types import Role, Status
from tests.conftest import create_account

PHONE = "0551234567"
E164 = normalise_phone(PHONE)
EXPECTED = {
    "ar": {
        "created": "استلمنا بلاغك رقم",
        "assigned": "إلى فرقة الإنارة - الجنوب",
        "in_progress": "العمل جارٍ على بلاغك",
        "resolved": "أرسل 1 للتأكيد أو 2",
        "closed": "من 1 (غير راضٍ) إلى 5",
    },
    "en": {
        "created": "we received your report",
        "assigned": "to Lighting crew - south",
        "in_progress": "Work on your report",
        "resolved": "Reply 1 for yes or 2 for no",
        "closed": "from 1 (not satisfied) to 5",
    },
}


async def citizen_messages(client, headers, reference):
    response = await client.get(
        "/api/staff/outbox", params={"reference": reference, "to": E164}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"][::-1]  # oldest first


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_a_report_from_creation_to_rating(client, services, staff_headers, language):
    supervisor = await staff_headers(Role.SUPERVISOR)
    report = {"description": "street light out on our road", "phone": PHONE, "language": language}
    created = await client.post("/api/complaints", json=report)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    assert created.json()["phone_verified"] is False  # typed on the web: a code goes first

    code_message, first = await citizen_messages(client, supervisor, reference)
    assert (code_message["event"], first["state"]) == ("phone_code", "held")
    code = services.complaints.rules.phone_codes.code(reference)
    verified = await client.post(
        f"/api/complaints/{reference}/phone-verification",
        params={"t": created.json()["tracking_token"]},
        json={"code": code},
    )
    assert verified.json() == {"phone_verified": True}, verified.text

    code_message, first = await citizen_messages(client, supervisor, reference)
    assert first["state"] != "held"
    assert (first["event"], first["channel"], first["language"]) == ("created", "sms", language)
    assert EXPECTED[language]["created"] in first["body"]
    assert reference in first["body"]
    link = urlparse(first["body"].split()[-1])
    assert link.path == f"/track/{reference}"
    token = parse_qs(link.query)["t"][0]
    assert token_is_valid(services.settings.secret_key.get_secret_value(), reference, token)

    response = await client.post(
        f"/api/staff/complaints/{reference}/assign",
        json={"team": "lighting_south", "note": "no district given: the south crew"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        response = await client.post(
            f"/api/staff/complaints/{reference}/status",
            json={"status": status, "note": "crew on site"},
            headers=supervisor,
        )
        assert response.status_code == 200, response.text
    reopened = await handle_citizen_reply(services.complaints, E164, "٢")  # Eastern Arabic 2
    assert reopened is not None
    assert reopened.action == "reopened"
    await client.post(
        f"/api/staff/complaints/{reference}/status",
        json={"status": Status.RESOLVED, "note": "fixed properly"},
        headers=supervisor,
    )
    confirmed = await handle_citizen_reply(services.complaints, E164, "1")
    assert confirmed is not None
    assert confirmed.action == "confirmed"
    rated = await handle_citizen_reply(services.complaints, E164, " 5 ")
    assert rated is not None
    assert rated.action == "rated"
    assert (await services.complaints.get(reference)).satisfaction == 5
    assert await handle_citizen_reply(services.complaints, E164, "4") is None  # asked once

    await services.dispatcher.run_once()
    messages = await citizen_messages(client, supervisor, reference)
    events = [m["event"] for m in messages]
    assert events == [
        "phone_code",
        "created",
        "assigned",
        "in_progress",
        "resolved",
        "in_progress",  # reopened by the citizen
        "resolved",
        "closed",
    ]
    for sent in messages:
        assert (sent["state"], sent["provider"], sent["language"]) == (
            "delivered",
            "local",
            language,
        )
        if sent["event"] in EXPECTED[language]:
            assert EXPECTED[language][sent["event"]] in sent["body"]


async def test_staff_are_told_of_a_new_assignment_in_their_language(
    client, services, staff_headers
):
    supervisor = await staff_headers(Role.SUPERVISOR)
    crew = await create_account(
        services, "crew.lead", Role.FIELD, display_name="Crew lead", team="lighting_south"
    )
    await services.store.replace_user(
        crew.model_copy(update={"contacts": {"phone": "+966559876543"}, "language": "en"})
    )
    report = {"description": "street light out", "phone": PHONE, "district": "al_hofuf"}
    reference = (await client.post("/api/complaints", json=report)).json()["reference"]
    response = await client.post(
        f"/api/staff/complaints/{reference}/assign",
        json={"assignee": "crew.lead", "note": "nearest crew"},
        headers=supervisor,
    )
    assert response.status_code == 200, response.text

    listed = await client.get(
        "/api/staff/outbox", params={"reference": reference}, headers=supervisor
    )
    by_event = {(m["event"], m["to"]): m for m in listed.json()["items"]}
    dispatched = by_event[("assignment", "team:lighting_south")]  # at creation: the team's desk
    assert (dispatched["channel"], dispatched["language"]) == ("local", "ar")
    assigned = by_event[("assignment", "+966559876543")]
    assert (assigned["channel"], assigned["language"]) == ("sms", "en")
    assert assigned["body"].startswith(f"New report {reference} (Street lighting, Al Hofuf")
    assert "crew.lead" in assigned["body"]
    assert ("assigned", E164) not in by_event  # already assigned at creation: no repeat


async def test_the_outbox_is_for_desk_staff_only(client, staff_headers):
    field = await staff_headers(Role.FIELD, team="roads_hofuf")
    assert (await client.get("/api/staff/outbox", headers=field)).status_code == 403
    agent = await staff_headers(Role.AGENT)
    bad = await client.get("/api/staff/outbox", params={"cursor": "!!"}, headers=agent)
    assert bad.status_code == 422
