"""Values no client should send get a 4xx in the project's error shape, never a 500; free text
is cleaned of control and bidi-override characters where it enters."""

import base64
from xml.etree import ElementTree

import pytest

from bot.api_keys import create_api_key
from bot.text import clean_text
from bot.types import Role


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/staff/complaints", {"cursor": cursor("9999999999999999999")}),  # past int64
        ("/api/staff/complaints", {"cursor": cursor("9223372036854775808")}),
        ("/api/staff/outbox", {"cursor": cursor("99999999999999999999:x")}),
        ("/api/staff/outbox", {"cursor": cursor("-99999999999999999:x")}),
        ("/api/staff/kpi", {"to": "0001-01-05"}),  # 30 days before year 1
        ("/api/staff/kpi", {"from": "9999-12-31", "to": "9999-12-31"}),
        ("/api/staff/complaints", {"created_from": "0001-01-01T00:00:00Z"}),
    ],
)
async def test_values_past_what_the_store_holds_are_4xx(client, staff_headers, path, params):
    headers = await staff_headers(Role.ADMIN)
    response = await client.get(path, params=params, headers=headers)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    assert response.status_code != 500
    if response.status_code != 200:
        assert set(response.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize(
    "query",
    [
        "end_date=0001-01-01T00:00:00Z",  # the default start would be before year 1
        "start_date=9999-12-31T23:59:59-12:00",  # after year 9999 in UTC
        "start_date=2025-13-45T00:00:00Z",
        "end_date=2025-02-30T10:00:00%2B03:00",
    ],
)
async def test_open311_dates_outside_the_calendar_are_400(client, query):
    for fmt in ("json", "xml"):
        response = await client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 400, response.text


def test_control_and_bidi_override_characters_are_removed():
    text = "حفرة\u202e ANS\u202c في\x00 الشارع\x1b[31m\r\nسطر\tثان\u200f"
    assert clean_text(text) == "حفرة ANS في الشارع[31m\nسطر\tثان\u200f"


async def test_free_text_is_cleaned_at_intake_and_the_open311_xml_stays_valid(
    client, services, staff_headers
):
    report = {
        "description": "إنارة\u202e معطلة\x07 منذ\x0b أسبوع",
        "phone": "0501234567",
        "name": "سعد\u2066 الحربي\x00",
        "location": {"lat": 25.38, "lng": 49.58, "address": "حي\u202d الكوت\x1f"},
    }
    created = await client.post("/api/complaints", json=report)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    stored = await services.store.get_complaint(reference)
    assert stored.description == "إنارة معطلة منذ أسبوع"
    assert stored.name == "سعد الحربي"
    assert stored.location.address == "حي الكوت"
    headers = await staff_headers(Role.AGENT)
    note = {"note": "اتصل\u202e بالمواطن\x08"}
    await client.post(f"/api/staff/complaints/{reference}/notes", json=note, headers=headers)
    stored = await services.store.get_complaint(reference)
    assert stored.history[-1].reason == "اتصل بالمواطن"

    plain, _ = await create_api_key(services.store, "GIS", "admin", "partner")
    xml = await client.get(
        f"/open311/v2/requests.xml?service_request_id={reference}&api_key={plain}"
    )
    item = ElementTree.fromstring(xml.content).find("request")  # noqa: S314 - our own
    assert item is not None
    assert item.findtext("description") == "إنارة معطلة منذ أسبوع"
