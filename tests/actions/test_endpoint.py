"""The action endpoint over real ASGI, with calls shaped like the ones Rasa 3.6 sends."""

import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import SecretStr

from actions.endpoint import executor_for, router
from bot import runner
from bot.app import create_app
from bot.logs import current_request_id
from bot.settings import ROOT, Settings, UnsafeSettings
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


async def test_a_call_only_the_standard_library_reads_is_read_as_before(rasa, actions_app):
    """orjson refuses a lone surrogate (a message cut inside an emoji) and NaN; Rasa's JSON
    may carry both, and the action runs on them as it always did."""
    call = action_call("action_programs")
    call["tracker"]["latest_message"]["text"] = "\ud83d"
    call["tracker"]["latest_message"]["intent"]["confidence"] = float("nan")
    body = json.dumps(call).encode()
    response = await rasa.post("/webhook", content=body)
    assert response.status_code == 200
    assert response.json()["responses"][0]["text"].startswith("برامج وفعاليات الأمانة")


async def test_the_action_list(rasa):
    names = {item["name"] for item in (await rasa.get("/webhook/actions")).json()}
    assert {"validate_complaint_form", "action_submit_complaint", "action_check_status"} <= names


async def test_without_a_token_only_the_local_rasa_may_call(actions_app):
    remote = httpx.ASGITransport(app=actions_app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://balagh") as http:
        refused = await http.post("/webhook", json=action_call("action_programs"))
        assert refused.status_code == 403
        assert "BALAGH_ACTIONS_TOKEN" in refused.json()["error"]["message"]


TOKEN = "s3cret-token-of-the-dialogue-core-0123456789"


def production(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "environment": "production",
            "secret_key": SecretStr("a-production-secret-key-of-more-than-32-characters"),
            "actions_token": SecretStr(TOKEN),
        }
    )


@pytest.mark.parametrize("mode", ["local", "production"])
async def test_with_a_token_every_caller_must_send_it_in_a_header(settings: Settings, mode: str):
    configured = settings.model_copy(update={"actions_token": SecretStr(TOKEN)})
    app = create_app(production(configured) if mode == "production" else configured)
    async with app.router.lifespan_context(app):
        for client in (("203.0.113.9", 40000), ("127.0.0.1", 5005)):
            transport = httpx.ASGITransport(app=app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url="http://balagh") as http:
                refusals = [
                    ("/webhook", {}),
                    ("/webhook", {"Authorization": "Bearer wrong"}),
                    ("/webhook", {"Authorization": TOKEN}),  # no scheme
                    (f"/webhook?token={TOKEN}", {}),  # never in the URL (access logs)
                ]
                for path, headers in refusals:
                    refused = await http.post(
                        path, json=action_call("action_programs"), headers=headers
                    )
                    assert refused.status_code == 403, (client, path, headers)
                allowed = await http.post(
                    "/webhook",
                    json=action_call("action_programs"),
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                assert allowed.status_code == 200, client


def test_production_refuses_to_start_without_a_token(settings: Settings):
    unsafe = production(settings).model_copy(update={"actions_token": None})
    with pytest.raises(UnsafeSettings) as refused:
        create_app(unsafe)
    [line] = refused.value.problems
    assert line.startswith("BALAGH_ACTIONS_TOKEN must be")


async def test_a_deflate_bomb_is_refused_cheaply(rasa):
    """300 kB of deflate that would inflate to 300 MB: refused once 16 MB have come out."""
    deflater, spaces = zlib.compressobj(9), b" " * 1024 * 1024
    bomb = deflater.compress(b"{") + b"".join(deflater.compress(spaces) for _ in range(300))
    bomb += deflater.flush()
    assert len(bomb) < 400 * 1024
    tracemalloc.start()
    try:
        response = await rasa.post(
            "/webhook",
            content=bomb,
            headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert peak < 64 * 1024 * 1024


async def test_a_cut_short_compressed_body_is_refused(rasa):
    payload = zlib.compress(json.dumps(action_call("action_programs")).encode())
    response = await rasa.post(
        "/webhook", content=payload[:-20], headers={"Content-Encoding": "deflate"}
    )
    assert response.status_code == 400


def test_the_token_is_the_balagh_actions_token_setting(monkeypatch):
    monkeypatch.setenv("BALAGH_ACTIONS_TOKEN", "s3cret-token")
    assert Settings(_env_file=None).actions_token == SecretStr("s3cret-token")


def test_balagh_run_puts_the_token_in_a_header_read_from_the_environment(tmp_path, monkeypatch):
    """The token reaches Rasa in its environment and a header, never on disk or in a URL."""
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "endpoints.yml").write_text((ROOT / "endpoints.yml").read_text())
    settings = Settings(_env_file=None, actions_token=SecretStr(TOKEN))
    written = runner.endpoints_for(settings).read_text()
    assert TOKEN not in written
    # plain, unquoted: Rasa expands ${…} only there (tests/rasa_env/test_actions_token.py)
    assert "    Authorization: Bearer ${BALAGH_ACTIONS_TOKEN}\n" in written
    action_endpoint = yaml.safe_load(written)["action_endpoint"]
    assert action_endpoint["headers"] == {"Authorization": "Bearer ${BALAGH_ACTIONS_TOKEN}"}
    assert "token" not in action_endpoint
    assert runner.rasa_environment(settings)["BALAGH_ACTIONS_TOKEN"] == TOKEN


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
