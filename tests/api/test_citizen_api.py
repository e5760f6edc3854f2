"""The citizen API over real ASGI on a temporary SQLite store."""

import asyncio

import pytest

from bot.reference import parse_reference
from tests.conftest import RULES
from tests.web.conftest import post_form

REPORT = {
    "description": "حفرة كبيرة في الشارع قدام المسجد",
    "phone": "٠٥٠١٢٣٤٥٦٧",
    "district": "al_mubarraz",
}


async def test_a_report_gets_a_valid_reference_and_is_stored(client, services):
    response = await client.post("/api/complaints", json=REPORT)
    assert response.status_code == 201, response.text
    body = response.json()
    reference = parse_reference(body["reference"])
    stored = await services.store.get_complaint(reference)
    assert stored is not None
    assert stored.category == "roads"
    assert stored.phone == "+966501234567"
    assert stored.channel == "portal"
    assert body["category"] == "roads"
    assert body["phone"] != stored.phone
    assert body["phone"].endswith("67")


async def test_language_follows_accept_language(client):
    response = await client.post(
        "/api/complaints", json=REPORT, headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert response.json()["timeline"][0]["label"] == "Report received"
    arabic = await client.get(
        f"/api/complaints/{response.json()['reference']}", params={"digits": "4567"}
    )
    assert arabic.json()["timeline"][0]["label"] == "تم استلام البلاغ"


@pytest.mark.parametrize(
    "forbidden",
    [{"status": "closed"}, {"assignee": "someone"}, {"priority": "P1"}, {"team": "x"}],
)
async def test_a_citizen_cannot_set_staff_fields(client, services, forbidden):
    response = await client.post("/api/complaints", json={**REPORT, **forbidden})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert (await services.store.kpi_summary()).total == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"phone": {"$ne": ""}}, "invalid_request"),
        ({"phone": "11111111"}, "invalid_phone"),
        ({"description": ""}, "invalid_request"),
        ({"district": "atlantis"}, "unknown_code"),
        ({"category": "weather"}, "unknown_code"),
        ({"location": {"lat": 200, "lng": 49.5}}, "invalid_request"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(client, services, change, code):
    response = await client.post("/api/complaints", json={**REPORT, **change})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert (await services.store.kpi_summary()).total == 0


async def test_phone_error_is_in_the_citizens_language(client):
    response = await client.post("/api/complaints", json={**REPORT, "phone": "11111111"})
    assert "رقم الجوال" in response.json()["error"]["message"]


async def test_idempotency_key_makes_a_retry_harmless(client, services):
    headers = {"Idempotency-Key": "form-7f3a"}
    first = await client.post("/api/complaints", json=REPORT, headers=headers)
    again = await client.post("/api/complaints", json=REPORT, headers=headers)
    assert first.json()["reference"] == again.json()["reference"]
    assert (await services.store.kpi_summary()).total == 1


async def test_follow_a_report_with_eastern_arabic_digits(client):
    created = (await client.post("/api/complaints", json=REPORT)).json()
    eastern = created["reference"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = await client.get(f"/api/complaints/{eastern}", params={"digits": "٤٥٦٧"})
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == created["reference"]
    assert body["status_label"]
    assert "history" not in body
    assert "description" not in body


async def test_internal_entries_never_reach_the_citizen(client, services):
    created = (await client.post("/api/complaints", json=REPORT)).json()
    stored = await services.store.get_complaint(created["reference"])
    assert any(entry.internal for entry in stored.history)
    followed = await client.get(f"/api/complaints/{created['reference']}?digits=4567")
    timeline = followed.json()["timeline"]
    internal_count = sum(1 for entry in stored.history if entry.internal)
    assert len(timeline) == len(stored.history) - internal_count


async def test_a_bad_check_digit_gets_a_clear_message(client):
    created = (await client.post("/api/complaints", json=REPORT)).json()["reference"]
    typo = created[:-2] + created[-1] + created[-2]
    if typo == created:
        typo = created[:-1] + str((int(created[-1]) + 1) % 10)
    response = await client.get(f"/api/complaints/{typo}?lang=en")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reference_check_digit"
    assert "digit seems to be wrong" in response.json()["error"]["message"]


async def test_unknown_reference_is_404_in_arabic(client):
    response = await client.get(f"/api/complaints/{RULES.references.reference(777)}?digits=1234")
    assert response.status_code == 404
    assert "لا يوجد بلاغ" in response.json()["error"]["message"]


async def test_oversized_body_is_refused(client, settings):
    response = await client.post(
        "/api/complaints",
        content=b"{" + b" " * settings.max_body_bytes + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_health_reports_each_component(client):
    response = await client.get("/health")
    assert response.status_code == 200
    components = response.json()["components"]
    assert components["store"]["state"] == "up"
    assert components["dialogue"]["state"] == "down"
    assert response.json()["status"] == "degraded"


async def test_following_a_report_needs_its_proof(client):
    created = (await client.post("/api/complaints", json=REPORT)).json()
    path = f"/api/complaints/{created['reference']}"
    bare = await client.get(path)
    assert bare.status_code == 403
    assert bare.json()["error"]["code"] == "proof_required"
    assert (await client.get(path, params={"digits": "9999"})).status_code == 404
    assert (await client.get(path, params={"t": "forged-token"})).status_code == 404
    assert (await client.get(path, params={"digits": "4567"})).status_code == 200
    assert (await client.get(path, params={"t": created["tracking_token"]})).status_code == 200


async def test_guessing_digits_is_limited_as_on_the_portal(client, settings):
    """Wrong digits on the API and on the portal use one allowance per reference."""
    created = (await client.post("/api/complaints", json=REPORT)).json()
    path = f"/api/complaints/{created['reference']}"
    for _ in range(settings.track_attempts_per_reference):
        assert (await client.get(path, params={"digits": "0000"})).status_code == 404
    limited = await client.get(path, params={"digits": "4567"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "too_many_attempts"
    portal = await post_form(
        client, "/track", "/track", {"reference": created["reference"], "digits": "4567"}
    )
    assert portal.status_code == 429
    # the signed link cannot be guessed, so it is never held back
    assert (await client.get(path, params={"t": created["tracking_token"]})).status_code == 200


async def test_digits_guessed_all_at_once_get_only_the_allowance_checked(client, settings):
    created = (await client.post("/api/complaints", json=REPORT)).json()
    path = f"/api/complaints/{created['reference']}"
    guesses = [client.get(path, params={"digits": f"{n:04d}"}) for n in range(30)]
    statuses = sorted(response.status_code for response in await asyncio.gather(*guesses))
    allowed = settings.track_attempts_per_reference
    assert statuses == [404] * allowed + [429] * (30 - allowed)
