"""Security of the web pages: roles on every staff route, CSRF, sessions, attempt limits,
mass assignment. The role table must name every staff route the app has: a new route
that nobody put here (with the roles it allows) fails `test_every_staff_route_is_listed`."""

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from bot.clock import utc_now
from bot.phone import last_four
from bot.services import Services
from bot.types import Role, Status
from tests.conftest import PASSWORD, create_account, new_complaint
from tests.web.conftest import WebLogin, csrf_of, page_token, post_form

EVERYONE = frozenset(Role)
DESK = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
FIELD = frozenset({Role.FIELD, Role.SUPERVISOR, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})

# (method, path) → the roles that may use it.
STAFF_ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/staff"): EVERYONE,
    ("GET", "/staff/queue"): EVERYONE,
    ("GET", "/staff/complaints/{reference}"): EVERYONE,
    ("GET", "/staff/complaints/{reference}/attachments/{index}"): EVERYONE,
    ("POST", "/staff/complaints/{reference}/status"): EVERYONE,
    ("POST", "/staff/complaints/{reference}/assign"): DESK,
    ("POST", "/staff/complaints/{reference}/reply"): DESK,
    ("POST", "/staff/complaints/{reference}/duplicate"): DESK,
    ("POST", "/staff/complaints/{reference}/note"): EVERYONE,
    ("POST", "/staff/complaints/{reference}/photo"): EVERYONE,
    ("GET", "/staff/board"): DESK,
    ("GET", "/staff/outbox"): DESK,
    ("GET", "/staff/handoffs"): DESK,
    ("GET", "/staff/inbox"): DESK,
    ("GET", "/staff/inbox/list"): DESK,
    ("GET", "/staff/inbox/socket.io.min.js"): DESK,
    ("GET", "/staff/inbox/{conversation_id}"): DESK,
    ("GET", "/staff/inbox/{conversation_id}/panel"): DESK,
    ("GET", "/staff/inbox/{conversation_id}/media/{storage_key:path}"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/take"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/reply"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/hand-back"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/close"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/reassign"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/complaint"): DESK,
    ("POST", "/staff/inbox/{conversation_id}/link"): DESK,
    ("GET", "/staff/tasks"): FIELD,
    ("POST", "/staff/tasks/{reference}/start"): FIELD,
    ("POST", "/staff/tasks/{reference}/done"): FIELD,
    ("GET", "/staff/kpi"): MANAGERS,
    ("GET", "/staff/kpi.csv"): MANAGERS,
    ("GET", "/staff/admin/users"): ADMIN,
    ("POST", "/staff/admin/users"): ADMIN,
    ("POST", "/staff/admin/users/{username}/active"): ADMIN,
    ("POST", "/staff/admin/users/{username}/contact"): ADMIN,
    ("GET", "/staff/admin/teams"): ADMIN,
    ("GET", "/staff/admin/announcements"): ADMIN,
    ("POST", "/staff/admin/announcements"): ADMIN,
    ("GET", "/staff/admin/announcements/{code}/audio"): ADMIN,
    ("POST", "/staff/admin/announcements/{code}/delete"): ADMIN,
    ("GET", "/staff/admin/api-keys"): ADMIN,
    ("POST", "/staff/admin/api-keys"): ADMIN,
    ("POST", "/staff/admin/api-keys/{key_id}/revoke"): ADMIN,
    ("GET", "/api/staff/complaints"): EVERYONE,
    ("GET", "/api/staff/complaints/{reference}"): EVERYONE,
    ("POST", "/api/staff/complaints/{reference}/assign"): DESK,
    ("POST", "/api/staff/complaints/{reference}/status"): EVERYONE,
    ("POST", "/api/staff/complaints/{reference}/duplicate"): DESK,
    ("POST", "/api/staff/complaints/{reference}/notes"): EVERYONE,
    ("GET", "/api/staff/kpi/summary"): MANAGERS,
    ("GET", "/api/staff/kpi"): MANAGERS,
    ("POST", "/api/staff/users"): ADMIN,
    ("PUT", "/api/staff/users/{username}/contact"): ADMIN,
    ("POST", "/api/staff/api-keys"): ADMIN,
    ("GET", "/api/staff/api-keys"): ADMIN,
    ("DELETE", "/api/staff/api-keys/{key_id}"): ADMIN,
    ("GET", "/api/staff/outbox"): DESK,
    ("POST", "/api/staff/webhooks"): ADMIN,
    ("GET", "/api/staff/webhooks"): ADMIN,
    ("DELETE", "/api/staff/webhooks/{subscription_id}"): ADMIN,
    ("GET", "/api/staff/webhooks/{subscription_id}/deliveries"): ADMIN,
}
# Reachable without a session, or ending one: checked by their own tests below.
OPEN_STAFF_ROUTES = {("GET", "/staff/login"), ("POST", "/staff/login"), ("POST", "/staff/logout")}


def staff_routes(app: FastAPI) -> set[tuple[str, str]]:
    routes = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path == "/staff" or path.startswith(("/staff/", "/api/staff")):
            routes |= {(method, path) for method in route.methods or ()}
    return routes - {("HEAD", path) for _, path in routes}


def test_every_staff_route_is_listed(app: FastAPI) -> None:
    assert staff_routes(app) - OPEN_STAFF_ROUTES == set(STAFF_ROUTES)


def concrete(path: str, reference: str) -> str:
    return (
        path.replace("{reference}", reference)
        .replace("{index}", "0")
        .replace("{username}", "someone")
        .replace("{code}", "some_code")
        .replace("{key_id}", "abc")
        .replace("{subscription_id}", "abc")
        .replace("{conversation_id}", "abc")
        .replace("{storage_key:path}", "2026/01/" + "0" * 32 + ".jpg")
    )


async def call(client: httpx.AsyncClient, method: str, path: str, token: str) -> httpx.Response:
    if method == "POST" and not path.startswith("/api/"):
        return await client.post(path, data={"csrf_token": token})
    return await client.request(method, path)


async def test_staff_routes_need_a_session(client: httpx.AsyncClient, services: Services) -> None:
    reference = (await new_complaint(services)).reference
    token = await page_token(client, "/staff/login")
    for method, path in STAFF_ROUTES:
        response = await call(client, method, concrete(path, reference), token)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/staff/login?next="), (method, path)


@pytest.mark.parametrize("role", list(Role))
async def test_each_role_reaches_exactly_its_routes(
    role: Role, client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(role, team=complaint.team if role == Role.FIELD else None)
    token = await page_token(client, "/staff/login")  # bound to this session
    for (method, path), allowed in STAFF_ROUTES.items():
        response = await call(client, method, concrete(path, complaint.reference), token)
        if role in allowed:
            assert response.status_code not in (401, 403), (method, path, response.text[:200])
        else:
            assert response.status_code == 403, (method, path, response.status_code)


async def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(Role.SUPERVISOR)
    action = f"/staff/complaints/{complaint.reference}/note"
    for data in ({"note": "x"}, {"note": "x", "csrf_token": "forged"}):
        response = await client.post(action, data=data)
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
    other = httpx.AsyncClient(transport=client._transport, base_url="https://testserver")
    async with other:  # a token from another browser (another nonce cookie) does not fit
        foreign = await page_token(other, "/staff/login")
    response = await client.post(action, data={"note": "x", "csrf_token": foreign})
    assert response.status_code == 403
    assert len((await services.complaints.get(complaint.reference)).history) == len(
        complaint.history
    )
    ok = await post_form(client, "/staff/queue", action, {"note": "a real note"})
    assert ok.status_code == 303


async def test_login_and_logout_forms_need_the_csrf_token(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.AGENT, "agent.csrf")
    refused = await client.post("/staff/login", data={"username": "agent.csrf", "password": "x"})
    assert refused.status_code == 403
    assert (await client.post("/staff/logout")).status_code == 403
    assert (await client.get("/staff/queue")).status_code == 200  # still signed in


async def test_session_cookie_is_host_only_secure_httponly(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    token = await page_token(client, "/staff/login")
    csrf_cookie = next(c for c in client.cookies.jar if c.name == "__Host-balagh_csrf")
    assert csrf_cookie.secure
    assert csrf_cookie.path == "/"
    await create_account(services, "agent.cookie", Role.AGENT, display_name="A")
    response = await client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "agent.cookie", "password": PASSWORD},
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-balagh_session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=lax"):
        assert attribute in cookie
    assert "Domain" not in cookie


async def test_logout_ends_the_session_server_side(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.AGENT)
    stolen = dict(client.cookies)
    response = await post_form(client, "/staff/queue", "/staff/logout", {})
    assert response.status_code == 303
    client.cookies.update(stolen)  # the old cookie, replayed
    assert (await client.get("/staff/queue")).status_code == 303


@pytest.mark.parametrize(
    ("after", "why"),
    [(timedelta(minutes=31), "idle"), (timedelta(hours=12, minutes=1), "absolute")],
)
async def test_sessions_expire_when_idle_and_absolutely(
    client: httpx.AsyncClient,
    services: Services,
    web_login: WebLogin,
    monkeypatch: pytest.MonkeyPatch,
    after: timedelta,
    why: str,
) -> None:
    await web_login(Role.AGENT)
    start = utc_now()
    if why == "absolute":  # keep the session busy so only the absolute limit can end it
        for minutes in range(20, 12 * 60, 20):
            monkeypatch.setattr("bot.auth.utc_now", lambda m=minutes: start + timedelta(minutes=m))
            assert (await client.get("/staff/queue")).status_code == 200
    monkeypatch.setattr("bot.auth.utc_now", lambda: start + after)
    response = await client.get("/staff/queue")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")


async def test_login_attempts_are_limited_per_username(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.AGENT, "agent.limit")
    await post_form(client, "/staff/queue", "/staff/logout", {})
    for _ in range(services.settings.login_attempts_per_user):
        wrong = await post_form(
            client, "/staff/login", "/staff/login", {"username": "agent.limit", "password": "no"}
        )
        assert wrong.status_code == 401
    right = await post_form(
        client, "/staff/login", "/staff/login", {"username": "agent.limit", "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "__Host-balagh_session" not in right.headers.get("set-cookie", "")


async def test_login_attempts_are_limited_per_address(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.settings, "login_attempts_per_ip", 3)
    for number in range(3):
        await post_form(
            client, "/staff/login", "/staff/login", {"username": f"u{number}", "password": "x"}
        )
    blocked = await post_form(
        client, "/staff/login", "/staff/login", {"username": "fresh", "password": "x"}
    )
    assert blocked.status_code == 429


async def test_portal_lookups_are_limited_per_reference(
    client: httpx.AsyncClient, services: Services
) -> None:
    complaint = await new_complaint(services)
    assert complaint.phone
    for _ in range(services.settings.track_attempts_per_reference):
        miss = await post_form(
            client, "/track", "/track", {"reference": complaint.reference, "digits": "0000"}
        )
        assert miss.status_code == 404
    right = {"reference": complaint.reference, "digits": last_four(complaint.phone)}
    assert (await post_form(client, "/track", "/track", right)).status_code == 429


async def test_portal_lookups_are_limited_per_address(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.settings, "track_attempts_per_ip", 2)
    complaint = await new_complaint(services)
    assert complaint.phone
    for guess in ("1111", "2222"):
        await post_form(
            client, "/track", "/track", {"reference": complaint.reference, "digits": guess}
        )
    other = await new_complaint(services, phone="0551234567")
    blocked = await post_form(
        client, "/track", "/track", {"reference": other.reference, "digits": "4567"}
    )
    assert blocked.status_code == 429


async def test_a_citizen_form_cannot_set_status_team_or_assignee(
    client: httpx.AsyncClient, services: Services
) -> None:
    hostile = {
        "status": "closed",
        "team": "lighting_hofuf",
        "assignee": "mallory",
        "priority": "P1",
        "satisfaction": "5",
    }
    response = await post_form(
        client,
        "/report",
        "/report",
        {
            **hostile,
            "description": "حفرة في الطريق",
            "phone": "0501234567",
            "category": "roads",
            "district": "al_hofuf",
            "submission": "mass-assignment-1",
        },
    )
    assert response.status_code == 303
    reference = response.headers["location"].split("/")[2].split("?")[0]
    created = await services.complaints.get(reference)
    assert created.status == Status.ASSIGNED  # what dispatch decided, not what was posted
    assert (created.assignee, created.satisfaction) == (None, None)
    assert created.team != "lighting_hofuf"
    assert created.priority != "P1"

    track_page = (await client.get(response.headers["location"])).text
    token = response.headers["location"].split("t=")[1].split("&")[0]
    comment = await client.post(
        f"/track/{reference}/comment",
        data={"csrf_token": csrf_of(track_page), "t": token, "text": "hello", **hostile},
    )
    assert comment.status_code == 303
    after = await services.complaints.get(reference)
    assert (after.status, after.assignee, after.team) == (Status.ASSIGNED, None, created.team)


async def test_the_citizen_api_refuses_staff_fields(client: httpx.AsyncClient) -> None:
    for field, value in (("status", "closed"), ("assignee", "mallory"), ("team", "x")):
        response = await client.post(
            "/api/complaints",
            json={"description": "حفرة في الطريق", "phone": "0501234567", field: value},
        )
        assert response.status_code == 422, field


async def test_pages_carry_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/report")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "https://tile.openstreetmap.org" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_login_redirects_only_to_this_site(
    client: httpx.AsyncClient, web_login: WebLogin
) -> None:
    await web_login(Role.AGENT, "agent.next")
    await post_form(client, "/staff/queue", "/staff/logout", {})
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await post_form(
            client,
            "/staff/login",
            "/staff/login",
            {"username": "agent.next", "password": PASSWORD, "next": target},
        )
        assert response.headers["location"] == "/staff", target
        await post_form(client, "/staff/queue", "/staff/logout", {})


async def test_the_api_documentation_keeps_working(client: httpx.AsyncClient) -> None:
    """Swagger UI starts with an inline script: the pages' strict policy must not apply."""
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_api_documentation_works_offline(client: httpx.AsyncClient, page: str) -> None:
    """Everything the documentation pages load comes from the service itself."""
    html = (await client.get(page)).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert [url for url in assets if not url.startswith("/")] == []
    assert "fonts.googleapis" not in html
    for url in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
