"""The staff contact fields the notification providers declare, and the check of what an admin
types into them.

A provider that can reach a staff member names one field (its key in `StaffUser.contacts`,
the words key of its label, how a typed value is checked and normalised); the admin form,
the users API, the CLI and the planner take the fields from the provider registry
(bot/notifications/providers/registry.py), so none of them names a provider's field.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.notifications.message import MessageChannel
from bot.staff import StaffContact
from bot.types import Language
from bot.words import has, text

MAX_LENGTH = 100  # of a typed value, whatever the field

InputType = Literal["text", "tel", "email"]


@dataclass(frozen=True)
class ContactField:
    key: str  # in StaffUser.contacts, the admin form and the users API: "phone"
    label: str  # the words key of its name, marked for extraction: N_("contact.phone")
    channel: MessageChannel  # the outbox channel a message to this address goes by
    # the stored form of a typed value; raises ValueError (its message says why) if unusable
    normalise: Callable[[str], str]
    input_type: InputType = "text"  # what a browser offers to type it with
    example: str = ""  # shown in the empty field

    def name(self, language: Language) -> str:
        """Its label; its key until the catalogues have words for it (the locales check
        reports that)."""
        return text(self.label, language, "web") if has(self.label, language) else self.key


class InvalidContact(ValueError):
    """A contact value that its field refuses, or a key no provider declares."""

    def __init__(self, key: str, problem: str, field: ContactField | None = None) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem
        self.field = field


class StaffContacts:
    """Every registered contact field, in the order staff are reached: the first field a
    staff member filled in is where their notifications go."""

    def __init__(self, fields: Iterable[ContactField]) -> None:
        self._fields: dict[str, ContactField] = {}
        for field in fields:
            if field.key in self._fields:
                raise ValueError(f"two providers declare the contact field {field.key!r}")
            self._fields[field.key] = field

    def __iter__(self) -> Iterator[ContactField]:
        return iter(self._fields.values())

    def contact(self, given: Mapping[str, str | None], language: str) -> StaffContact:
        """The checked contact: each value normalised by its field, an empty one dropped
        (it clears that way of reaching the account). Raises InvalidContact, or pydantic's
        ValidationError for a language the service does not speak."""
        contacts: dict[str, str] = {}
        for key, value in given.items():
            field = self._fields.get(key)
            if field is None:
                known = ", ".join(self._fields) or "none"
                raise InvalidContact(key, f"no provider has this field (known: {known})")
            if value is None or not value.strip():
                continue
            if len(value) > MAX_LENGTH:
                raise InvalidContact(key, f"longer than {MAX_LENGTH} characters", field)
            try:
                contacts[key] = field.normalise(value.strip())
            except ValueError as exc:
                raise InvalidContact(key, str(exc), field) from None
        return StaffContact.model_validate({"contacts": contacts, "language": language})
