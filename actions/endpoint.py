"""The action endpoint: `POST /webhook`, speaking the Rasa action server protocol.

Rasa posts `{"next_action", "sender_id", "tracker", "domain"?, "version"}` and expects
`{"events": [...], "responses": [...]}`; a rejected action answers 400 and an unknown one 404,
as rasa_sdk's own server does. The actions run inside the service process, bound to its
`Services` (store, catalogue, complaint service), through rasa_sdk's `ActionExecutor`.

Mount it with `app.include_router(actions.endpoint.router)`; endpoints.yml points Rasa at
`http://localhost:8000/webhook`.

Each call runs under the request id of the turn that caused it (the user message's metadata,
set by the channel), so the actions' logs join the channel's; an action that raises is counted
in `balagh_action_errors_total`.

Only Rasa should call this endpoint (an action trusts the tracker it is given, including
the caller id in its metadata). With `BALAGH_ACTIONS_TOKEN` set, every call must carry it in
`Authorization: Bearer …` (endpoints.yml `headers:`; a header, so it is never in an access
log); production does not start without it. Without it, in local use only, calls from the
loopback interface are answered. A compressed body is inflated to at most
`MAX_INFLATED_BYTES`: a small deflate bomb is refused after that much work, not after it has
filled the memory.
"""

import hmac
import json
import logging
import zlib
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security.utils import get_authorization_scheme_param
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from actions.base import BalaghAction
from actions.complaint import CancelReport, SubmitComplaint, ValidateComplaintForm
from actions.conversation import (
    AnswerOffer,
    Fallback,
    Greet,
    Handoff,
    MunicipalServices,
    OutOfScope,
    Programs,
    SessionStart,
    SwitchLanguage,
)
from actions.status import CheckStatus, ValidateStatusForm
from actions.transactions import TransactionBySms, TransactionStatus, ValidateTransactionForm
from bot.api.deps import SettingsDep
from bot.client_address import client_address
from bot.logs import current_request_id, new_request_id, request_id, valid_request_id
from bot.metrics import ACTION_ERRORS
from bot.services import Services
from bot.settings import is_loopback

logger = logging.getLogger(__name__)
router = APIRouter(tags=["dialogue"])

ACTION_CLASSES: Final[tuple[type[BalaghAction], ...]] = (
    SessionStart,
    Greet,
    SwitchLanguage,
    AnswerOffer,
    Fallback,
    Handoff,
    Programs,
    MunicipalServices,
    OutOfScope,
    ValidateComplaintForm,
    SubmitComplaint,
    CancelReport,
    ValidateStatusForm,
    CheckStatus,
    ValidateTransactionForm,
    TransactionStatus,
    TransactionBySms,
)
# A long conversation's tracker is a few hundred kB of JSON; far more is not Rasa's.
MAX_INFLATED_BYTES: Final = 16 * 1024 * 1024


class BodyTooLarge(ValueError):
    """A compressed action call that inflates past MAX_INFLATED_BYTES."""


def create_actions(services: Services) -> list[BalaghAction]:
    return [action_class(services) for action_class in ACTION_CLASSES]


def build_executor(services: Services) -> ActionExecutor:
    executor = ActionExecutor()
    for action in create_actions(services):
        executor.register_function(action.name, action.execute)
    return executor


def executor_for(app: FastAPI) -> ActionExecutor:
    """One executor per application, built on first use from the running services."""
    services: Services = app.state.services
    cached = getattr(app.state, "action_executor", None)
    if cached is None or getattr(app.state, "action_executor_services", None) is not services:
        cached = build_executor(services)
        app.state.action_executor = cached
        app.state.action_executor_services = services
    return cached


async def _allowed(request: Request, settings: SettingsDep) -> None:
    token = settings.actions_token.get_secret_value() if settings.actions_token else ""
    if token:  # an empty BALAGH_ACTIONS_TOKEN counts as unset
        scheme, given = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(status_code=403, detail="invalid action endpoint token")
        return
    if settings.environment != "local" or not is_loopback(client_address(request)):
        raise HTTPException(
            status_code=403,
            detail="the action endpoint answers the local Rasa server only; "
            "set BALAGH_ACTIONS_TOKEN",
        )


Allowed = Annotated[None, Depends(_allowed)]


def parse_call(body: bytes) -> Any:
    """orjson reads Rasa's JSON in a fraction of the standard library's time; what it refuses
    (NaN, integers past 64 bits, lone surrogates in a message) the standard library reads."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def inflate(data: bytes, limit: int) -> bytes:
    """A zlib (HTTP `deflate`) body, refused as soon as it would pass `limit` bytes."""
    inflater = zlib.decompressobj()
    inflated = inflater.decompress(data, limit + 1)  # output stops one byte past the limit
    if len(inflated) > limit:
        raise BodyTooLarge(f"the body inflates past {limit} bytes")
    if not inflater.eof:
        raise zlib.error("the compressed body is cut short")
    return inflated


@router.post("/webhook", summary="Rasa action server webhook")
async def webhook(request: Request, _: Allowed) -> JSONResponse:
    body = await request.body()
    try:
        if request.headers.get("content-encoding", "").lower() == "deflate":
            body = inflate(body, MAX_INFLATED_BYTES)
        call: Any = parse_call(body)
    except BodyTooLarge:
        return JSONResponse({"error": "the action call is too large"}, status_code=413)
    except (zlib.error, ValueError):
        return JSONResponse({"error": "invalid action call body"}, status_code=400)
    if not isinstance(call, dict) or not isinstance(call.get("tracker"), dict):
        return JSONResponse({"error": "invalid action call body"}, status_code=400)
    action_name = call.get("next_action")
    if not isinstance(action_name, str) or not action_name:
        return JSONResponse({"error": "no action named", "action_name": None}, status_code=400)
    # Our actions never read the domain, so Rasa may send it only when it changes
    # (enable_selective_domain in endpoints.yml).
    call.setdefault("domain", {})
    executor = executor_for(request.app)
    latest = call["tracker"].get("latest_message")
    turn_metadata = (latest.get("metadata") if isinstance(latest, dict) else None) or {}
    turn_id = valid_request_id(turn_metadata.get("request_id")) or current_request_id()
    try:
        with request_id(turn_id or new_request_id()):
            result = await executor.run(call)
    except ActionNotFoundException as exc:
        logger.error("unknown action %s", action_name)
        return JSONResponse({"error": exc.message, "action_name": action_name}, status_code=404)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": action_name}, status_code=400)
    except Exception:
        ACTION_ERRORS.labels(action_name).inc()  # a registered name: unknown ones were 404
        raise
    payload = result.model_dump() if result is not None else {"events": [], "responses": []}
    return JSONResponse(payload)


@router.get("/webhook/actions", summary="The custom actions this service runs")
async def list_actions(request: Request, _: Allowed) -> list[dict[str, str]]:
    return [{"name": item.name} for item in executor_for(request.app).list_actions()]
