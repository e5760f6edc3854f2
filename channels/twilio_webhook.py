"""The dependency every channel's Twilio webhook (voice, messaging) starts with.

The signature check itself is `bot.twilio_signature` (against `BALAGH_PUBLIC_BASE_URL`); here
it becomes a FastAPI dependency that answers 403 before the store or the dialogue is touched,
and `parse` checks the fields a route uses.
"""

import logging
from collections.abc import Mapping
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from bot.api.deps import SettingsDep
from bot.api.errors import ApiError
from bot.twilio_signature import genuine_twilio_form
from channels.twilio_account import auth_token

log = logging.getLogger(__name__)
Fields = TypeVar("Fields", bound=BaseModel)


async def signed_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The form fields of a request Twilio really sent, or 403."""
    token = auth_token(settings)
    if token is None:
        log.error("refused a Twilio webhook: BALAGH_TWILIO_AUTH_TOKEN is not set")
    form = await genuine_twilio_form(request, token, settings.public_base_url)
    if form is None:
        raise ApiError(403, "bad_signature", "the request is not signed by Twilio")
    return form


TwilioForm = Annotated[dict[str, str], Depends(signed_form)]


def parse(model: type[Fields], form: Mapping[str, str]) -> Fields:
    """The fields a route uses, checked; 422 naming the bad ones (never their values)."""
    try:
        return model.model_validate(form)
    except ValidationError as exc:
        fields = ", ".join(str(error["loc"][0]) for error in exc.errors())
        raise ApiError(422, "invalid_request", f"invalid fields: {fields}") from None
