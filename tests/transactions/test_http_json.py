"""The generic HTTP/JSON connector against the demonstration system over real HTTP, and against
what real systems do wrong: errors, slowness, refusals, answers of another shape."""

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bot.catalogue import CatalogueError, load_catalogue
from bot.transactions.connector import MalformedAnswer, SystemUnavailable, TransactionNotFound
from bot.transactions.demo_system import create_app
from bot.transactions.http_json import build
from bot.transactions.registry import build_connectors
from tests.servers import bound_socket, local_url, serve
from tests.transactions.conftest import catalogue_pointing_at

FIELDS = {
    "stage": "status.code",
    "changed_at": "status.updatedAt",
    "national_id": "applicant.nationalId",
}


def config(url: str, **extra: object) -> dict[str, object]:
    return {"url": f"{url}/api/transactions/{{number}}", "fields": FIELDS, **extra}


async def test_a_transaction_is_read_through_the_field_mapping(demo_system):
    async with httpx.AsyncClient() as http:
        fields = await build(config(demo_system), http).fetch("41000017")
    assert fields == {
        "stage": "ENG_REVIEW",
        "changed_at": "2026-11-30T10:15:00",
        "national_id": "1012345678",
    }


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("41999999", TransactionNotFound),  # 404
        ("42000090", SystemUnavailable),  # 500
        ("43000090", MalformedAnswer),  # no status in the answer
    ],
)
async def test_what_the_system_says_wrong_is_typed(demo_system, number, error):
    async with httpx.AsyncClient() as http:
        with pytest.raises(error):
            await build(config(demo_system), http).fetch(number)


async def test_a_slow_system_is_unavailable_after_the_timeout():
    async with serve(create_app(slow_seconds=2)) as url, httpx.AsyncClient() as http:
        connector = build(config(url, timeout_seconds=0.2), http)
        with pytest.raises(SystemUnavailable):
            await connector.fetch("41000090")


async def test_a_system_nobody_answers_for_is_unavailable():
    with bound_socket() as sock:  # bound, never listening: the connection is refused
        async with httpx.AsyncClient() as http:
            connector = build(config(local_url(sock)), http)
            with pytest.raises(SystemUnavailable):
                await connector.fetch("41000017")


async def test_the_number_cannot_change_the_path(demo_system):
    """A number is quoted into the URL: `../health` never reaches another endpoint."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(TransactionNotFound):
            await build(config(demo_system), http).fetch("../../health")


@pytest.mark.parametrize(
    "body",
    [
        PlainTextResponse("<html>maintenance</html>"),  # not JSON
        JSONResponse([1, 2]),  # not an object
        JSONResponse({"status": {"code": {"nested": 1}, "updatedAt": "x"}, "applicant": {}}),
        JSONResponse({"status": {"code": True, "updatedAt": "x"}}),
    ],
)
async def test_an_answer_of_another_shape_is_malformed(body):
    async def answer(request):
        return body

    app = Starlette(routes=[Route("/api/transactions/{number}", answer)])
    async with serve(app) as url, httpx.AsyncClient() as http:
        with pytest.raises(MalformedAnswer):
            await build(config(url), http).fetch("41000017")


async def test_the_auth_header_comes_from_the_named_variable(monkeypatch):
    async with serve(create_app(token="s3cret")) as url, httpx.AsyncClient() as http:
        settings = config(url, auth_header="Authorization", auth_env="BALAGH_TEST_RECORDS_TOKEN")
        monkeypatch.setenv("BALAGH_TEST_RECORDS_TOKEN", "Bearer wrong")
        with pytest.raises(SystemUnavailable):  # 401: refused
            await build(settings, http).fetch("41000017")
        monkeypatch.setenv("BALAGH_TEST_RECORDS_TOKEN", "Bearer s3cret")
        assert (await build(settings, http).fetch("41000017"))["stage"] == "ENG_REVIEW"


@pytest.mark.parametrize(
    ("replacements", "problem"),
    [
        (
            {'url: "http://127.0.0.1:8070/api/transactions/{number}"': 'url: "http://x/api"'},
            "transaction_systems.demo_records.config.url: String should match pattern",
        ),
        (
            {"        stage: status.code\n": ""},
            "transaction_systems.demo_records.config: Value error, fields must map stage",
        ),
        (
            {"      timeout_seconds: 8\n": "      timeout_seconds: 8\n      auth_header: X-Key\n"},
            "auth_header and auth_env go together",
        ),
        (
            {
                "      timeout_seconds: 8\n": "      timeout_seconds: 8\n      auth_header: X-Key\n"
                "      auth_env: BALAGH_UNSET_FOR_THIS_TEST\n"
            },
            "the environment variable BALAGH_UNSET_FOR_THIS_TEST is not set",
        ),
        (
            {"connector: http_json": "connector: soap"},
            "transaction_systems.demo_records.connector: unknown connector 'soap' (http_json)",
        ),
        (
            {'    system: demo_records\n    number: "^43': '    system: permits\n    number: "^43'},
            "transactions.excavation_permit.system: unknown transaction system 'permits'",
        ),
        (
            {"codes: [ENG_REVIEW]": "codes: [ENG_REVIEW, NEW]"},
            "transactions.building_permit.stages.engineering_review.codes: 'NEW' is also in",
        ),
        (
            {"        phone: applicant.mobile\n": ""},
            "transactions.excavation_permit: system 'demo_records' does not give phone",
        ),
    ],
)
async def test_a_wrong_system_configuration_names_the_key(tmp_path: Path, replacements, problem):
    path = catalogue_pointing_at("http://127.0.0.1:8070", tmp_path, replacements)
    async with httpx.AsyncClient() as http:
        with pytest.raises(CatalogueError) as refused:
            build_connectors(load_catalogue(path), http, path)
    assert any(problem in line and str(path) in line for line in refused.value.problems), (
        refused.value.problems
    )
