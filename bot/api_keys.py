"""API keys for the municipality's other systems (Open311 clients), managed by admins.

A key is `b940_<id>_<secret>`: the id finds the record, the secret is checked against its
SHA-256 (keys are long random strings, so a fast hash is enough — unlike passwords).
The plain key is shown once when created and never stored.

Every key may create service requests. A `partner` key (another municipal system that works
the reports) also reads what residents wrote and exactly where; without one, Open311 shows
only service, status, dates, district and a location rounded to about 100 m.
"""

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.clock import utc_now
from bot.store.base import Store

PREFIX = "b940"
KeyRole = Literal["reporter", "partner"]


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str
    key_hash: str
    name: Annotated[str, Field(min_length=1, max_length=100)]
    created_by: str
    created_at: datetime
    active: bool = True
    role: KeyRole = "reporter"  # keys issued before roles existed could only report


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    store: Store, name: str, created_by: str, role: KeyRole = "reporter"
) -> tuple[str, ApiKey]:
    """A new key: the plain text to show once, and the record that is kept."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(
        key_id=key_id,
        key_hash=_digest(secret),
        name=name,
        created_by=created_by,
        created_at=utc_now(),
        role=role,
    )
    await store.put_record("api_key", key_id, key)
    return f"{PREFIX}_{key_id}_{secret}", key


async def list_api_keys(store: Store) -> list[ApiKey]:
    return await store.list_records("api_key", ApiKey)


async def revoke_api_key(store: Store, key_id: str) -> bool:
    """Deactivate a key (kept, so the list still shows who had one); False if unknown."""
    key = await store.get_record("api_key", key_id, ApiKey)
    if key is None:
        return False
    await store.put_record("api_key", key_id, key.model_copy(update={"active": False}))
    return True


async def check_api_key(store: Store, plain: str) -> ApiKey | None:
    """The active key this plain text is, else None."""
    prefix, _, rest = plain.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id.isalnum() or not secret:
        return None
    key = await store.get_record("api_key", key_id, ApiKey)
    if key is None or not key.active:
        return None
    return key if hmac.compare_digest(key.key_hash, _digest(secret)) else None
