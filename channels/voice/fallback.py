"""What the line says when the service itself fails: neither the dialogue nor the store.

Twilio requests the number's fallback URL when our answer to a webhook fails or takes too
long, and we send callers here ourselves when a retried step never got its answer. Pure
TwiML, in both languages (the caller's choice is in the store we cannot trust now): an
apology and a voicemail whose recording callback carries everything needed to file it.
"""

from bot.settings import Settings
from channels.voice import twiml
from channels.voice.prompt import Prompt
from channels.voice.texts import say
from channels.voice.urls import fallback_url, recording_url


def voices(settings: Settings) -> twiml.Voices:
    return twiml.Voices(settings.voice_arabic, settings.voice_english)


def out_of_service(settings: Settings, caller: str | None) -> str:
    """Apology and voicemail."""
    prompt = Prompt(
        kind="voicemail",
        language="ar",
        texts=(
            say("apology", "ar"),
            say("voicemail", "ar"),
            say("apology", "en"),
            say("voicemail", "en"),
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
    """The fallback's answer: voicemail kept (its recording finished), none left, or the offer."""
    if form.get("RecordingSid"):
        lines = (say("voicemail_kept", "ar"), say("voicemail_kept", "en"))
        return twiml.finish(lines, "ar", voices(settings))
    if silent:
        lines = (say("voicemail_empty", "ar"), say("voicemail_empty", "en"))
        return twiml.finish(lines, "ar", voices(settings))
    return out_of_service(settings, form.get("From"))
