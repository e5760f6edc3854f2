"""The tracking link sent to a citizen: `{base}/track/{reference}?t={token}`.

The token is an HMAC-SHA256 of the reference under BALAGH_SECRET_KEY (with a purpose
label, so no other signature made with the same key can pass for it), truncated to
128 bits and base64url-encoded. It never expires: a citizen may look a report up
months later. Rotating the secret key invalidates every link already sent.
"""

import base64
import hashlib
import hmac

PURPOSE = b"balagh-track:"
TOKEN_BYTES = 16


def tracking_token(secret_key: str, reference: str) -> str:
    digest = hmac.new(secret_key.encode(), PURPOSE + reference.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def tracking_url(public_base_url: str, secret_key: str, reference: str) -> str:
    token = tracking_token(secret_key, reference)
    return f"{public_base_url.rstrip('/')}/track/{reference}?t={token}"


def token_is_valid(secret_key: str, reference: str, token: str) -> bool:
    """Constant-time comparison, so the token cannot be guessed byte by byte."""
    return hmac.compare_digest(tracking_token(secret_key, reference), token)
