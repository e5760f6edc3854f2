"""Which words each notification says (keys into the catalogues under locales/), and the
values it needs.

`variables` name, in order, the values a WhatsApp Content template for the same event
takes as {{1}}, {{2}}…: register the approved templates with these variables.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.types import Language
from bot.words import N_, Medium, text

CitizenEvent = Literal[
    "phone_code",
    "created",
    "assigned",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
    "reply",
    "subscribed",
    "followed",
]
StaffEvent = Literal["assignment", "sla_reminder", "sla_breach", "chat_handoff"]


@dataclass(frozen=True)
class Template:
    key: str
    variables: tuple[str, ...]


CITIZEN: dict[CitizenEvent, Template] = {
    # {code} stays a placeholder in the outbox: the dispatcher fills it (bot/phone_check.py).
    "phone_code": Template(N_("notification.phone_code"), ("code", "reference")),
    "created": Template(N_("notification.created"), ("reference", "link")),
    "assigned": Template(N_("notification.assigned"), ("reference", "team")),
    "in_progress": Template(N_("notification.in_progress"), ("reference",)),
    "resolved": Template(N_("notification.resolved"), ("reference",)),
    "closed": Template(N_("notification.closed"), ("reference",)),
    "rejected": Template(N_("notification.rejected"), ("reference",)),
    "duplicate": Template(N_("notification.duplicate"), ("reference", "original")),
    # A resident with the same problem joined an open report instead of filing a duplicate…
    "subscribed": Template(N_("notification.subscribed"), ("reference", "status")),
    # …and hears of each change of its status.
    "followed": Template(N_("notification.followed"), ("reference", "status")),
    # A staff reply (often a catalogue reply template) to the citizen, in their language.
    "reply": Template(N_("notification.reply"), ("reference", "text")),
}

STAFF: dict[StaffEvent, Template] = {
    "assignment": Template(
        N_("staff_notification.assignment"),
        ("reference", "category", "district", "priority", "who", "due"),
    ),
    "sla_reminder": Template(
        N_("staff_notification.sla_reminder"), ("reference", "category", "district", "due")
    ),
    "sla_breach": Template(
        N_("staff_notification.sla_breach"), ("reference", "category", "who", "due")
    ),
    "chat_handoff": Template(
        N_("staff_notification.chat_handoff"), ("channel", "phone", "summary", "link")
    ),
}


def render(
    template: Template, language: Language, medium: Medium | None, values: Mapping[str, str]
) -> tuple[str, list[str]]:
    """The text in one language and medium, and the WhatsApp template variables in order."""
    body = text(template.key, language, medium, **values)
    return body, [values[name] for name in template.variables]
