"""Staff accounts and their sessions as the store keeps them."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from bot.digits import to_ascii_digits
from bot.phone import normalise_phone
from bot.types import Language, Role

USERNAME_PATTERN = r"^[a-z0-9._-]{3,40}$"
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]


def _ascii_digits(value: Any) -> Any:
    return to_ascii_digits(value.strip()) if isinstance(value, str) else value


# A Telegram chat id: digits (Eastern Arabic accepted), negative for groups.
TelegramChatId = Annotated[str, BeforeValidator(_ascii_digits), Field(pattern=r"^-?[0-9]{1,20}$")]


class StaffUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    password_hash: str
    team: str | None = None
    active: bool = True
    created_at: datetime
    # Sessions begun before the password was last set no longer count (bot/auth.py).
    password_set_at: datetime | None = None
    # Where notifications reach them (Telegram first, then SMS, else the local outbox);
    # set through StaffContact, which checks them.
    phone: str | None = None
    telegram_chat_id: TelegramChatId | None = None
    language: Language = "ar"


class StaffContact(BaseModel):
    """Where a staff member's notifications go, as an admin sets it: the phone in any
    digits, local or international, is kept in E.164; None clears a way of reaching them."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, Field(max_length=40)] | None = None
    telegram_chat_id: TelegramChatId | None = None
    language: Language = "ar"

    @field_validator("phone")
    @classmethod
    def _e164(cls, phone: str | None) -> str | None:
        """InvalidPhone is a ValueError, so a bad number is a validation error of `phone`."""
        return normalise_phone(phone) if phone is not None else None


class StaffSession(BaseModel):
    """A login. Only the SHA-256 of the token is stored, so a leaked database opens nothing."""

    model_config = ConfigDict(extra="forbid")

    token_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
