"""Who may see a report (the portal's tracking page, `GET /api/complaints/{reference}`): whoever
holds its proof, either the signed tracking link's token or the last four digits of its phone.

Tries with digits are reserved in the store before they are checked, per client address
(`BALAGH_TRACK_ATTEMPTS_PER_IP` every 10 minutes) and per reference (`…_PER_REFERENCE` an
hour), the portal and the API sharing one count, so guesses sent all at once get no more than
the allowance; a right answer gives its try back. Past either, even the right digits wait.
The token is a 128-bit signature that cannot be guessed: a right one is never held back, a
wrong one counts against the address.
"""

import hmac
from dataclasses import dataclass

from bot.complaint_record import Complaint
from bot.digits import strip_number
from bot.phone import last_four
from bot.ratelimit import RateLimiter, guess_limits
from bot.reference import InvalidReference, parse_reference
from bot.settings import Settings
from bot.store.base import Store
from bot.tracking_link import token_is_valid


@dataclass(frozen=True)
class LookupsLimited(Exception):
    """Too many failed look-ups from this address or of this reference."""

    retry_after: int


async def open_report(
    store: Store,
    settings: Settings,
    reference: str,
    address: str,
    *,
    token: str = "",
    digits: str = "",
) -> Complaint | None:
    """The report if `token` or `digits` proves it, else None (a failure counted);
    LookupsLimited once the digits have been tried too often."""
    per_ip, per_reference = guess_limits(settings)
    limiter = RateLimiter(store)
    try:
        canonical = parse_reference(reference)
    except InvalidReference:
        canonical = ""
    secret = settings.secret_key.get_secret_value()
    if canonical and token and token_is_valid(secret, canonical, token):
        return await store.get_complaint(canonical)
    if not digits:
        await limiter.failed(per_ip, address)
        return None
    keys = [(per_ip, address)] + ([(per_reference, canonical)] if canonical else [])
    tries = await limiter.reserve_all(*keys)
    refused = [attempt for attempt in tries if not attempt.allowed]
    if refused:
        raise LookupsLimited(max(attempt.retry_after_seconds for attempt in refused))
    complaint = await store.get_complaint(canonical) if canonical else None
    if complaint is None or not complaint.phone or not _same(last_four(complaint.phone), digits):
        return None
    for attempt in tries:
        await limiter.refund(attempt)
    return complaint


def _same(expected: str, typed: str) -> bool:
    return hmac.compare_digest(expected.encode(), strip_number(typed).encode())
