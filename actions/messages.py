"""How the custom actions speak: keyed words in the conversation's language and medium, menus.

The words are in the catalogues under locales/ (`bot.words`): the actions name keys, so a
translator rewords them without touching Python or retraining the model. The conversation's
medium (`voice` on the phone, `chat` or `sms` elsewhere) picks the phone's own words where the
catalogue has them. Arabic is written the way a courteous Saudi agent talks: Gulf dialect where
it is warmer, plain MSA where precision matters.

Each menu has at most five buttons: the phone reads them as "press 1 … press 5".
"""

from dataclasses import dataclass
from typing import Any, Final

from bot.catalogue import Bilingual
from bot.types import Language
from bot.words import Medium, text

MAX_BUTTONS: Final = 5


@dataclass(frozen=True)
class Button:
    """A menu entry: a words key (or a catalogue name in both languages) and its payload."""

    title: str | Bilingual
    payload: str

    def render(self, lang: Language, medium: Medium) -> dict[str, str]:
        if isinstance(self.title, Bilingual):
            title = self.title.get(lang)
        else:
            title = text(self.title, lang, medium)
        return {"title": title, "payload": self.payload}


REPORT: Final = Button("button.report", "/report_complaint")
CHECK_STATUS: Final = Button("button.status", "/check_status")
PROGRAMS: Final = Button("button.programs", "/ask_programs")
SERVICES: Final = Button("button.services", "/ask_services")
AGENT: Final = Button("button.agent", "/talk_to_agent")
MAIN_MENU_BUTTON: Final = Button("button.main_menu", "/greet")
NO_THANKS: Final = Button("button.no_thanks", "/goodbye")

MAIN_MENU: Final = (REPORT, CHECK_STATUS, PROGRAMS, SERVICES, AGENT)
ANYTHING_ELSE: Final = (REPORT, CHECK_STATUS, MAIN_MENU_BUTTON, NO_THANKS)
AGENT_OR_MENU: Final = (AGENT, MAIN_MENU_BUTTON)
YES_NO_MENU: Final = (Button("button.yes", "/affirm"), Button("button.no_menu", "/deny"))


def choice_payload(intent: str, choice: str) -> str:
    """A button payload carrying a menu choice: `/inform{"choice": "skip"}`."""
    return f'/{intent}{{"choice": "{choice}"}}'


class Speaker:
    """Says keyed words in one language and medium through a rasa_sdk dispatcher."""

    def __init__(self, dispatcher: Any, lang: Language, medium: Medium) -> None:
        self.dispatcher = dispatcher
        self.lang = lang
        self.medium = medium

    def text(self, key: str, **values: object) -> str:
        return text(key, self.lang, self.medium, **values)

    def say(
        self,
        key: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        custom: dict[str, Any] | None = None,
        **values: object,
    ) -> None:
        self.say_text(self.text(key, **values), buttons=buttons, custom=custom)

    def say_text(
        self,
        message: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        custom: dict[str, Any] | None = None,
    ) -> None:
        if len(buttons) > MAX_BUTTONS:
            raise ValueError(f"a menu has at most {MAX_BUTTONS} options, got {len(buttons)}")
        rendered = [button.render(self.lang, self.medium) for button in buttons]
        if custom is None:
            self.dispatcher.utter_message(text=message, buttons=rendered)
        else:
            self.dispatcher.utter_message(text=message, buttons=rendered, json_message=custom)
