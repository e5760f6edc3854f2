"""The addresses of the phone line, as Twilio is given them (and signs them)."""

from typing import Final, Literal
from urllib.parse import urlencode

from bot.settings import Settings
from bot.types import Language
from channels.twilio_account import public_url

VOICE_PATH: Final = "/channels/twilio/voice"
STATUS_PATH: Final = f"{VOICE_PATH}/status"
RECORDING_PATH: Final = f"{VOICE_PATH}/recording"
FALLBACK_PATH: Final = f"{VOICE_PATH}/fallback"
ANNOUNCEMENT_PATH: Final = f"{VOICE_PATH}/announcements"
RecordingUse = Literal["voice", "call_recording", "voicemail"]


def step_url(settings: Settings, number: int, *, silent: bool = False) -> str:
    """Step `number` of a call; `silent` when Twilio comes because the caller said nothing."""
    query = {"s": number, **({"e": 1} if silent else {})}
    return public_url(settings, VOICE_PATH, urlencode(query))


def recording_url(
    settings: Settings,
    use: RecordingUse,
    *,
    reason: str = "",
    language: Language = "ar",
    caller: str | None = None,
) -> str:
    """Where Twilio reports a finished recording; a voicemail's URL says whose it is, so it
    is kept even when its action request failed (the fallback answered the call)."""
    query: dict[str, str] = {"kind": use}
    if use == "voicemail":
        query |= {"reason": reason, "lang": language, "caller": caller or ""}
    return public_url(settings, RECORDING_PATH, urlencode(query))


def fallback_url(settings: Settings, *, silent: bool = False) -> str:
    return public_url(settings, FALLBACK_PATH, "e=1" if silent else "")


def announcement_url(settings: Settings, code: str) -> str:
    return public_url(settings, f"{ANNOUNCEMENT_PATH}/{code}")
