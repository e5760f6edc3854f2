"""The Twilio account the service speaks for, and the addresses Twilio is given.

Without `BALAGH_TWILIO_AUTH_TOKEN`, local use signs and fetches with a built-in token and
account (the phone simulator and the tests use them); outside local use there is no token
until the real one is set, so no Twilio webhook is trusted.
"""

from typing import Final

from bot.settings import Settings

LOCAL_AUTH_TOKEN: Final = "local-twilio-auth-token"  # noqa: S105 - only accepted in local use
LOCAL_ACCOUNT_SID: Final = "AC" + "0" * 32


def auth_token(settings: Settings) -> str | None:
    """The token Twilio signs with; the built-in one only in local use."""
    if settings.twilio_auth_token is not None:
        return settings.twilio_auth_token.get_secret_value()
    return LOCAL_AUTH_TOKEN if settings.environment == "local" else None


def account_sid(settings: Settings) -> str:
    return settings.twilio_account_sid or LOCAL_ACCOUNT_SID


def public_url(settings: Settings, path: str, query: str = "") -> str:
    """The address Twilio is given for a path of this service (and so signs)."""
    url = settings.public_base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url
