"""Staff authentication: argon2 password hashes and server-side sessions.

The token goes to the browser (cookie) or API client (bearer); the store keeps only
its SHA-256, so sessions can be listed and revoked and a stolen database opens nothing.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.clock import utc_now
from bot.staff import StaffSession, StaffUser
from bot.store.base import Store

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so both failures take the same time.

    Made on first use, not at import: hashing costs a tenth of a second.
    """
    return _hasher.hash("not-a-real-password")


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: StaffSession
    user: StaffUser


class Authenticator:
    def __init__(self, store: Store, idle: timedelta, absolute: timedelta) -> None:
        self.store = store
        self.idle = idle
        self.absolute = absolute

    async def login(self, username: str, password: str) -> IssuedSession | None:
        """A new session for right credentials of an active user, else None."""
        user = await self.store.get_user(username)
        stored_hash = user.password_hash if user else _dummy_hash()
        # argon2 is deliberately slow: keep it off the event loop.
        valid = await asyncio.to_thread(_verify, stored_hash, password)
        if user is None or not user.active or not valid:
            return None
        token = secrets.token_urlsafe(32)
        now = utc_now()
        session = StaffSession(
            token_hash=token_hash(token),
            username=user.username,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.absolute,
        )
        await self.store.insert_session(session)
        return IssuedSession(token, session, user)

    async def resolve(self, token: str) -> StaffUser | None:
        """The user behind a live token; expired or idle sessions are removed."""
        digest = token_hash(token)
        session = await self.store.get_session(digest)
        if session is None:
            return None
        now = utc_now()
        if now >= session.expires_at or now - session.last_seen_at > self.idle:
            await self.store.delete_session(digest)
            return None
        user = await self.store.get_user(session.username)
        if user is None or not user.active:
            return None
        if now - session.last_seen_at > timedelta(minutes=1):
            await self.store.touch_session(digest, now)
        return user

    async def logout(self, token: str) -> None:
        await self.store.delete_session(token_hash(token))
