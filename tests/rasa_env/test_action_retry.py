"""A call to the action server whose connection drops before any answer, or that the load
balancer answers for a replica that did not (502, 503), is sent once more."""

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from nlu_components import speedups
from tests.aiohttp_servers import serving


async def call_server(answers: list[str], **options: Any) -> tuple[Any, int]:
    """Serve `answers` in turn ("drop", "ok", "error", "slow", or a balancer's status: "502",
    "503"); one action call with `options` (Rasa's own: a timeout); (result, requests)."""
    seen: list[str] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        answer = answers[len(seen)]
        seen.append(answer)
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()  # the connection closes before any answer
            await asyncio.sleep(0.1)
        if answer == "slow":
            await asyncio.sleep(2)
        if answer == "error":
            return web.json_response({"error": "boom"}, status=500)
        if answer.isdigit():  # as HAProxy answers for a replica killed mid-call, or for none
            return web.Response(
                text="<html><body><h1>Bad Gateway</h1></body></html>", status=int(answer)
            )
        return web.json_response({"events": [], "responses": []})

    async with serving("/webhook", webhook) as url:
        endpoint = EndpointConfig(f"{url}/webhook")
        try:
            result: Any = await endpoint.request(
                json={"next_action": "x"}, method="post", **options
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:  # noqa: UP041 (3.10: not the builtin)
            result = error
        kept = getattr(endpoint, "_balagh_session", None)  # the kept session (fix 2)
        if kept is not None:
            await kept[1].close()
        return result, len(seen)


@pytest.fixture(autouse=True, scope="module")
def installed() -> None:
    speedups.install()


def test_a_dropped_connection_is_tried_once_more() -> None:
    assert asyncio.run(call_server(["drop", "ok"])) == ({"events": [], "responses": []}, 2)


def test_two_drops_are_rasas_failure_as_before() -> None:
    result, requests = asyncio.run(call_server(["drop", "drop", "ok"]))
    assert isinstance(result, aiohttp.ClientConnectionError)
    assert requests == 2


@pytest.mark.parametrize("status", ["502", "503"])
def test_a_call_no_replica_answered_is_sent_once_more(status: str) -> None:
    assert asyncio.run(call_server([status, "ok"])) == ({"events": [], "responses": []}, 2)


def test_the_balancer_failing_twice_is_rasas_failure_as_before() -> None:
    result, requests = asyncio.run(call_server(["502", "drop", "ok"]))
    assert isinstance(result, aiohttp.ClientConnectionError)
    assert requests == 2


def test_an_answer_even_an_error_is_never_sent_again() -> None:
    result, requests = asyncio.run(call_server(["error", "ok"]))
    assert isinstance(result, ClientResponseError)  # Rasa's: the action server answered
    assert requests == 1


@pytest.mark.parametrize(
    "timeout",
    [0.3, aiohttp.ClientTimeout(sock_read=0.3)],  # Rasa's whole-call timeout; a read timeout
)
def test_a_timeout_is_never_sent_again(timeout: Any) -> None:
    result, requests = asyncio.run(call_server(["slow", "ok"], timeout=timeout))
    assert isinstance(result, asyncio.TimeoutError)
    assert requests == 1
