"""One chat turn, the same on every chat channel: what happens between `parse` and `send`.

A channel (channels/chat_channel.py) reads its platform's request into `Inbound` messages;
here, once for all of them:
- a message the platform sends again (same message id) is claimed in the store once, so a
  retry never becomes a second turn or a second reply;
- a single digit answering a notification's question goes to the notifications
  (`bot.notifications.replies`), unless a menu shown in the last 30 minutes is open;
- the conversation's state, in the store so every replica shares it: the buttons last shown
  (so "2", "٢" or an option's own words select it: WhatsApp and SMS show menus as numbered
  lists), its language, and the photos and location sent while the dialogue core was down
  (nothing the user sent is lost: it travels with their next message), and the report whose
  phone awaits its code (bot/phone_check.py): six digits typed then are that code, checked
  here without the dialogue;
- a hand-off the dialogue asks for is kept and staff are alerted
  (`bot.notifications.handoff`);
- a turn the dialogue leaves without an answer (an action it could not run) gets an apology,
  and is logged: never silence.
- every turn is recorded on the resident's conversation for the agent inbox
  (channels/inbox.py); while an employee has it, the resident's messages go to them and the
  bot, paused, says nothing; after an employee closed it, a 1–5 answer is its rating.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.clock import utc_now
from bot.complaints import ComplaintService
from bot.conversations import RATINGS
from bot.digits import to_ascii_digits
from bot.languages import script_language
from bot.notifications.handoff import request_handoff
from bot.notifications.providers.contact import StaffContacts
from bot.notifications.replies import answer_question
from bot.phone_check import CODE_HINT, PROOF_WORDS, Proof, looks_like_code
from bot.platforms import Platforms
from bot.types import LANGUAGES, Language
from bot.words import N_, Medium, text
from channels.chat_channel import ChatChannel, Inbound, Reply
from channels.dialogue import BotMessage, Button, DialogueClient, DialogueUnavailable, Metadata
from channels.inbox import RATING_PAYLOAD, Inbox
from channels.rendering import chosen_payload

log = logging.getLogger(__name__)
RECORD_KIND: Final = "chat_conversation"
MAX_KEPT_MEDIA: Final = 10
# The dialogue starts a new session after 30 minutes of silence (domain.yml); a menu shown
# before that no longer stands.
MENU_LIFETIME: Final = timedelta(minutes=30)
DEFAULT_LANGUAGE: Final[Language] = LANGUAGES[0]


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


def _asks_code(message: BotMessage) -> bool:
    """The dialogue's hint that it asked for the code of a report just made."""
    hint = message.custom.get(CODE_HINT)
    return isinstance(hint, Mapping) and isinstance(hint.get("reference"), str)


class Chats:
    """Every chat channel's messages, from the platform's request to the platform's reply."""

    def __init__(
        self,
        platforms: Platforms,
        dialogue: DialogueClient,
        complaints: ComplaintService,
        catalogue: Catalogue,
        channels: ChannelDirectory,
        staff_contacts: StaffContacts,
        inbox: Inbox,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.platforms = platforms
        self.store = platforms.store
        self.dialogue = dialogue
        self.complaints = complaints
        self.catalogue = catalogue
        self.channels = channels
        self.staff_contacts = staff_contacts
        self.inbox = inbox
        self.clock = clock

    async def state(self, conversation_id: str) -> ChatState:
        found = await self.store.get_record(RECORD_KIND, conversation_id, ChatState)
        return found or ChatState()

    async def handle(self, channel: ChatChannel[Any], inbound: Inbound) -> None:
        """Answer one message through its channel, once per platform message id (a message
        without one comes on a live connection, the web chat's, and is never sent again)."""
        key = f"{inbound.channel}:message:{inbound.message_id}" if inbound.message_id else None
        if key is not None and not (await self.store.claim_inbound(key, self.clock())).first:
            log.info("%s sent %s again; already handled", inbound.channel, inbound.message_id)
            return
        await channel.send(inbound, await self.answer(channel, inbound), self.platforms)
        if key is not None:
            await self.store.complete_inbound(key, "answered")

    async def answer(self, channel: ChatChannel[Any], inbound: Inbound) -> Reply:
        """The reply to one message, whoever has the conversation; recorded on it."""
        conversation = await self.inbox.find(inbound)
        state = await self.state(inbound.conversation_id)
        said = shown_words(inbound, state.buttons)
        if conversation is not None and conversation.desk.state == "assigned":
            return await self.inbox.to_employee(inbound, said, conversation)
        if conversation is not None and conversation.desk.rating_asked:
            rating = rating_in(inbound.text)
            if rating is not None:
                return await self.inbox.rated(inbound, said, rating, conversation)
            await self.inbox.not_rated(conversation)
        reply = await self.reply(channel, inbound, state)
        await self.inbox.record(channel, inbound, said, reply)
        return reply

    async def reply(self, channel: ChatChannel[Any], inbound: Inbound, state: ChatState) -> Reply:
        """The notices and dialogue messages that answer one message."""
        now = self.clock()
        medium = self.channels.medium(inbound.channel)
        language = script_language(inbound.text) or inbound.language or state.language
        limit = max(1, round(self.platforms.settings.max_upload_bytes / 1_048_576))
        notices = tuple(text(key, language, medium, limit=limit) for key in inbound.notices)
        if state.awaiting_code and looks_like_code(inbound.text):
            return await self.check_code(inbound, state, language, medium, notices)
        menu_open = state.menu_open(now)
        if inbound.text and not (menu_open or inbound.media or inbound.location):
            answered = await self.answer_question(inbound, language, medium)
            if answered is not None:
                return Reply(language, (*notices, answered) if answered else notices)
        if inbound.option is not None:
            if not 1 <= inbound.option <= len(state.buttons):
                return Reply(state.language, (text("chat.menu_expired", language, medium),))
            payload: str | None = state.buttons[inbound.option - 1].payload
        else:
            payload = chosen_payload(inbound.text, state.buttons) if menu_open else None
        if not (payload or inbound.for_dialogue):
            return Reply(language, notices or (text("chat.message_unsupported", language, medium),))
        message = payload or inbound.text
        return await self.turn(channel, inbound, message, state, language, medium, notices)

    async def turn(
        self,
        channel: ChatChannel[Any],
        inbound: Inbound,
        message: str,
        state: ChatState,
        language: Language,
        medium: Medium,
        notices: tuple[str, ...],
    ) -> Reply:
        """One dialogue turn; the state remembers what it showed."""
        now = self.clock()
        metadata = Metadata(
            channel=inbound.channel,
            language=language,
            phone=inbound.phone,
            location=inbound.location or state.kept_location,
            media=[
                *state.kept_media,
                *(attachment.model_dump() for attachment in inbound.media),
            ][-MAX_KEPT_MEDIA:],
            message_id=inbound.message_id,
            sources=inbound.sources,
            client=inbound.client,
        )
        conversation_id = inbound.conversation_id
        try:
            messages = await self.dialogue.send(conversation_id, message, metadata, medium)
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
            down = BotMessage(text=text(N_("chat.dialogue_down"), language, medium))
            return Reply(language, notices, (down,))
        if not Reply(language, (), tuple(messages)).shown:
            # a turn the dialogue left without an answer (an action call that failed): never
            # silence; the menu the user was answering stays open
            log.error("no answer from the dialogue to %s's message %s", conversation_id, message)
            sorry = text(N_("chat.no_answer"), language, medium)
            messages = [*messages, BotMessage(text=sorry, buttons=state.buttons)]
        visible = Reply(language, notices, tuple(messages)).shown
        language = script_language(" ".join(m.text for m in visible)) or language
        buttons = visible[-1].buttons if visible else state.buttons
        asked = [m.custom[CODE_HINT].get("reference") for m in messages if _asks_code(m)]
        kept = ChatState(
            language=language,
            buttons=buttons,
            updated_at=now,
            awaiting_code=asked[-1] if asked else state.awaiting_code,
        )
        await self.store.put_record(RECORD_KIND, conversation_id, kept)
        told = await self.handoffs(channel, inbound, language, messages, now)
        return Reply(language, notices, (*messages, *told))

    async def handoffs(
        self,
        channel: ChatChannel[Any],
        inbound: Inbound,
        language: Language,
        messages: list[BotMessage],
        now: datetime,
    ) -> list[BotMessage]:
        """Staff alerted and the conversation queued for an employee; what the resident is
        told of the wait."""
        told = []
        for message in messages:
            hint = message.custom.get("handoff")
            if isinstance(hint, Mapping):
                await request_handoff(
                    self.store,
                    self.catalogue,
                    self.channels,
                    self.staff_contacts,
                    self.platforms.settings.public_base_url,
                    hint,
                    channel=inbound.channel,
                    conversation_id=inbound.conversation_id,
                    phone=inbound.phone,
                    request_id=inbound.message_id or now.isoformat(),
                    now=now,
                )
                wait = await self.inbox.queue(channel, inbound, language, hint)
                told += [wait] if wait else []
        return told

    async def answer_question(
        self, inbound: Inbound, language: Language, medium: Medium
    ) -> str | None:
        """A notification's question answered: by the channel's contact of the sender where
        notifications reach them on it (a Telegram chat), else by their phone."""
        info = self.channels.get(inbound.channel)
        contact = (info.notify_via, inbound.user) if info and info.contact_source else None
        return await answer_question(
            self.complaints,
            inbound.text,
            language,
            medium,
            phone=inbound.phone,
            contact=contact,
        )

    async def check_code(
        self,
        inbound: Inbound,
        state: ChatState,
        language: Language,
        medium: Medium,
        notices: tuple[str, ...],
    ) -> Reply:
        """The code of the report waiting for one; asked no more once it is settled."""
        assert state.awaiting_code is not None
        proof = await self.complaints.verify_phone(state.awaiting_code, inbound.text)
        if proof is not Proof.WRONG:
            settled = state.model_copy(update={"awaiting_code": None})
            await self.store.put_record(RECORD_KIND, inbound.conversation_id, settled)
        answer = text(PROOF_WORDS[proof], language, medium, reference=state.awaiting_code)
        return Reply(language, (*notices, answer))


def shown_words(inbound: Inbound, buttons: tuple[Button, ...]) -> str:
    """What the resident sent as they saw it: a tapped option's title, else their words."""
    if inbound.option is not None and 1 <= inbound.option <= len(buttons):
        return buttons[inbound.option - 1].title
    tapped = [button.title for button in buttons if button.payload == inbound.text]
    return tapped[0] if tapped else inbound.text


def rating_in(words: str) -> int | None:
    """A rating from 1 to 5: a rating button's payload, or the number typed (any digits)."""
    answer = to_ascii_digits(words.removeprefix(RATING_PAYLOAD)).strip().rstrip(".)")
    return int(answer) if answer.isdigit() and int(answer) in RATINGS else None
