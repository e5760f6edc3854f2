"""Outbound webhook subscriptions, managed by admins, with each one's delivery log."""

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import AdminDep, SettingsDep, StoreDep
from bot.api.errors import ApiError
from bot.api.notifications import CursorToken, Limit, OutboxPage, message_page
from bot.clock import utc_now
from bot.notifications.message import MessageFilter
from bot.notifications.subscription import RECORD_KIND, WebhookEvent, WebhookSubscription
from bot.notifications.webhook_target import TargetRefused, webhook_targets

router = APIRouter(prefix="/api/staff/webhooks", tags=["webhooks"])
Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=500)]


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    events: tuple[WebhookEvent, ...] = ()
    secret: Annotated[str, Field(min_length=16, max_length=200)] | None = None


class SubscriptionView(BaseModel):
    """A subscription as listed: the secret is shown once, when it is created."""

    id: str
    url: str
    events: tuple[WebhookEvent, ...]
    created_at: datetime
    created_by: str


class CreatedSubscription(SubscriptionView):
    secret: str


@router.post("", status_code=201)
async def create_subscription(
    body: NewSubscription, store: StoreDep, settings: SettingsDep, admin: AdminDep
) -> CreatedSubscription:
    """Without a `secret`, one is generated. Every event is signed with it (see
    bot/notifications/webhook_signature.py)."""
    if settings.environment == "production" and not body.url.startswith("https://"):
        raise ApiError(422, "invalid_url", "webhook URLs must use https")
    try:
        webhook_targets(settings).check_url(body.url)
    except TargetRefused as refused:
        raise ApiError(422, "invalid_url", str(refused)) from None
    subscription = WebhookSubscription(
        id=f"wh_{secrets.token_urlsafe(12)}",
        url=body.url,
        secret=body.secret or secrets.token_urlsafe(32),
        events=body.events,
        created_at=utc_now(),
        created_by=admin.username,
    )
    await store.put_record(RECORD_KIND, subscription.id, subscription)
    return CreatedSubscription.model_validate(subscription.model_dump())


@router.get("")
async def list_subscriptions(store: StoreDep, _: AdminDep) -> list[SubscriptionView]:
    subscriptions = await store.list_records(RECORD_KIND, WebhookSubscription)
    return [SubscriptionView.model_validate(s.model_dump()) for s in subscriptions]


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: Annotated[str, Path(max_length=40)], store: StoreDep, _: AdminDep
) -> Response:
    """Deliveries still queued for it end as failed; its delivery log stays readable."""
    if await store.get_record(RECORD_KIND, subscription_id, WebhookSubscription) is None:
        raise ApiError(404, "not_found", f"no webhook subscription {subscription_id}")
    await store.delete_record(RECORD_KIND, subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries")
async def deliveries(
    subscription_id: Annotated[str, Path(max_length=40)],
    store: StoreDep,
    _: AdminDep,
    limit: Limit = 50,
    cursor: CursorToken = None,
) -> OutboxPage:
    """Every delivery to this subscription, newest first: state, attempts, last error."""
    filters = MessageFilter(channel="webhook", to=subscription_id)
    return await message_page(store, filters, limit, cursor)
