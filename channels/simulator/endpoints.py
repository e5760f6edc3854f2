"""`/simulator`: a dial pad that places a simulated call through the real voice webhooks.

The page posts the same form fields Twilio posts, signed as Twilio signs them. Signatures
come from `POST /simulator/sign`, which exists only in local use with the built-in Twilio
token and signs only the phone line's own URLs: the page never sees a token, and with a
real token configured nothing here can forge a request Twilio would be trusted for.
"""

from functools import cache
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from twilio.request_validator import RequestValidator

from bot.api.deps import CatalogueDep, SettingsDep
from bot.api.errors import ApiError
from bot.settings import Settings
from bot.words import N_, with_script_words
from channels.twilio_account import LOCAL_AUTH_TOKEN, account_sid, public_url
from channels.voice.urls import STATUS_PATH, VOICE_PATH

STATIC: Final = Path(__file__).parent / "static"
SCRIPT: Final = STATIC / "simulator.js"
# The simulator's own words (the catalogues' `simulator.*`), filled into its script when served.
WORDS: Final = (
    N_("simulator.title"),
    N_("simulator.phone"),
    N_("simulator.caller"),
    N_("simulator.call"),
    N_("simulator.hangup"),
    N_("simulator.say"),
    N_("simulator.words"),
    N_("simulator.silence"),
    N_("simulator.answered"),
    N_("simulator.no_answer"),
    N_("simulator.steps"),
    N_("simulator.listening"),
    N_("simulator.listening_digits"),
    N_("simulator.recording"),
    N_("simulator.transferring"),
    N_("simulator.ended"),
    N_("simulator.error"),
    N_("simulator.disabled"),
    N_("simulator.recorded"),
    N_("simulator.you"),
)
FILES: Final = {"simulator.css": "text/css"}
router = APIRouter(prefix="/simulator", tags=["simulator"])


def signing_allowed(settings: Settings) -> bool:
    return settings.environment == "local" and settings.twilio_auth_token is None


FieldName = Annotated[str, Field(max_length=40)]
FieldValue = Annotated[str, Field(max_length=1000)]


class SignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(max_length=500)]
    params: Annotated[dict[FieldName, FieldValue], Field(max_length=40)]


@router.get("", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "simulator.html", media_type="text/html")


@router.get("/config", summary="Simulator: where and as whom it calls")
async def config(settings: SettingsDep, catalogue: CatalogueDep) -> dict[str, object]:
    return {
        "enabled": signing_allowed(settings),
        "voice_url": public_url(settings, VOICE_PATH),
        "status_url": public_url(settings, STATUS_PATH),
        "account_sid": account_sid(settings),
        "line": "+966" + catalogue.municipality.phone_line,
    }


@router.post("/sign", summary="Simulator: sign a request to the phone line (local use only)")
async def sign_request(body: SignRequest, settings: SettingsDep) -> dict[str, str]:
    if not signing_allowed(settings):
        raise ApiError(404, "not_found", "the simulator signs only in local use")
    if not body.url.startswith(public_url(settings, VOICE_PATH)):
        raise ApiError(422, "invalid_request", "only the phone line's URLs are signed")
    validator = RequestValidator(LOCAL_AUTH_TOKEN)
    return {"signature": validator.compute_signature(body.url, body.params)}


@cache
def script() -> str:
    return with_script_words(SCRIPT.read_text(encoding="utf-8"), WORDS, "simulator.")


@router.get("/simulator.js", include_in_schema=False)
async def simulator_script() -> Response:
    """The page's script, in the words of the catalogues."""
    return Response(script(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    if name not in FILES:
        return Response(status_code=404)
    return FileResponse(
        STATIC / name, media_type=FILES[name], headers={"Cache-Control": "no-cache"}
    )
