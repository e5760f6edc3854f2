"""The link a caller gets by SMS after a phone report, to add a photo and a map pin to it.

The phone cannot take a photo or a pin; a phone's browser can. The link is
`{base}/add/{reference}?e={expiry}&t={token}`: the token is an HMAC-SHA256 of the reference and
the expiry under BALAGH_SECRET_KEY (with its own purpose label, so a tracking token cannot pass
for it), so it cannot be forged or stretched. It works until it expires
(`ADD_LINK_LIFETIME`) and once: the first use claims it in the store (`claim_key`).
"""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Final

from bot.notifications.message import OutboxMessage
from bot.types import Language
from bot.words import text

PURPOSE: Final = b"balagh-add-details:"
TOKEN_BYTES: Final = 16
LIFETIME_HOURS: Final = 24
ADD_LINK_LIFETIME: Final = timedelta(hours=LIFETIME_HOURS)
EVENT: Final = "add_link"


def add_token(secret_key: str, reference: str, expires: int) -> str:
    message = PURPOSE + f"{reference}:{expires}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def add_url(public_base_url: str, secret_key: str, reference: str, now: datetime) -> str:
    expires = int((now + ADD_LINK_LIFETIME).timestamp())
    token = add_token(secret_key, reference, expires)
    return f"{public_base_url.rstrip('/')}/add/{reference}?e={expires}&t={token}"


def link_is_valid(secret_key: str, reference: str, expires: int, token: str, now: datetime) -> bool:
    """Signed for this reference and expiry (compared in constant time), and not expired."""
    signed = hmac.compare_digest(add_token(secret_key, reference, expires), token)
    return signed and now.timestamp() < expires


def claim_key(reference: str, token: str) -> str:
    """The store's once-only claim of a link: its first use wins."""
    return f"add-link:{reference}:{token}"


def add_link_sms(
    reference: str, phone: str, language: Language, url: str, now: datetime
) -> OutboxMessage:
    """The SMS with the link, queued in the outbox (one per report, however often offered)."""
    return OutboxMessage(
        id=f"{EVENT}:{reference}",
        channel="sms",
        to=phone,
        event=EVENT,
        language=language,
        reference=reference,
        body=text(
            "sms.add_link", language, "sms", reference=reference, url=url, hours=LIFETIME_HOURS
        ),
        due_at=now,
        created_at=now,
        updated_at=now,
    )
