"""Is this request really from Twilio? `X-Twilio-Signature` checked with twilio-python.

Twilio signs the URL it called, so the check uses BALAGH_PUBLIC_BASE_URL (what Twilio
was given) and not the URL this process sees behind a proxy or TLS terminator.
Shared by every Twilio webhook route.
"""

from fastapi import Request
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


async def genuine_twilio_form(
    request: Request, auth_token: str | None, public_base_url: str
) -> dict[str, str] | None:
    """The form parameters if the signature matches, else None (no token: never genuine)."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not auth_token or not signature:
        return None
    form = await request.form()
    params = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    query = f"?{request.url.query}" if request.url.query else ""
    url = public_base_url.rstrip("/") + request.url.path + query
    if not RequestValidator(auth_token).validate(url, params, signature):
        return None
    return params
