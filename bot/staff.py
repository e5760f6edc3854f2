"""Staff accounts and their sessions as the store keeps them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.types import Language, Role

USERNAME_PATTERN = r"^[a-z0-9._-]{3,40}$"
Username = Annotated[str, Field(pattern=USERNAME_PATTERN)]


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
    # Where notifications reach them: each notification provider's contact field by its
    # key (bot/notifications/providers/contact.py), set through a checked StaffContact.
    contacts: dict[str, str] = {}
    language: Language = "ar"


class StaffContact(BaseModel):
    """Where a staff member's notifications go, as checked by the providers' contact fields
    (`StaffContacts.contact`): their addresses by field key, and the language they read."""

    model_config = ConfigDict(extra="forbid")

    contacts: dict[str, str] = {}
    language: Language = "ar"


class StaffSession(BaseModel):
    """A login. Only the SHA-256 of the token is stored, so a leaked database opens nothing."""

    model_config = ConfigDict(extra="forbid")

    token_hash: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
