"""A webhook subscription: another municipal system that wants every complaint event."""

from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

WebhookEvent = Literal[
    "complaint.created",
    "complaint.status_changed",
    "complaint.assigned",
    "complaint.sla_breached",
    "complaint.rated",
]
RECORD_KIND: Final = "webhook"


class WebhookSubscription(BaseModel):
    """`events` empty means every event. The secret signs each delivery (HMAC-SHA256)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    url: Annotated[str, Field(max_length=500)]
    secret: Annotated[str, Field(min_length=16, max_length=200)]
    events: tuple[WebhookEvent, ...] = ()
    created_at: datetime
    created_by: str

    def wants(self, event: WebhookEvent) -> bool:
        return not self.events or event in self.events
