"""A demonstration system of record: a few permits and licences behind a small JSON API.

`balagh run` starts it beside the service (`python -m bot.transactions.demo_system --port
8070`), and catalogue.yml's `demo_records` system points at it, so a newcomer can ask about a
transaction without a municipality's system. Its answers are shaped like another system's,
not like Balagh's (camelCase, nested, its own status codes): the connector's configuration
maps them. A few numbers misbehave on purpose, to try what a resident hears then:

    41000090  answers only after --slow-seconds (6 by default): the SMS follow-up
    42000090  fails with HTTP 500
    43000090  answers without a status (a malformed answer)

With --token, every request must carry `Authorization: Bearer <token>`.
"""

import argparse
import asyncio
import hmac
from typing import Any, Final

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SLOW: Final = "41000090"
FAILING: Final = "42000090"
MALFORMED: Final = "43000090"


def _record(service: str, code: str, updated: str, national_id: str, mobile: str) -> Any:
    return {
        "service": service,
        "status": {"code": code, "updatedAt": updated},
        "applicant": {"nationalId": national_id, "mobile": mobile},
    }


# Proofs: the national id's last four digits (permits, licences), the mobile's (excavations).
TRANSACTIONS: Final[dict[str, Any]] = {
    "41000017": _record("BLD", "ENG_REVIEW", "2026-11-30T10:15:00", "1012345678", "0551230001"),
    "41000025": _record("BLD", "APPROVED", "2026-11-24T09:00:00", "1023456789", "0551230002"),
    "42000013": _record("SHP", "RETURNED", "2026-12-01T12:40:00", "1098761234", "0551230003"),
    "42000021": _record("SHP", "ISSUED", "2026-11-18T08:30:00", "2034567890", "0551230004"),
    "43000019": _record("EXC", "FIELD_CHECK", "2026-12-02T11:05:00", "1045678901", "0551234321"),
    SLOW: _record("BLD", "SUBMITTED", "2026-12-03T13:20:00", "1056789012", "0551230006"),
    FAILING: _record("SHP", "ISSUED", "2026-11-10T10:00:00", "1067890123", "0551230007"),
    MALFORMED: {"service": "EXC", "applicant": {"nationalId": "1078901234"}},
}


def create_app(slow_seconds: float = 6.0, token: str | None = None) -> Starlette:
    async def transaction(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return JSONResponse({"error": "unauthorised"}, status_code=401)
        number = request.path_params["number"]
        if number == SLOW:
            await asyncio.sleep(slow_seconds)
        if number == FAILING:
            return JSONResponse({"error": "database unavailable"}, status_code=500)
        found = TRANSACTIONS.get(number)
        if found is None:
            return JSONResponse({"error": "no such transaction"}, status_code=404)
        return JSONResponse({"number": number, **found})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/transactions/{number}", transaction),
            Route("/health", health),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--slow-seconds", type=float, default=6.0)
    parser.add_argument("--token", default=None)
    options = parser.parse_args()
    app = create_app(options.slow_seconds, options.token)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
