"""Intake that prevents duplicates: open reports of the same problem near a pin are offered,
and choosing one subscribes the resident to it instead of filing a second report."""

import httpx
import pytest

from bot.api.kpi import local_today
from bot.complaint_record import Location
from bot.complaints import Actor
from bot.conversations import DeskFigures
from bot.kpi import KpiFilter, build_report
from bot.nearby import distance_meters, open_reports_near
from bot.notifications.message import MessageFilter
from bot.services import Services
from bot.store.base import ComplaintFilter
from bot.types import Role, Status
from tests.conftest import new_complaint
from tests.web.conftest import page_token

PIN = Location(lat=25.3800, lng=49.5900)
NEAR = {"lat": "25.3810", "lng": "49.5905"}  # about 122 m away


def test_distances_are_great_circle_meters() -> None:
    assert distance_meters(25.38, 49.59, 25.38, 49.59) == 0
    assert distance_meters(25.38, 49.59, 25.381, 49.5905) == pytest.approx(122, abs=1)
    assert distance_meters(25.38, 49.59, 26.38, 49.59) == pytest.approx(111_195, rel=0.001)


async def test_the_nearest_open_reports_of_the_same_problem(services: Services) -> None:
    near = await new_complaint(services, location=PIN)
    await new_complaint(services, location=Location(lat=25.3900, lng=49.5900))  # 1.1 km
    await new_complaint(services, location=PIN, category="lighting")
    found = await open_reports_near(services.store, "roads", 25.381, 49.5905)
    assert [(report.complaint.reference, report.meters) for report in found] == [
        (near.reference, 122)
    ]


async def test_the_report_form_offers_them_without_anyones_words(
    client: httpx.AsyncClient, services: Services
) -> None:
    near = await new_complaint(services, location=PIN, description="حفرة عند بيت أبو خالد")
    offered = await client.get("/report/nearby", params={"category": "roads", **NEAR, "lang": "en"})
    assert offered.status_code == 200
    (report,) = offered.json()
    assert report["reference"] == near.reference
    assert report["distance"] == "122 m away"
    assert report["category"] == "Roads and sidewalks"
    assert "أبو خالد" not in offered.text
    assert str(near.phone) not in offered.text
    arabic = await client.get("/report/nearby", params={"category": "roads", **NEAR})
    assert arabic.json()[0]["distance"] == "على بعد ١٢٢ م"
    none = await client.get("/report/nearby", params={"category": "parks", **NEAR})
    assert none.json() == []


async def follow(client: httpx.AsyncClient, reference: str, phone: str) -> httpx.Response:
    token = await page_token(client, "/report?lang=en")
    fields = {"follow": reference, "phone": phone, "submission": "follow-0000001", **NEAR}
    return await client.post("/report", data={"csrf_token": token, **fields})


async def test_choosing_one_subscribes_instead_of_filing_a_duplicate(
    client: httpx.AsyncClient, services: Services
) -> None:
    near = await new_complaint(services, location=PIN)
    joined = await follow(client, near.reference, "٠٥٥٥١٢٣٤٥٦")
    assert joined.status_code == 200
    assert 'id="following"' in joined.text
    assert near.reference in joined.text
    listed = await services.store.list_complaints(ComplaintFilter(), 10, None)
    assert [complaint.reference for complaint in listed.items] == [near.reference]  # no new one
    stored = await services.complaints.get(near.reference)
    assert [(s.phone, s.language) for s in stored.subscribers] == [("+966555123456", "en")]
    again = await follow(client, near.reference, "0555123456")  # joining twice: once
    assert again.status_code == 200
    assert len((await services.complaints.get(near.reference)).subscribers) == 1

    # They hear that they joined, then each move, in their language, never the questions.
    supervisor = Actor("noura", Role.SUPERVISOR)
    await services.complaints.change_status(near.reference, Status.IN_PROGRESS, supervisor, "x")
    await services.complaints.change_status(near.reference, Status.RESOLVED, supervisor, "x")
    sent = await services.store.list_messages(MessageFilter(to="+966555123456"), 10, None)
    assert [(m.event, m.body) for m in reversed(sent.items)] == [
        (
            "subscribed",
            f"Balagh 940: you joined report {near.reference} about the same problem; we will"
            " tell you what happens to it. It is now: Assigned to a field team.",
        ),
        ("followed", f"Report {near.reference} that you follow: In progress."),
        ("followed", f"Report {near.reference} that you follow: Resolved."),
    ]

    # The KPIs count them.
    today = local_today(services.catalogue)  # KPIs count by the municipality's day
    filters = KpiFilter(start=today, end=today)
    report = build_report(filters, await services.store.kpi_totals(filters), today, DeskFigures())
    assert report.subscriptions == 1


async def test_following_needs_a_phone_and_an_open_report(
    client: httpx.AsyncClient, services: Services
) -> None:
    near = await new_complaint(services, location=PIN)
    no_phone = await follow(client, near.reference, "")
    assert no_phone.status_code == 422
    assert "so we can tell you what happens to that report" in no_phone.text
    foreign = await follow(client, near.reference, "+447911123456")
    assert foreign.status_code == 422
    assert 'id="error-phone"' in foreign.text
    assert "+966" in foreign.text
    await services.complaints.change_status(
        near.reference, Status.REJECTED, Actor("noura", Role.SUPERVISOR), "not ours"
    )
    closed = await follow(client, near.reference, "0555123456")
    assert closed.status_code == 422
    assert "That report is no longer open. Please send yours." in closed.text
    assert (await services.complaints.get(near.reference)).subscribers == []


async def test_joining_counts_against_the_phones_daily_limit(
    client: httpx.AsyncClient, services: Services
) -> None:
    """A join sends the phone a message: nobody may make the service text a number without end."""
    near = await new_complaint(services, location=PIN)
    for _ in range(services.settings.reports_per_phone_per_day):
        assert (await follow(client, near.reference, "0555123456")).status_code == 200
    limited = await follow(client, near.reference, "0555123456")
    assert limited.status_code == 429
    assert 'id="report-form"' in limited.text
