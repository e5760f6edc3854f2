"""TwiML for each kind of answer, built by pure functions so tests can compare exact output.

Every answer that waits for the caller ends with a `<Redirect>` to where silence leads:
Twilio falls through a `<Gather>` with no input, and skips a `<Record>`'s action when nothing
was recorded, so the call is never left without an instruction (and never hung up on).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, Start, VoiceResponse

from bot.languages import script_language
from bot.types import Language
from channels.voice.prompt import Prompt
from channels.voice.speech import GATHER_LANGUAGES, spoken

MENU_TIMEOUT: Final = 6  # seconds of silence after the prompt before re-prompting
DIGITS_TIMEOUT: Final = 10  # between two keys of a reference or phone number
LANGUAGE_TIMEOUT: Final = 5
BUSY_TIMEOUT: Final = 4  # then the caller who stayed on the line leaves a message
SPEECH_TIMEOUT: Final = "2"  # seconds of silence that end a spoken answer
RECORD_SILENCE: Final = 5
DIAL_TIMEOUT: Final = 25
HOLD_SECONDS: Final = 1
# What the speech recogniser listens for at the language menu: each language's own name
LANGUAGE_HINTS: Final = "عربي, العربية, Arabic, English, انجليزي"


@dataclass(frozen=True)
class Voices:
    """The Twilio voice for each language; each line is spoken in the voice of its script."""

    arabic: str
    english: str

    def speak(self, verb: TwiML, line: str, language: Language) -> None:
        language = script_language(line) or language
        text = spoken(line, language)
        if text:
            verb.say(text, voice=self.arabic if language == "ar" else self.english)


@dataclass(frozen=True)
class Audio:
    """A recording played to the caller (a managed announcement)."""

    url: str


@dataclass(frozen=True)
class Links:
    """Where Twilio goes next: the caller's answer, their silence, a finished recording."""

    action: str
    no_input: str
    recording_status: str | None = None


def listen(
    prompt: Prompt,
    links: Links,
    voices: Voices,
    *,
    preamble: Sequence[str | Audio] = (),
    conventions: bool = False,
    record_call: str | None = None,
) -> str:
    """Say the prompt, then gather keys or speech, or record; silence goes to `no_input`.

    `record_call` starts recording the whole call, its status reported to that URL.
    """
    response = VoiceResponse()
    if record_call is not None:
        start = Start()
        start.recording(
            recording_status_callback=record_call,
            recording_status_callback_event="completed",
            channels="mono",
        )
        response.append(start)
    said = [*preamble, *prompt.lines(conventions=conventions)]
    if prompt.kind in ("recording", "voicemail"):
        _say_all(response, said, prompt.language, voices)
        response.record(
            action=links.action,
            method="POST",
            max_length=prompt.max_seconds,
            timeout=RECORD_SILENCE,
            finish_on_key="#",
            play_beep=True,
            trim="trim-silence",
            recording_status_callback=links.recording_status,
            recording_status_callback_event="completed" if links.recording_status else None,
        )
    else:
        gather = Gather(action=links.action, method="POST", **_gather_options(prompt))
        _say_all(gather, said, prompt.language, voices)
        response.append(gather)
    response.redirect(links.no_input, method="POST")
    return str(response)


def _gather_options(prompt: Prompt) -> dict[str, Any]:
    if prompt.kind == "busy":  # key 1 for a call-back; silence leaves a voicemail
        return {"input": "dtmf", "num_digits": 1, "timeout": BUSY_TIMEOUT}
    options: dict[str, Any] = {
        "input": "dtmf speech",
        "language": GATHER_LANGUAGES[prompt.language],
        "speech_timeout": SPEECH_TIMEOUT,
    }
    if prompt.kind == "language":  # a key, or the language's name said in either language
        options.update(num_digits=1, timeout=LANGUAGE_TIMEOUT, hints=LANGUAGE_HINTS)
    elif prompt.kind == "digits":
        options.update(finish_on_key="#", timeout=DIGITS_TIMEOUT)
    else:
        options.update(num_digits=1, timeout=MENU_TIMEOUT)
    if prompt.buttons:
        options["hints"] = ", ".join(button.title for button in prompt.buttons)
    return options


def _say_all(verb: TwiML, items: Sequence[str | Audio], language: Language, voices: Voices) -> None:
    for item in items:
        if isinstance(item, Audio):
            verb.play(item.url)
        else:
            voices.speak(verb, item, language)


def transfer(prompt: Prompt, number: str, action: str, voices: Voices) -> str:
    """Say why, then ring the employees; how the dial ended is posted to `action`."""
    response = VoiceResponse()
    _say_all(response, prompt.texts, prompt.language, voices)
    response.dial(number, action=action, method="POST", timeout=DIAL_TIMEOUT)
    return str(response)


def finish(lines: Sequence[str], language: Language, voices: Voices) -> str:
    """The last words of a call the caller is done with."""
    response = VoiceResponse()
    _say_all(response, lines, language, voices)
    response.hangup()
    return str(response)


def hold(url: str, line: str, language: Language, voices: Voices) -> str:
    """A step not answered yet: say so, wait a moment, come back to `url` for the answer."""
    response = VoiceResponse()
    voices.speak(response, line, language)
    response.pause(length=HOLD_SECONDS)
    response.redirect(url, method="POST")
    return str(response)
