"""One JSON error shape for every failure: a stable code and a human message, no traces."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.complaints import ChangeRefused, ComplaintNotFound, NotPermitted, UnknownCode
from bot.notifications.providers.contact import InvalidContact
from bot.phone import InvalidPhone, PhoneNotServed, format_countries
from bot.reference import InvalidReference
from bot.store.base import DuplicateUser, InvalidCursor, VersionConflict
from bot.types import Language
from bot.words import N_, text
from bot.workflow import TransitionRefused

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


Limited = Literal["too_many_attempts", "too_many_reports", "too_many_uploads"]
LIMIT_WORDS: Final[dict[Limited, str]] = {
    "too_many_attempts": N_("limit.too_many_attempts"),
    "too_many_reports": N_("limit.too_many_reports"),
    "too_many_uploads": N_("limit.too_many_uploads"),
}


class TooManyRequests(ApiError):
    """429 with the reason in the user's language and when to come back."""

    def __init__(self, code: Limited, language: Language, retry_after: int) -> None:
        message = text(LIMIT_WORDS[code], language, "web")
        super().__init__(429, code, message, headers={"Retry-After": str(retry_after)})


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def request_language(request: Request) -> Language:
    """The citizen's language: `?lang=`, else Accept-Language, else Arabic."""
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "en" if asked.lower().startswith("en") else "ar"


_HTTP_CODES = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    429: "too_many_requests",
}


# Refusals whose own message says what is wrong: (exception, HTTP status, error code).
# The 409s below carry details too (the state, what is allowed).
REFUSALS: Final[tuple[tuple[type[Exception], int, str], ...]] = (
    (InvalidCursor, 422, "invalid_cursor"),
    (UnknownCode, 422, "unknown_code"),
    (NotPermitted, 403, "forbidden"),
)


def _refusal(status: int, code: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def refused(_: Request, exc: Exception) -> JSONResponse:
        return error_response(status, code, str(exc))

    return refused


def install_error_handlers(app: FastAPI) -> None:
    for kind, status, code in REFUSALS:
        app.add_exception_handler(kind, _refusal(status, code))

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]}
            for error in exc.errors()
        ]
        fields = ", ".join(detail["field"] for detail in details)
        return error_response(422, "invalid_request", f"invalid fields: {fields}", details)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(InvalidReference)
    async def invalid_reference(request: Request, exc: InvalidReference) -> JSONResponse:
        return error_response(422, exc.code, exc.message(request_language(request)))

    @app.exception_handler(PhoneNotServed)
    async def phone_not_served(request: Request, exc: PhoneNotServed) -> JSONResponse:
        countries = format_countries(exc.country_codes)
        message = text(
            "report.phone_not_served", request_language(request), "web", countries=countries
        )
        return error_response(422, "phone_not_served", message)

    @app.exception_handler(InvalidContact)
    async def invalid_contact(request: Request, exc: InvalidContact) -> JSONResponse:
        language = request_language(request)
        name = exc.field.name(language) if exc.field is not None else exc.key
        message = text("error.invalid_contact", language, "web", field=name)
        details = [{"field": f"body.contacts.{exc.key}", "problem": exc.problem}]
        return error_response(422, "invalid_contact", message, details)

    @app.exception_handler(InvalidPhone)
    async def invalid_phone(request: Request, exc: InvalidPhone) -> JSONResponse:
        message = text("error.invalid_phone", request_language(request))
        return error_response(422, "invalid_phone", message)

    @app.exception_handler(DuplicateUser)
    async def duplicate_user(_: Request, exc: DuplicateUser) -> JSONResponse:
        return error_response(409, "user_exists", f"a user named {exc} already exists")

    @app.exception_handler(ComplaintNotFound)
    async def not_found(request: Request, exc: ComplaintNotFound) -> JSONResponse:
        message = text("error.no_such_report", request_language(request), reference=exc)
        return error_response(404, "complaint_not_found", message)

    @app.exception_handler(TransitionRefused)
    async def transition_refused(_: Request, exc: TransitionRefused) -> JSONResponse:
        details = {"state": exc.current, "requested": exc.requested, "allowed": exc.allowed}
        return error_response(409, "invalid_transition", str(exc), [details])

    @app.exception_handler(ChangeRefused)
    async def change_refused(_: Request, exc: ChangeRefused) -> JSONResponse:
        details = {"reason": exc.reason, "state": exc.state}
        return error_response(409, "change_refused", str(exc), [details])

    @app.exception_handler(VersionConflict)
    async def conflict(_: Request, exc: VersionConflict) -> JSONResponse:
        return error_response(409, "concurrent_change", f"{exc} changed meanwhile; try again")

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        """The client went away before its request was whole (a dialogue core replica killed
        in the middle of an action call, a dropped connection): nothing happened, nobody is
        left to answer, and it is not an error of ours to log with a traceback."""
        log.info(
            "%s %s: the client left before its request was whole", request.method, request.url.path
        )
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side")


class BodySizeLimit:
    """Refuse request bodies over a limit, whether or not Content-Length tells the truth.

    File uploads (multipart forms: photos, recordings) may be up to twice the larger
    `upload_max_bytes`, so the page that receives one refuses a too-large file itself and
    shows its form again, filled in (its handler reads files within `upload_max_bytes`).
    A browser sending even more gets `page_refusal`'s page rather than the API's JSON.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_max_bytes: int | None = None,
        page_refusal: Callable[[Scope], Response] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = 2 * (upload_max_bytes or max_bytes)
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_max_bytes if is_upload else self.max_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            wants_page = b"text/html" in headers.get(b"accept", b"")
            refusal = (
                self.page_refusal(scope)
                if wants_page and self.page_refusal is not None
                else error_response(413, "body_too_large", self._message(limit))
            )
            await refusal(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, self._message(limit))
            return message

        await self.app(scope, counting_receive, send)

    @staticmethod
    def _message(limit: int) -> str:
        return f"request body is over {limit} bytes"
