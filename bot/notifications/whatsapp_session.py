"""WhatsApp's 24-hour customer-service window, per citizen phone number.

Inside the window (the citizen wrote to us in the last 24 hours) a business may send
free text; outside it only a pre-approved template. The WhatsApp channel calls
`note_inbound` for every inbound message; the time is kept in the store, so every
replica and restart sees it.
"""

from datetime import datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.store.base import Store

RECORD_KIND: Final = "whatsapp_contact"
# A little short of 24 hours, so a message still in Twilio's queue does not cross the edge.
SESSION = timedelta(hours=24) - timedelta(minutes=10)


class WhatsAppContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    last_inbound_at: datetime


async def note_inbound(store: Store, phone: str, at: datetime) -> None:
    """Record that the citizen with this E.164 number wrote to us on WhatsApp at `at`."""
    await store.put_record(RECORD_KIND, phone, WhatsAppContact(last_inbound_at=at))


async def in_session(store: Store, phone: str, now: datetime) -> bool:
    contact = await store.get_record(RECORD_KIND, phone, WhatsAppContact)
    return contact is not None and now - contact.last_inbound_at < SESSION
