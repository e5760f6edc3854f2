"""The action endpoint over real ASGI, with calls shaped like the ones Rasa 3.6 sends."""

import json
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import SecretStr

from actions.endpoint import executor_for, router
from bot.app import create_app
from bot.logs import current_request_id
from bot.settings import Settings
from bot.store.base import ComplaintFilter
from tests.actions.conftest import SNAPSHOTS


@pytest.fixture
def actions_app(app: FastAPI) -> FastAPI:
    if not any(getattr(route, "path", None) == "/webhook" for route in app.routes):
        app.include_router(router)
    return app


@pytest.fixture
async def rasa(actions_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=actions_app, client=("127.0.0.1", 5005))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
        yield http


def action_call(name: str, tracker_file: str = "confirmed_report_ar") -> dict[str, Any]:
    tracker = json.loads(Path(SNAPSHOTS / f"{tracker_file}.json").read_text(encoding="utf-8"))
    return {
        "next_action": name,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "version": "3.6.21",
    }


async def test_submit_through_the_webhook(rasa, actions_app):
    response = await rasa.post("/webhook", json=action_call("action_submit_complaint"))
    assert response.status_code == 200
    body = response.json()
    page = await actions_app.state.services.store.list_complaints(ComplaintFilter(), 5, None)
    [complaint] = page.items
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "last_reference",
        "value": complaint.reference,
    } in body["events"]
    assert body["responses"][0]["custom"]["reference"]["value"] == complaint.reference
    assert body["responses"][0]["text"].startswith("تم تسجيل بلاغك.")


async def test_a_compressed_call_is_accepted(rasa):
    payload = zlib.compress(json.dumps(action_call("action_programs")).encode())
    response = await rasa.post(
        "/webhook",
        content=payload,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["responses"][0]["text"].startswith("برامج وفعاليات الأمانة")


async def test_unknown_action_and_bad_bodies(rasa):
    unknown = await rasa.post("/webhook", json=action_call("action_does_not_exist"))
    assert unknown.status_code == 404
    assert unknown.json()["action_name"] == "action_does_not_exist"
    assert (await rasa.post("/webhook", content=b"{not json")).status_code == 400
    assert (await rasa.post("/webhook", json={"next_action": "action_programs"})).status_code == 400


async def test_the_action_list(rasa):
    names = {item["name"] for item in (await rasa.get("/webhook/actions")).json()}
    assert {"validate_complaint_form", "action_submit_complaint", "action_check_status"} <= names


async def test_without_a_token_only_the_local_rasa_may_call(actions_app):
    remote = httpx.ASGITransport(app=actions_app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://balagh") as http:
        refused = await http.post("/webhook", json=action_call("action_programs"))
        assert refused.status_code == 403
        assert "BALAGH_ACTIONS_TOKEN" in refused.json()["error"]["message"]


async def test_with_a_token_every_caller_must_send_it(settings: Settings):
    app = create_app(settings.model_copy(update={"actions_token": SecretStr("s3cret-token")}))
    async with app.router.lifespan_context(app):
        for client in (("203.0.113.9", 40000), ("127.0.0.1", 5005)):
            transport = httpx.ASGITransport(app=app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url="http://balagh") as http:
                for path in ("/webhook", "/webhook?token=wrong"):
                    refused = await http.post(path, json=action_call("action_programs"))
                    assert refused.status_code == 403, (client, path)
                allowed = await http.post(
                    "/webhook?token=s3cret-token", json=action_call("action_programs")
                )
                assert allowed.status_code == 200, client


def test_the_token_is_the_balagh_actions_token_setting(monkeypatch):
    monkeypatch.setenv("BALAGH_ACTIONS_TOKEN", "s3cret-token")
    assert Settings(_env_file=None).actions_token == SecretStr("s3cret-token")


def with_request_id(call: dict[str, Any], request_id: str) -> dict[str, Any]:
    tracker = call["tracker"]
    latest = tracker["latest_message"]
    latest["metadata"] = {**latest.get("metadata", {}), "request_id": request_id}
    return call


async def test_an_action_runs_under_the_request_id_of_its_turn(rasa, actions_app):
    seen: list[str | None] = []

    async def spy(dispatcher: object, tracker: object, domain: object) -> list[object]:
        seen.append(current_request_id())
        return []

    executor_for(actions_app).register_function("action_programs", spy)
    call = with_request_id(action_call("action_programs"), "3f1c2b7e-lb-0001")
    assert (await rasa.post("/webhook", json=call)).status_code == 200
    assert seen == ["3f1c2b7e-lb-0001"]


async def test_an_action_that_raises_is_counted(rasa, actions_app):
    async def broken(dispatcher: object, tracker: object, domain: object) -> list[object]:
        raise RuntimeError("a bug in an action")

    executor_for(actions_app).register_function("action_programs", broken)
    counted = ("balagh_action_errors_total", {"action": "action_programs"})
    before = REGISTRY.get_sample_value(*counted) or 0.0
    with pytest.raises(RuntimeError):
        await rasa.post("/webhook", json=action_call("action_programs"))
    assert REGISTRY.get_sample_value(*counted) == before + 1
