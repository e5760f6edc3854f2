"""A WhatsApp message that cannot be delivered is sent again as an SMS."""

from datetime import datetime

from bot.notifications.message import OutboxMessage


def sms_fallbacks(message: OutboxMessage, now: datetime) -> list[OutboxMessage]:
    """The SMS twin of a failed WhatsApp message (none for other channels).

    Its id is derived from the original's, so a second failure report queues nothing new.
    """
    if message.channel != "whatsapp":
        return []
    return [
        OutboxMessage(
            id=f"{message.id}.sms",
            channel="sms",
            to=message.to,
            event=message.event,
            language=message.language,
            reference=message.reference,
            body=message.body,
            due_at=now,
            created_at=now,
            updated_at=now,
        )
    ]
