"""One chat turn, the same on WhatsApp, SMS, Telegram and the web chat.

A conversation remembers, in the store so every replica shares it:
- the buttons of the last bot message shown, so a reply "2", "٢" or an option's own words
  selects that option (WhatsApp and SMS show menus as numbered lists);
- its language, for the few things channels say themselves;
- the photos and location sent while the dialogue core was down: nothing the user sent is
  lost, it travels with their next message;
- the report whose phone awaits its code (bot/phone_check.py): six digits typed then are
  that code, checked here without the dialogue.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from bot.clock import utc_now
from bot.phone_check import CODE_HINT, Proof, looks_like_code
from bot.services import Services
from bot.types import Language
from channels.chat_texts import DEFAULT_LANGUAGE, say, script_language
from channels.dialogue import BotMessage, Button, DialogueClient, DialogueUnavailable, Metadata
from channels.handoff import record_handoff
from channels.rendering import chosen_payload

log = logging.getLogger(__name__)
RECORD_KIND: Final = "chat_conversation"
MAX_KEPT_MEDIA: Final = 10
# The dialogue starts a new session after 30 minutes of silence (domain.yml); a menu shown
# before that no longer stands.
MENU_LIFETIME: Final = timedelta(minutes=30)


class ChatState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: Language = DEFAULT_LANGUAGE
    buttons: tuple[Button, ...] = ()
    kept_media: list[dict[str, Any]] = []
    kept_location: dict[str, Any] | None = None
    updated_at: datetime | None = None
    awaiting_code: str | None = None  # the reference whose phone code the user may type

    def menu_open(self, now: datetime) -> bool:
        """Whether the last menu shown is still the one the user is answering."""
        recent = self.updated_at is not None and now - self.updated_at < MENU_LIFETIME
        return bool(self.buttons) and recent


@dataclass(frozen=True)
class ChatReply:
    messages: list[BotMessage]
    language: Language


def _asks_code(message: BotMessage) -> bool:
    """The dialogue's hint that it asked for the code of a report just made."""
    hint = message.custom.get(CODE_HINT)
    return isinstance(hint, Mapping) and isinstance(hint.get("reference"), str)


def shown(messages: list[BotMessage]) -> list[BotMessage]:
    """The messages a user sees; custom-only messages are hints for channels."""
    return [message for message in messages if message.text or message.buttons or message.image]


class ChatTurns:
    def __init__(
        self,
        services: Services,
        dialogue: DialogueClient,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.services = services
        self.store = services.store
        self.dialogue = dialogue
        self.clock = clock

    async def state(self, conversation_id: str) -> ChatState:
        found = await self.store.get_record(RECORD_KIND, conversation_id, ChatState)
        return found or ChatState()

    async def take(self, conversation_id: str, text: str, metadata: Metadata) -> ChatReply:
        """Send the user's message (or the payload of the option it names) to the dialogue.

        `conversation_id` is the dialogue's sender id: the channel and the platform's id of
        the user or chat (`whatsapp:+9665…`, `telegram:12345`, `webchat:<session>`).
        """
        state = await self.state(conversation_id)
        now = self.clock()
        language = script_language(text) or metadata.language or state.language
        if state.awaiting_code and looks_like_code(text):
            return await self.check_code(conversation_id, state, text, language)
        payload = chosen_payload(text, state.buttons) if state.menu_open(now) else None
        metadata = metadata.model_copy(
            update={
                "language": language,
                "media": [*state.kept_media, *metadata.media][-MAX_KEPT_MEDIA:],
                "location": metadata.location or state.kept_location,
            }
        )
        try:
            messages = await self.dialogue.send(conversation_id, payload or text, metadata)
        except DialogueUnavailable as exc:
            log.warning("dialogue unavailable for %s: %s", conversation_id, exc)
            kept = state.model_copy(
                update={
                    "language": language,
                    "kept_media": metadata.media,
                    "kept_location": metadata.location,
                    "updated_at": now,
                }
            )
            await self.store.put_record(RECORD_KIND, conversation_id, kept)
            return ChatReply([BotMessage(text=say("dialogue_down", language))], language)

        visible = shown(messages)
        replied_in = script_language(" ".join(message.text for message in visible))
        language = replied_in or language
        buttons = visible[-1].buttons if visible else state.buttons
        asked = [m.custom[CODE_HINT].get("reference") for m in messages if _asks_code(m)]
        await self.store.put_record(
            RECORD_KIND,
            conversation_id,
            ChatState(
                language=language,
                buttons=buttons,
                updated_at=now,
                awaiting_code=asked[-1] if asked else state.awaiting_code,
            ),
        )
        for message in messages:
            hint = message.custom.get("handoff")
            if isinstance(hint, Mapping):
                await record_handoff(
                    self.services,
                    metadata.channel,
                    conversation_id,
                    hint,
                    metadata.phone,
                    metadata.message_id or now.isoformat(),
                    now,
                )
        return ChatReply(messages, language)

    async def check_code(
        self, conversation_id: str, state: ChatState, text: str, language: Language
    ) -> ChatReply:
        """The code of the report waiting for one; asked no more once it is settled."""
        assert state.awaiting_code is not None
        proof = await self.services.complaints.verify_phone(state.awaiting_code, text)
        if proof is not Proof.WRONG:
            settled = state.model_copy(update={"awaiting_code": None})
            await self.store.put_record(RECORD_KIND, conversation_id, settled)
        answer = say(f"code_{proof.value}", language, reference=state.awaiting_code)
        return ChatReply([BotMessage(text=answer)], language)
