"""A turn sent twice is taken once: a turn Rasa already has gets the answer it had then.

The service sends a turn once more when no dialogue core answered it (channels/dialogue.py):
the replica it reached may have died before saving the turn, or after. The second send
carries the same `turn_id` and says it is `resent`. Rasa handles a message under its
conversation's lock (across replicas, the Redis lock store: a dead replica's ticket expires),
and saves the conversation once, at the end of a turn; so by the time the resent turn is
handled, the first one is either saved whole or not at all. When the conversation holds a user
message with that id, the bot's messages that followed it are sent through the channel again,
as Rasa sent them then, and nothing runs; otherwise the turn is handled as usual. Only a
resent turn is looked up: the others cost nothing more.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
_INSTALLED = "_balagh_resent_turns"


def answer_already_given(tracker: DialogueStateTracker, turn_id: str) -> list[BotUttered] | None:
    """The bot's messages after the user message of `turn_id`, when the tracker has it."""
    said: list[BotUttered] = []
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            said.append(event)
        elif isinstance(event, UserUttered):
            if (event.metadata or {}).get("turn_id") == turn_id:
                return said[::-1]
            said = []  # they answered a later message
    return None


async def answered_again(processor: MessageProcessor, message: UserMessage) -> bool:
    """Whether the message is a resent turn the conversation has: its answer then is sent
    through the message's channel again."""
    metadata = message.metadata or {}
    turn_id = metadata.get("turn_id")
    if not (turn_id and metadata.get("resent")):
        return False
    tracker = await processor.tracker_store.retrieve(message.sender_id)
    said = answer_already_given(tracker, turn_id) if tracker is not None else None
    if said is None:
        return False
    logger.info("turn %s was taken already: its answer is sent again", turn_id)
    for bot in said:
        await message.output_channel.send_response(message.sender_id, bot.message())
    return True


def install() -> None:
    handle = MessageProcessor.handle_message
    if getattr(handle, _INSTALLED, False):
        return

    async def handle_message(self: MessageProcessor, message: UserMessage) -> Any:
        if not await answered_again(self, message):
            return await handle(self, message)
        channel = message.output_channel
        return channel.messages if isinstance(channel, CollectingOutputChannel) else None

    setattr(handle_message, _INSTALLED, True)
    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]
