"""`GET /api/staff/kpi`: the dashboard's figures as JSON, for managers."""

from datetime import timedelta

import httpx

from bot.api.kpi import local_today
from bot.services import Services
from bot.types import Role

REPORT = {"description": "حفرة عميقة في الطريق", "phone": "0501234567", "district": "al_hofuf"}
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def test_kpi_needs_a_manager(client: httpx.AsyncClient, staff_headers) -> None:
    assert (await client.get("/api/staff/kpi")).status_code == 401
    agent = await staff_headers(Role.AGENT)
    assert (await client.get("/api/staff/kpi", headers=agent)).status_code == 403


async def test_kpi_counts_todays_reports_with_filters(
    client: httpx.AsyncClient, services: Services, staff_headers
) -> None:
    for category in ("roads", "roads", "lighting"):
        response = await client.post("/api/complaints", json={**REPORT, "category": category})
        assert response.status_code == 201
    headers = await staff_headers(Role.SUPERVISOR)
    today = local_today(services.catalogue)
    figures = (await client.get("/api/staff/kpi", headers=headers)).json()
    assert figures["total"] == 3
    assert figures["end"] == today.isoformat()
    assert figures["start"] == (today - timedelta(days=29)).isoformat()
    assert figures["by_category"] == {"roads": 2, "lighting": 1}
    assert figures["by_channel"] == {"portal": 3}
    assert figures["backlog"] == 3
    assert (figures["open"], figures["closed"]) == (3, 0)
    assert figures["calls"]["calls"] == 0
    day = today.isoformat().translate(ARABIC_DIGITS)
    narrowed = await client.get(
        "/api/staff/kpi",
        params={"from": day, "to": day, "category": "roads", "district": "al_hofuf"},
        headers=headers,
    )
    assert narrowed.json()["total"] == 2
    assert list(narrowed.json()["by_day"]) == [today.isoformat()]


async def test_kpi_refuses_bad_ranges_and_codes(client: httpx.AsyncClient, staff_headers) -> None:
    headers = await staff_headers(Role.ADMIN)
    for params in (
        {"from": "2025-03-02", "to": "2025-03-01"},
        {"from": "yesterday"},
        {"from": "2020-01-01", "to": "2025-01-01"},
        {"from": "1000-01-01", "to": "1000-01-02"},
        {"from": "9999-12-30", "to": "9999-12-31"},  # also the end of the calendar
        {"from": "2999-01-01", "to": "2999-01-02"},
        {"district": "atlantis"},
        {"category": "$ne"},
    ):
        response = await client.get("/api/staff/kpi", params=params, headers=headers)
        assert response.status_code == 422, params
        assert "error" in response.json()
