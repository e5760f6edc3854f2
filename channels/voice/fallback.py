"""What the line says when the service itself fails: neither the dialogue nor the store.

Twilio requests the number's fallback URL when our answer to a webhook fails or takes too
long, and we send callers here ourselves when a retried step never got its answer. Pure
TwiML, in both languages (the caller's choice is in the store we cannot trust now): an
apology and a voicemail whose recording callback carries everything needed to file it.
"""

from bot.settings import Settings
from bot.words import text
from channels.voice import twiml
from channels.voice.prompt import Prompt
from channels.voice.urls import fallback_url, recording_url


def voices(settings: Settings) -> twiml.Voices:
    return twiml.Voices(settings.voice_arabic, settings.voice_english)


def out_of_service(settings: Settings, caller: str | None) -> str:
    """Apology and voicemail."""
    prompt = Prompt(
        kind="voicemail",
        language="ar",
        texts=(
            text("call.apology", "ar", "voice"),
            text("call.voicemail", "ar", "voice"),
            text("call.apology", "en", "voice"),
            text("call.voicemail", "en", "voice"),
        ),
        step="voicemail",
    )
    links = twiml.Links(
        action=fallback_url(settings),
        no_input=fallback_url(settings, silent=True),
        recording_status=recording_url(
            settings, "voicemail", reason="dialogue_unavailable", caller=caller
        ),
    )
    return twiml.listen(prompt, links, voices(settings))


def fallback_answer(settings: Settings, form: dict[str, str], *, silent: bool) -> str:
    """The fallback's answer: its voicemail kept (the recording finished), none left, or the
    offer. A recording that reaches it with an error code is one whose answer failed at the
    service (a description, say): nothing has kept it, so the caller is offered a voicemail."""
    if form.get("RecordingSid") and not form.get("ErrorCode"):
        lines = (
            text("call.voicemail_kept", "ar", "voice"),
            text("call.voicemail_kept", "en", "voice"),
        )
        return twiml.finish(lines, "ar", voices(settings))
    if silent:
        lines = (
            text("call.voicemail_empty", "ar", "voice"),
            text("call.voicemail_empty", "en", "voice"),
        )
        return twiml.finish(lines, "ar", voices(settings))
    return out_of_service(settings, form.get("From"))
