"""Staff API: authentication, roles, the queue and every change with its history."""

import pytest

from bot.types import Role

ROADS_REPORT = {
    "description": "حفرة عميقة في الطريق",
    "phone": "0501234567",
    "district": "al_mubarraz",
}


async def report(client, **overrides):
    response = await client.post("/api/complaints", json={**ROADS_REPORT, **overrides})
    assert response.status_code == 201, response.text
    return response.json()["reference"]


async def test_staff_routes_need_a_session(client):
    for path in ("/api/staff/complaints", "/api/staff/kpi/summary", "/api/auth/me"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


async def test_wrong_password_is_refused(client, staff_headers):
    await staff_headers(Role.AGENT, "agent.a")
    response = await client.post(
        "/api/auth/login", json={"username": "agent.a", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


async def test_login_sets_a_secure_host_cookie(client, staff_headers, services):
    await staff_headers(Role.AGENT, "agent.c")
    from tests.conftest import PASSWORD

    response = await client.post(
        "/api/auth/login", json={"username": "agent.c", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-balagh_session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Domain" not in cookie
    me = await client.get("/api/auth/me")  # the cookie alone authenticates
    assert me.json()["username"] == "agent.c"


async def test_logout_ends_the_session_server_side(client, staff_headers):
    headers = await staff_headers(Role.AGENT)
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/auth/me", headers=headers)).status_code == 401


async def test_full_workflow_writes_history(client, staff_headers, services):
    reference = await report(client)
    stored = await services.store.get_complaint(reference)
    team = stored.team
    assert stored.status == "assigned"
    agent = await staff_headers(Role.AGENT)
    field = await staff_headers(Role.FIELD, "field.user", team=team)
    supervisor = await staff_headers(Role.SUPERVISOR)

    moves = [
        (field, "in_progress", "crew on the way"),
        (field, "resolved", "pothole filled"),
        (supervisor, "closed", "checked on site"),
    ]
    for headers, status, note in moves:
        response = await client.post(
            f"/api/staff/complaints/{reference}/status",
            json={"status": status, "note": note},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    final = await services.store.get_complaint(reference)
    assert final.status == "closed"
    assert final.resolved_at is not None
    status_entries = [e for e in final.history if e.field == "status"]
    assert [(e.old, e.new, e.actor) for e in status_entries[-3:]] == [
        ("assigned", "in_progress", "field.user"),
        ("in_progress", "resolved", "field.user"),
        ("resolved", "closed", "supervisor.user"),
    ]
    assert status_entries[-1].reason == "checked on site"
    detail = await client.get(f"/api/staff/complaints/{reference}", headers=agent)
    assert detail.json()["version"] == final.version


async def test_invalid_transition_is_409_and_changes_nothing(client, staff_headers, services):
    reference = await report(client)
    before = await services.store.get_complaint(reference)
    supervisor = await staff_headers(Role.SUPERVISOR)
    response = await client.post(
        f"/api/staff/complaints/{reference}/status",
        json={"status": "closed", "note": "skip ahead"},
        headers=supervisor,
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert "'assigned'" in error["message"]
    assert "in_progress" in error["message"]
    assert await services.store.get_complaint(reference) == before


@pytest.mark.parametrize(
    ("role", "path", "body"),
    [
        (Role.FIELD, "assign", {"team": None, "assignee": "x"}),
        (Role.FIELD, "duplicate", {"original": "1000000000"}),
        (Role.AGENT, "status", {"status": "in_progress", "note": "n"}),
    ],
)
async def test_roles_are_checked(client, staff_headers, services, role, path, body):
    reference = await report(client)
    stored = await services.store.get_complaint(reference)
    headers = await staff_headers(role, team=stored.team if role == Role.FIELD else None)
    response = await client.post(
        f"/api/staff/complaints/{reference}/{path}", json=body, headers=headers
    )
    assert response.status_code in (403, 409), response.text
    assert await services.store.get_complaint(reference) == stored


async def test_field_staff_see_only_their_team(client, staff_headers, services, catalogue):
    reference = await report(client)
    stored = await services.store.get_complaint(reference)
    other_team = next(code for code in catalogue.teams if code != stored.team)
    headers = await staff_headers(Role.FIELD, team=other_team)
    assert (
        await client.get(f"/api/staff/complaints/{reference}", headers=headers)
    ).status_code == 403
    listing = await client.get("/api/staff/complaints", headers=headers)
    assert reference not in [item["reference"] for item in listing.json()["items"]]
    response = await client.post(
        f"/api/staff/complaints/{reference}/status",
        json={"status": "in_progress", "note": "mine?"},
        headers=headers,
    )
    assert response.status_code == 403


async def test_assign_and_reassign(client, staff_headers, services, catalogue):
    reference = await report(client)
    stored = await services.store.get_complaint(reference)
    other = next(code for code, team in catalogue.teams.items() if code != stored.team)
    agent = await staff_headers(Role.AGENT)
    response = await client.post(
        f"/api/staff/complaints/{reference}/assign",
        json={"team": other, "assignee": "field.x", "note": "closer crew"},
        headers=agent,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["team"] == other
    assert body["assignee"] == "field.x"
    assert body["department"] == catalogue.teams[other].department
    entries = [(e.field, e.old, e.new) for e in body_history(body)[-2:]]
    assert entries == [("team", stored.team, other), ("assignee", None, "field.x")]
    unknown = await client.post(
        f"/api/staff/complaints/{reference}/assign", json={"team": "ghosts"}, headers=agent
    )
    assert unknown.status_code == 422


def body_history(body):
    from bot.complaint_record import HistoryEntry

    return [HistoryEntry.model_validate(entry) for entry in body["history"]]


async def test_mark_duplicate_links_the_original(client, staff_headers, services):
    original = await report(client)
    copy = await report(client, description="نفس الحفرة في نفس الشارع")
    agent = await staff_headers(Role.AGENT)
    response = await client.post(
        f"/api/staff/complaints/{copy}/duplicate",
        json={"original": original, "note": "same pothole"},
        headers=agent,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert response.json()["duplicate_of"] == original
    again = await client.post(
        f"/api/staff/complaints/{copy}/duplicate", json={"original": original}, headers=agent
    )
    assert again.status_code == 409


async def test_queue_filters_and_pages(client, staff_headers):
    for index in range(7):
        await report(client, description=f"عمود إنارة طافي رقم {index}", district="al_hofuf")
    for _ in range(3):
        await report(client)
    agent = await staff_headers(Role.AGENT)
    lighting = await client.get(
        "/api/staff/complaints", params={"category": "lighting", "limit": 5}, headers=agent
    )
    page = lighting.json()
    assert len(page["items"]) == 5
    assert {item["category"] for item in page["items"]} == {"lighting"}
    rest = await client.get(
        "/api/staff/complaints",
        params={"category": "lighting", "limit": 5, "cursor": page["next_cursor"]},
        headers=agent,
    )
    assert len(rest.json()["items"]) == 2
    assert rest.json()["next_cursor"] is None
    text = await client.get("/api/staff/complaints", params={"q": "حفره"}, headers=agent)
    assert len(text.json()["items"]) == 3
    by_phone = await client.get(
        "/api/staff/complaints", params={"phone": "٠٥٠١٢٣٤٥٦٧"}, headers=agent
    )
    assert len(by_phone.json()["items"]) == 10


@pytest.mark.parametrize(
    "params",
    [{"cursor": "not-a-cursor"}, {"status": "sleeping"}, {"limit": 10_000}, {"priority": "P9"}],
)
async def test_bad_queue_parameters_are_422(client, staff_headers, params):
    agent = await staff_headers(Role.AGENT)
    response = await client.get("/api/staff/complaints", params=params, headers=agent)
    assert response.status_code == 422


async def test_kpi_summary_is_for_managers(client, staff_headers):
    await report(client)
    agent = await staff_headers(Role.AGENT)
    supervisor = await staff_headers(Role.SUPERVISOR)
    assert (await client.get("/api/staff/kpi/summary", headers=agent)).status_code == 403
    summary = (await client.get("/api/staff/kpi/summary", headers=supervisor)).json()
    assert summary["total"] == 1
    assert summary["by_category"] == {"roads": 1}


async def test_admin_creates_users_others_cannot(client, staff_headers):
    admin = await staff_headers(Role.ADMIN)
    agent = await staff_headers(Role.AGENT)
    new_user = {
        "username": "sara.h",
        "display_name": "Sara",
        "role": "agent",
        "password": "long enough pw",
    }
    assert (await client.post("/api/staff/users", json=new_user, headers=agent)).status_code == 403
    created = await client.post("/api/staff/users", json=new_user, headers=admin)
    assert created.status_code == 201
    again = await client.post("/api/staff/users", json=new_user, headers=admin)
    assert again.status_code == 409
    field_without_team = {**new_user, "username": "ali.f", "role": "field"}
    assert (
        await client.post("/api/staff/users", json=field_without_team, headers=admin)
    ).status_code == 422


@pytest.mark.parametrize(
    "typed",
    [
        "{ref}",
        "{ref_dashed}",
        "{ref_eastern}",
        "0501234567",
        "+966501234567",
        "00966501234567",
        "٠٥٠١٢٣٤٥٦٧",
        "050 123 4567",
    ],
)
async def test_queue_search_box_finds_by_reference_or_phone(client, staff_headers, typed):
    reference = await report(client)
    await report(client, phone="0559876543")
    agent = await staff_headers(Role.AGENT)
    q = typed.format(
        ref=reference,
        ref_dashed=f"{reference[:3]}-{reference[3:6]}-{reference[6:]}",
        ref_eastern=reference.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    )
    response = await client.get("/api/staff/complaints", params={"q": q}, headers=agent)
    assert response.status_code == 200, response.text
    assert [item["reference"] for item in response.json()["items"]] == [reference]
