"""How a webhook delivery is signed, and how a receiver checks it.

    X-Balagh-Timestamp: <unix seconds>
    X-Balagh-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A receiver recomputes the HMAC over the exact bytes it received, compares in constant
time, and refuses timestamps older than a few minutes, so a captured delivery cannot be
replayed later. `X-Balagh-Delivery` (the outbox message id) stays the same on every
retry of one delivery: receivers dedupe on it.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Balagh-Signature"
TIMESTAMP_HEADER = "X-Balagh-Timestamp"
DELIVERY_HEADER = "X-Balagh-Delivery"
EVENT_HEADER = "X-Balagh-Event"
REPLAY_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    now: float,
    tolerance: int = REPLAY_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), signature_header)
