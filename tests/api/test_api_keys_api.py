"""Admins issue, list and revoke integrators' API keys through the JSON staff API."""

import httpx

from bot.api_keys import check_api_key
from bot.services import Services
from bot.types import Role
from tests.conftest import StaffLogin

KEYS = "/api/staff/api-keys"


async def test_admin_issues_lists_and_revokes_a_key(
    client: httpx.AsyncClient, services: Services, staff_headers: StaffLogin
) -> None:
    admin = await staff_headers(Role.ADMIN)
    issued = await client.post(KEYS, json={"name": "city-app"}, headers=admin)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["name"] == "city-app"
    assert body["created_by"] == "admin.user"
    assert await check_api_key(services.store, body["key"]) is not None
    listed = (await client.get(KEYS, headers=admin)).json()
    assert listed == [{k: v for k, v in body.items() if k != "key"}]
    assert "hash" not in str(listed)
    revoked = await client.delete(f"{KEYS}/{body['key_id']}", headers=admin)
    assert revoked.status_code == 204
    assert await check_api_key(services.store, body["key"]) is None
    assert (await client.get(KEYS, headers=admin)).json()[0]["active"] is False
    assert body["role"] == "reporter"
    partner = await client.post(KEYS, json={"name": "gis", "role": "partner"}, headers=admin)
    assert partner.json()["role"] == "partner"
    kept = await check_api_key(services.store, partner.json()["key"])
    assert kept is not None
    assert kept.role == "partner"
    wrong = await client.post(KEYS, json={"name": "x", "role": "owner"}, headers=admin)
    assert wrong.status_code == 422
    unknown = await client.delete(f"{KEYS}/nope", headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


async def test_only_admins_manage_keys(
    client: httpx.AsyncClient, staff_headers: StaffLogin
) -> None:
    supervisor = await staff_headers(Role.SUPERVISOR)
    assert (await client.get(KEYS, headers=supervisor)).status_code == 403
    refused = await client.post(KEYS, json={"name": "x"}, headers=supervisor)
    assert refused.status_code == 403
    empty = await client.post(KEYS, json={"name": ""}, headers=await staff_headers(Role.ADMIN))
    assert empty.status_code == 422
