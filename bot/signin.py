"""Staff sign-in, one limiter for the web form and `POST /api/auth/login`.

Attempts are limited per username and per client address (`BALAGH_LOGIN_ATTEMPTS_PER_USER`,
`…_PER_IP`, every 15 minutes). Each attempt is reserved in the store with one atomic
increment before the password is checked, so forty guesses sent at once get at most the
allowance of answers and the rest are refused unchecked. A right password gives its attempt
back: only failures use the allowance, and a member of staff who signs in often is never
locked out by it. Once the allowance is used, even the right password waits for the window.
"""

from dataclasses import dataclass
from datetime import timedelta

from bot.auth import Authenticator, IssuedSession
from bot.ratelimit import Limit, RateLimiter
from bot.settings import Settings
from bot.store.base import Store

LOGIN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class SignInLimited(Exception):
    """Too many attempts for this username or address; try again after `retry_after` s."""

    retry_after: int


def normal_username(username: str) -> str:
    return username.strip().lower()


def login_limits(settings: Settings) -> tuple[Limit, Limit]:
    return (
        Limit("login-user", settings.login_attempts_per_user, LOGIN_WINDOW),
        Limit("login-ip", settings.login_attempts_per_ip, LOGIN_WINDOW),
    )


async def sign_in(
    store: Store,
    auth: Authenticator,
    settings: Settings,
    username: str,
    password: str,
    address: str,
) -> IssuedSession | None:
    """A session for right credentials, None for wrong ones; SignInLimited past the limit."""
    username = normal_username(username)
    per_user, per_ip = login_limits(settings)
    limiter = RateLimiter(store)
    attempts = await limiter.reserve_all((per_user, username), (per_ip, address))
    refused = [attempt for attempt in attempts if not attempt.allowed]
    if refused:
        raise SignInLimited(max(attempt.retry_after_seconds for attempt in refused))
    issued = await auth.login(username, password)
    if issued is not None:
        for attempt in attempts:
            await limiter.refund(attempt)
    return issued
