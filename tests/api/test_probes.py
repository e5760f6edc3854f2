"""What orchestrators and Prometheus read: liveness, readiness and /metrics."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from pydantic import SecretStr

from bot.app import create_app
from bot.settings import Settings
from tests.test_production import production


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http


async def test_alive_even_when_the_dialogue_core_is_down(client):
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_not_ready_without_the_dialogue_core(client):
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready", "failing": ["dialogue"]}


async def test_ready_with_store_and_dialogue_then_not_once_the_store_is_lost(settings, rasa_url):
    async with client_for(settings.model_copy(update={"rasa_url": rasa_url})) as http:
        assert (await http.get("/health/ready")).json() == {"status": "ready"}
        services = http._transport.app.state.services  # type: ignore[attr-defined]
        await services.store.close()  # the database went away under the replica
        response = await http.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["failing"] == ["store"]


def counted(metrics: str, route: str, status: str) -> float:
    """The request count of a route template and status class in a scrape."""
    for line in metrics.splitlines():
        if (
            line.startswith("balagh_http_request_duration_seconds_count")
            and f'route="{route}"' in line
            and f'status="{status}"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_by_route_and_read_the_outbox(client):
    route = "/api/complaints/{reference}"  # the template, never the reference itself
    before = counted((await client.get("/metrics")).text, route, "4xx")
    await client.get("/api/complaints/1234567890")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert counted(response.text, route, "4xx") == before + 1
    assert "1234567890" not in response.text
    assert "balagh_outbox_depth 0.0" in response.text
    assert "balagh_outbox_oldest_age_seconds 0.0" in response.text


async def test_metrics_need_the_token_when_one_is_set(settings):
    secured = settings.model_copy(update={"metrics_token": SecretStr("scrape-secret")})
    async with client_for(secured) as http:
        assert (await http.get("/metrics")).status_code == 403
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 403
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert right.status_code == 200


async def test_metrics_are_for_this_machine_only_without_a_token(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            assert (await http.get("/metrics")).status_code == 403


async def test_production_metrics_need_the_token_even_from_this_machine(tmp_path):
    """A load balancer on the same host makes every reader look local."""
    async with client_for(production(tmp_path)) as http:
        assert (await http.get("/metrics")).status_code == 403
