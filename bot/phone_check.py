"""Proving a phone number nobody vouched for: one code by SMS, entered where the report was made.

A phone the channel itself proves (the caller id on 940, the WhatsApp or SMS sender, a Telegram
contact share) is verified. Any other (typed on the portal, the JSON API or in a chat, keyed on
the phone) gets one six-digit code by SMS when the report is made, and no other message until
the code is entered: the report's notifications wait in the outbox as `held` and leave the
moment it is (bot/complaints.py `verify_phone`). The report itself is taken and its reference
shown either way; whoever typed someone else's number can make that number receive one code.

The code is never stored: it is an HMAC of the reference under the secret key, cut to six
digits, computed when the SMS is handed to its provider (the outbox keeps the text with a
placeholder) and when the resident enters it. The complaint keeps only when the code expires
and how many wrong codes were entered (`BALAGH_PHONE_CODE_MINUTES`, `…_ATTEMPTS`).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.digits import strip_number
from bot.notifications.message import OutboxMessage
from bot.settings import Settings
from bot.words import N_

CODE_LENGTH: Final = 6
CODE_EVENT: Final = "phone_code"
CODE_PLACEHOLDER: Final = "{code}"
# The custom hint of the dialogue's message asking for a report's code (chat channels check
# the code the user types next: channels/chat.py).
CODE_HINT: Final = "phone_code"
_PURPOSE: Final = b"balagh-phone-code:"


class PhoneCheck(BaseModel):
    """A code sent for a complaint's phone: until when it works, how many wrong tries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expires_at: datetime
    attempts: int = 0


class Proof(StrEnum):
    """What entering a code did."""

    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong codes: this one no longer works
    NOT_NEEDED = "not_needed"  # verified already, or no code was ever sent


# What the resident is told of each outcome (each takes the report's {reference}).
PROOF_WORDS: Final[dict[Proof, str]] = {
    Proof.VERIFIED: N_("phone_code.verified"),
    Proof.WRONG: N_("phone_code.wrong"),
    Proof.EXPIRED: N_("phone_code.expired"),
    Proof.EXHAUSTED: N_("phone_code.exhausted"),
    Proof.NOT_NEEDED: N_("phone_code.not_needed"),
}


@dataclass(frozen=True)
class PhoneCodes:
    secret_key: str
    minutes: int
    attempts: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "PhoneCodes":
        return cls(
            settings.secret_key.get_secret_value(),
            settings.phone_code_minutes,
            settings.phone_code_attempts,
        )

    def code(self, reference: str) -> str:
        digest = hmac.new(self.secret_key.encode(), _PURPOSE + reference.encode(), hashlib.sha256)
        return str(int.from_bytes(digest.digest()[:8], "big") % 10**CODE_LENGTH).zfill(CODE_LENGTH)

    def new_check(self, now: datetime) -> PhoneCheck:
        return PhoneCheck(expires_at=now + timedelta(minutes=self.minutes))

    def matches(self, reference: str, typed: str) -> bool:
        """In any digits (٠-٩ too), spaces and dashes ignored; compared in constant time."""
        return hmac.compare_digest(strip_number(typed).encode(), self.code(reference).encode())

    def fill(self, message: OutboxMessage) -> OutboxMessage:
        """The message as handed to a provider: a code message gets its code."""
        if message.event != CODE_EVENT or message.reference is None:
            return message
        body = message.body.replace(CODE_PLACEHOLDER, self.code(message.reference))
        return message.model_copy(update={"body": body})


def looks_like_code(text: str) -> bool:
    """Six digits (any script, spaces or dashes between) and nothing else."""
    digits = strip_number(text)
    return len(digits) == CODE_LENGTH and digits.isascii() and digits.isdigit()
