"""The Twilio Messages API, shared by the SMS and WhatsApp providers.

twilio-python's own async client (aiohttp underneath) does the HTTP; only its API base
URL is configurable, so tests point it at a local fake Twilio. That client applies no
timeout of its own, so every call here is bounded (channels send replies with it too).
"""

import asyncio
from datetime import datetime, timedelta

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from bot.notifications.message import DeliveryState
from bot.notifications.providers.base import Accepted, Rejected, RetryLater

STATUS_CALLBACK_PATH = "/api/notifications/twilio/status"
# Twilio's message statuses as the outbox keeps them; the early ones all mean "queued".
TWILIO_STATES: dict[str, DeliveryState] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
# How far back a lookup for an attempt in doubt reaches before the message was queued.
CLOCK_SKEW = timedelta(minutes=2)
LOOKUP_LIMIT = 50


class TwilioMessaging:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base_url: str,
        status_callback_url: str,
        timeout_seconds: float,
    ) -> None:
        self.credentials = (account_sid, auth_token)  # also what fetches the account's media
        self._http = AsyncTwilioHttpClient()
        self._timeout = timeout_seconds
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._client.api.base_url = api_base_url.rstrip("/")
        self._status_callback_url = status_callback_url

    async def create(
        self,
        *,
        to: str,
        from_: str,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: str | None = None,
        status_callback: str | None = None,
    ) -> Accepted:
        """Create one outbound message; failures become RetryLater or Rejected. Twilio
        reports its delivery to `status_callback` (the client's default when None)."""
        content = (
            {"content_sid": content_sid, "content_variables": content_variables}
            if content_sid
            else {"body": body}
        )
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._client.messages.create_async(
                    to=to,
                    from_=from_,
                    status_callback=status_callback or self._status_callback_url,
                    **content,
                )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _failure(exc.status, str(exc)) from exc
        except aiohttp.ClientConnectorError as exc:
            raise RetryLater(f"cannot reach Twilio: {exc}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryLater(f"no answer from Twilio: {exc!r}", in_doubt=True) from exc
        return Accepted(str(message.sid), TWILIO_STATES.get(str(message.status), "queued"))

    async def sids_sent(self, *, to: str, from_: str, body: str, since: datetime) -> list[str]:
        """Messages Twilio already has to `to` with this exact body, created after `since`."""
        try:
            async with asyncio.timeout(self._timeout):
                messages = await self._client.messages.list_async(
                    to=to, from_=from_, limit=LOOKUP_LIMIT
                )
        except (TwilioRestException, TwilioServiceException) as exc:
            raise RetryLater(f"cannot look up earlier attempts: {exc}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryLater(f"cannot look up earlier attempts: {exc!r}") from exc
        earliest = since - CLOCK_SKEW
        return [
            str(message.sid)
            for message in messages
            if message.body == body
            and message.date_created is not None
            and message.date_created >= earliest
        ]

    async def close(self) -> None:
        await self._http.close()


def _failure(status: int, reason: str) -> RetryLater | Rejected:
    """429: rate limited before acting. 5xx: Twilio may have acted. Other 4xx: final."""
    if status == 429:
        return RetryLater(reason)
    if status >= 500:
        return RetryLater(reason, in_doubt=True)
    return Rejected(reason)
