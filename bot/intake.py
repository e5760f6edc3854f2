"""Limits on making reports from the web: the portal form, the JSON API and the web chat.

Counted in the store (so they hold across replicas) before the report is made: per client
address (`BALAGH_REPORTS_PER_ADDRESS_PER_HOUR`) and per typed phone number
(`BALAGH_REPORTS_PER_PHONE_PER_DAY`), whatever the channel: nobody can make the service
send one number a code per report without end. A phone the channel proves (caller id,
sender) is its owner reporting and is not counted. Addresses are counted under a keyed
pseudonym (`client_key`), so the store and the dialogue's records never hold a resident's
address.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from bot.phone import InvalidPhone, normalise_phone
from bot.ratelimit import Limit, RateLimiter
from bot.settings import Settings
from bot.store.base import Store


@dataclass(frozen=True)
class ReportsLimited(Exception):
    """Too many reports from this address or for this phone; `retry_after` seconds."""

    retry_after: int


def client_key(secret_key: str, address: str) -> str:
    digest = hmac.new(secret_key.encode(), b"balagh-client:" + address.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


async def admit_report(
    store: Store, settings: Settings, *, client: str | None, typed_phone: str | None
) -> None:
    """Count one report for the client (its `client_key`) and the typed phone; raise
    ReportsLimited past either limit. A phone that is not valid is left to the report's own
    check (it is refused there)."""
    wanted: list[tuple[Limit, str]] = []
    if client:
        per_client = timedelta(hours=1)
        wanted.append(
            (Limit("reports-ip", settings.reports_per_address_per_hour, per_client), client)
        )
    if typed_phone:
        try:
            phone = normalise_phone(typed_phone)
        except InvalidPhone:
            phone = ""
        if phone:
            per_day = Limit("reports-phone", settings.reports_per_phone_per_day, timedelta(days=1))
            wanted.append((per_day, phone))
    counted = await RateLimiter(store).reserve_all(*wanted)
    refused = [reservation for reservation in counted if not reservation.allowed]
    if refused:
        raise ReportsLimited(max(reservation.retry_after_seconds for reservation in refused))
