"""What the caller is being asked, built from the dialogue's messages, and what their keys or
words mean against it.

Buttons are menus: option N is "press N" (spoken titles work too). A message hinting
`{"expect": "digits"}` gathers keys until `#`; `{"expect": "recording"}` records the caller.
Everywhere: 0 is an employee, * repeats, 9 goes back to the previous menu (a menu has at most
five options, and no reference or phone number is a single 0 or 9). So a menu's "talk to an
employee" option is never read as "press N": the caller hears "press 0" once, in the
conventions at the first menu or in its own line after.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.languages import named_language, script_language
from bot.types import Language
from bot.words import N_, text
from channels.dialogue import BotMessage, Button
from channels.rendering import chosen_payload

PromptKind = Literal[
    "language", "busy", "menu", "digits", "speech", "recording", "voicemail", "transfer"
]
MAX_RECORDING_SECONDS: Final = 300
DEFAULT_RECORDING_SECONDS: Final = 120
EMPLOYEE_KEY: Final = "0"
REPEAT_KEY: Final = "*"
PREVIOUS_KEY: Final = "9"
EMPLOYEE_PAYLOAD: Final = "/talk_to_agent"
LANGUAGE_KEYS: Final[dict[str, Language]] = {"1": "ar", "2": "en"}
_PAYLOAD = re.compile(r'^/(\w+)(?:\{"(\w+)")?')


class Prompt(BaseModel):
    """One thing the caller is asked; kept with the call so it can be repeated or gone back to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: PromptKind
    language: Language
    texts: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    offers_employee: bool = False  # the dialogue offered an employee: key 0
    max_seconds: Annotated[int, Field(ge=1, le=MAX_RECORDING_SECONDS)] = DEFAULT_RECORDING_SECONDS
    step: Annotated[str, Field(max_length=60)]  # its name in the phone KPIs

    def lines(self, *, conventions: bool = False) -> list[str]:
        """Everything said before listening: the texts, then the options and how to answer."""
        lines = list(self.texts)
        if self.kind == "digits":
            lines.append(text("call.finish_with_pound", self.language, "voice"))
        elif self.kind == "recording":
            lines.append(text("call.speak_after_beep", self.language, "voice"))
        option = N_("call.digit_option") if self.kind == "digits" else N_("call.option")
        lines += [
            text(option, self.language, "voice", title=button.title, digit=digit)
            for digit, button in enumerate(self.buttons, 1)
        ]
        if conventions and self.kind in ("menu", "digits", "speech"):
            lines.append(text("call.conventions", self.language, "voice"))
        elif self.offers_employee:
            lines.append(text("call.employee_option", self.language, "voice"))
        return lines


def language_prompt(offered_first: Language) -> Prompt:
    """1 Arabic, 2 English; the caller's last choice is offered first."""
    order: tuple[Language, Language] = ("ar", "en") if offered_first == "ar" else ("en", "ar")
    return Prompt(
        kind="language",
        language=offered_first,
        texts=tuple(text("call.choose_language", language, "voice") for language in order),
        step="language",
    )


def chosen_language(digits: str, speech: str) -> Language | None:
    """The language keyed (1, 2) or said ("English", "عربي", "Arabic please")."""
    if digits.strip():
        return LANGUAGE_KEYS.get(digits.strip())
    named = named_language(speech.split())
    return named[0] if named else None


@dataclass(frozen=True)
class DialogueReply:
    """The dialogue's answer to one turn, as the phone line acts on it."""

    prompt: Prompt
    handoff: bool | None  # an employee was asked for: on duty (True) or not (False)
    references: tuple[str, ...]  # complaints the turn created
    offers_goodbye: bool  # the menu lets the caller finish: what they called for is done
    ends: bool  # the dialogue said goodbye (to a spoken "bye", or "no" to "anything else?")


def read_reply(messages: Sequence[BotMessage], language: Language) -> DialogueReply:
    texts = tuple(message.text for message in messages if message.text.strip())
    offered = next((m.buttons for m in reversed(messages) if m.buttons), ())
    buttons = tuple(button for button in offered if button.payload != EMPLOYEE_PAYLOAD)
    custom: dict[str, Any] = {}
    for message in messages:
        custom.update(message.custom)
    expect = custom.get("expect")
    kind: PromptKind = (
        "recording"
        if expect == "recording"
        else "digits"
        if expect == "digits"
        else "menu"
        if buttons
        else "speech"
    )
    seconds = custom.get("max_seconds")
    handoff = custom.get("handoff")
    prompt = Prompt(
        kind=kind,
        language=script_language(" ".join(texts)) or language,
        texts=texts,
        buttons=buttons,
        offers_employee=len(buttons) < len(offered),
        max_seconds=min(seconds, MAX_RECORDING_SECONDS)
        if isinstance(seconds, int) and seconds > 0
        else DEFAULT_RECORDING_SECONDS,
        step=_step_name(kind, custom, buttons),
    )
    return DialogueReply(
        prompt=prompt,
        handoff=bool(handoff.get("available")) if isinstance(handoff, dict) else None,
        references=tuple(
            str(message.custom["reference"]["value"])
            for message in messages
            if isinstance(message.custom.get("reference"), dict)
            and "value" in message.custom["reference"]
        ),
        offers_goodbye=any(button.payload == "/goodbye" for button in buttons),
        ends=custom.get("end") is True,
    )


def _step_name(kind: PromptKind, custom: dict[str, Any], buttons: Sequence[Button]) -> str:
    """'description', 'reference', 'district', 'menu:category', 'menu:report_complaint'…"""
    purpose = custom.get("purpose") or custom.get("expect")
    if kind == "recording":
        return "description"
    if isinstance(purpose, str):
        return purpose[:60]
    if buttons:
        match = _PAYLOAD.match(buttons[0].payload)
        name = (match.group(2) or match.group(1)) if match else "choice"
        return f"menu:{name}"[:60]
    return "question"


@dataclass(frozen=True)
class Answer:
    """What the caller did at a prompt."""

    kind: Literal["nothing", "repeat", "previous", "employee", "send", "invalid"]
    text: str = ""  # for "send": a button payload, typed digits or spoken words


def understand(prompt: Prompt, digits: str, speech: str) -> Answer:
    keys = "" if digits == "hangup" else digits.strip().rstrip("#")
    if keys == REPEAT_KEY:
        return Answer("repeat")
    if keys == EMPLOYEE_KEY:
        return Answer("employee")
    if keys == PREVIOUS_KEY:
        return Answer("previous")
    if keys:
        if keys.isdigit() and len(keys) == 1 and 1 <= int(keys) <= len(prompt.buttons):
            return Answer("send", prompt.buttons[int(keys) - 1].payload)
        if prompt.kind == "digits" and keys.isdigit():
            return Answer("send", keys)
        return Answer("invalid")
    words = speech.strip()
    if words:
        return Answer("send", chosen_payload(words, prompt.buttons) or words)
    return Answer("nothing")
