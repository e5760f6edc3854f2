"""The local outbox for staff, and Twilio's delivery reports."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from bot.api.deps import DeskStaffDep, SettingsDep, StoreDep
from bot.api.errors import ApiError
from bot.notifications.message import (
    DeliveryState,
    InvalidMessageCursor,
    MessageChannel,
    MessageCursor,
    MessageFilter,
    OutboxMessage,
)
from bot.notifications.providers.twilio_messaging import STATUS_CALLBACK_PATH
from bot.notifications.status_callbacks import apply_twilio_status
from bot.store.base import MAX_PAGE_SIZE, Store
from bot.twilio_signature import genuine_twilio_form

router = APIRouter(tags=["notifications"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
CursorToken = Annotated[str | None, Query(max_length=300)]


class OutboxPage(BaseModel):
    items: list[OutboxMessage]
    next_cursor: str | None


async def message_page(
    store: Store, filters: MessageFilter, limit: int, cursor: str | None
) -> OutboxPage:
    try:
        position = MessageCursor.decode(cursor) if cursor else None
    except InvalidMessageCursor as exc:
        raise ApiError(422, "invalid_cursor", str(exc)) from None
    page = await store.list_messages(filters, limit, position)
    return OutboxPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/api/staff/outbox")
async def outbox(
    store: StoreDep,
    _: DeskStaffDep,
    provider: Annotated[str | None, Query(max_length=40)] = None,
    channel: MessageChannel | None = None,
    to: Annotated[str | None, Query(max_length=200)] = None,
    reference: Annotated[str | None, Query(max_length=30)] = None,
    state: DeliveryState | None = None,
    limit: Limit = 50,
    cursor: CursorToken = None,
) -> OutboxPage:
    """Every notification, newest first; `provider=local` is the local outbox (messages
    no account carried, shown in the back office)."""
    filters = MessageFilter(
        provider=provider, channel=channel, to=to, reference=reference, state=state
    )
    return await message_page(store, filters, limit, cursor)


@router.post(STATUS_CALLBACK_PATH, status_code=204)
async def twilio_status(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """Twilio's status callback for a message we sent; a forged one gets 403."""
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    form = await genuine_twilio_form(request, token, settings.public_base_url)
    if form is None:
        raise ApiError(403, "forbidden", "invalid Twilio signature")
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise ApiError(422, "invalid_request", "MessageSid and MessageStatus are required")
    await apply_twilio_status(store, sid, status, form.get("ErrorCode"))
    return Response(status_code=204)
