"""Staff accounts and their sessions as the store keeps them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.types import Language, Role

Username = Annotated[str, Field(pattern=r"^[a-z0-9._-]{3,40}$")]


class StaffUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    password_hash: str
    team: str | None = None
    active: bool = True
    created_at: datetime
    # Where notifications reach them (Telegram first, then SMS, else the local outbox).
    phone: str | None = None
    telegram_chat_id: Annotated[str, Field(pattern=r"^-?[0-9]{1,20}$")] | None = None
    language: Language = "ar"


class StaffSession(BaseModel):
    """A login. Only the SHA-256 of the token is stored, so a leaked database opens nothing."""

    model_config = ConfigDict(extra="forbid")

    token_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
