"""The live agent inbox on the channels' side: employees talk with residents on their own
channel (the back office's page is bot/web/inbox.py).

The chat path (channels/chat.py) records every turn here, whatever the channel: the
resident's words, photos and location, the bot's messages with their buttons as shown. A
hand-off the dialogue asks for queues the conversation and tells the resident the expected
wait. An employee takes it (one only: the desk's version check), and from then on Rasa's
conversation is paused with its own `pause` event, the resident's messages go to the
employee, and the employee's go out through the channel's `push` (WhatsApp's 24-hour rule is
the channel's). Handing back or closing resumes it; closing asks the resident for a rating.

Every change is announced on `Live` (the staff pages' socket), which only says what changed;
the pages read the rest themselves, with their own permissions.
"""

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, Protocol

from bot.clock import utc_now
from bot.complaint_record import Attachment, Location
from bot.complaints import (
    MAX_ATTACHMENTS,
    Actor,
    ComplaintNotFound,
    ComplaintService,
    NewComplaint,
)
from bot.conversations import (
    OPEN_STATES,
    RATINGS,
    TRANSCRIPT_SHOWN,
    Contact,
    Conversation,
    Delivery,
    Desk,
    TranscriptEntry,
    expected_wait,
)
from bot.platforms import Platforms
from bot.staff import StaffUser
from bot.types import Language, Role
from bot.words import N_, Medium, text
from channels.chat_channel import ChatChannel, Inbound, NotDelivered, Reply
from channels.dialogue import BotMessage, Button, DialogueClient, DialogueUnavailable, Metadata

log = logging.getLogger(__name__)
SUPERVISORS: Final = (Role.SUPERVISOR, Role.ADMIN)
RATING_PAYLOAD: Final = "/rate_conversation"  # "/rate_conversation 4": the resident's rating
RECENT_TAKES: Final = 20  # taken conversations whose waits make the expected wait
QUEUE_COUNTED: Final = 1000  # a resident further back in line is told the wait of this place
Outcome = Literal["done", "conflict", "not_found", "forbidden", "not_delivered"]


class Live(Protocol):
    """Where staff pages hear that something changed (bot/web/inbox_live.py)."""

    async def changed(self, conversation: Conversation) -> None:
        """Its state, assignee or place in the lists changed."""

    async def said(self, conversation: Conversation) -> None:
        """Its transcript grew (or a delivery report came)."""

    async def typing(self, conversation: Conversation) -> None:
        """The resident is typing (where the platform says so)."""


class Inbox:
    def __init__(
        self,
        platforms: Platforms,
        dialogue: DialogueClient,
        complaints: ComplaintService,
        channels: Mapping[str, ChatChannel[Any]],
        media: Callable[[str], Medium],
        live: Live,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.platforms = platforms
        self.store = platforms.store
        self.dialogue = dialogue
        self.complaints = complaints
        self.channels = channels  # the chat channels by the code of each ChannelInfo
        self.medium = media
        self.live = live
        self.clock = clock

    # What the chat path records.

    async def find(self, inbound: Inbound) -> Conversation | None:
        return await self.store.find_conversation(inbound.conversation_id)

    async def record(
        self,
        channel: ChatChannel[Any],
        inbound: Inbound,
        said: str,
        reply: Reply,
    ) -> Conversation:
        """The resident's message and what they were answered, on their conversation."""
        now = self.clock()
        entries = [resident_entry(inbound, said, now)] if said or inbound.for_dialogue else []
        entries += [bot_entry(notice, now) for notice in reply.notices]
        entries += [
            TranscriptEntry(
                at=now,
                author="bot",
                text=message.text,
                buttons=tuple(button.title for button in message.buttons),
            )
            for message in reply.shown
        ]
        conversation = await self.store.record_conversation(
            self.started(channel, inbound, reply.language, now), entries
        )
        if conversation.desk.state in OPEN_STATES:
            await self.live.said(conversation)
        return conversation

    def started(
        self, channel: ChatChannel[Any], inbound: Inbound, language: Language, now: datetime
    ) -> Conversation:
        """The conversation as it starts; a stored one keeps its id and desk."""
        contact = Contact(
            key=inbound.conversation_id,
            channel=inbound.channel,
            user=inbound.user,
            language=language,
            phone=inbound.phone,
            reach=channel.reach(inbound),
            last_resident_at=now,
        )
        return Conversation(
            id=secrets.token_urlsafe(12), contact=contact, created_at=now, updated_at=now
        )

    async def queue(
        self,
        channel: ChatChannel[Any],
        inbound: Inbound,
        language: Language,
        hint: Mapping[str, Any],
    ) -> BotMessage | None:
        """The dialogue handed the conversation over: it waits for an employee. What the
        resident is told about the wait (the dialogue itself says when the office is shut)."""
        now = self.clock()
        conversation = await self.find(inbound) or await self.store.record_conversation(
            self.started(channel, inbound, language, now), []
        )
        if conversation.desk.state in OPEN_STATES:
            return None  # asked again while waiting or talking: nothing changes
        summary = hint.get("summary")
        desk = Desk(
            state="queued",
            reason=str(hint.get("reason") or "requested"),
            summary=dict(summary) if isinstance(summary, Mapping) else {},
            available=hint.get("available") is not False,
            queued_at=now,
        )
        queued = await self.store.update_desk(conversation.id, desk, conversation.version, now)
        if queued is None:
            return None
        await self.live.changed(queued)
        if not desk.available:
            return None
        waiting = await self.store.list_conversations(["queued"], QUEUE_COUNTED)
        minutes = await self.expected_minutes(len(waiting))
        words = text(
            "inbox.resident.queued", language, self.medium(inbound.channel), minutes=minutes
        )
        return BotMessage(text=words)

    async def expected_minutes(self, position: int) -> int:
        taken = await self.store.list_conversations(["assigned"], RECENT_TAKES)
        waits = [
            c.desk.assigned_at - c.desk.queued_at
            for c in taken
            if c.desk.assigned_at and c.desk.queued_at
        ]
        return max(1, round(expected_wait(waits, position).total_seconds() / 60))

    async def to_employee(self, inbound: Inbound, said: str, conversation: Conversation) -> Reply:
        """A message while an employee has the conversation: Rasa records it and, paused,
        answers nothing; the employee reads it. Only the channel's notices go back."""
        now = self.clock()
        try:
            spoken = await self.dialogue.send(
                conversation.contact.key,
                said or inbound.text,
                metadata_for(inbound, conversation.contact.language),
                self.medium(inbound.channel),
            )
            if spoken:  # a new dialogue session began: it is not paused; pause it again
                log.warning("dialogue answered a paused conversation; pausing it again")
                await self.dialogue.pause(conversation.contact.key)
        except DialogueUnavailable as exc:
            log.warning("dialogue did not record a message to an employee: %s", exc)
        language = conversation.contact.language
        notices = tuple(
            text(key, language, self.medium(inbound.channel)) for key in inbound.notices
        )
        entries = [resident_entry(inbound, said, now), *(bot_entry(n, now) for n in notices)]
        channel = self.channels[inbound.channel]
        stored = await self.store.record_conversation(
            self.started(channel, inbound, language, now), entries
        )
        await self.live.said(stored)
        return Reply(language, notices)

    async def rated(
        self, inbound: Inbound, said: str, rating: int, conversation: Conversation
    ) -> Reply:
        """The resident's 1–5 rating of the conversation an employee closed."""
        now = self.clock()
        language = conversation.contact.language
        thanks = text("inbox.resident.rating_thanks", language, self.medium(inbound.channel))
        rated = conversation.desk.model_copy(update={"rating": rating, "rating_asked": False})
        await self.store.update_desk(conversation.id, rated, conversation.version, now)
        entries = [resident_entry(inbound, said, now), bot_entry(thanks, now)]
        await self.store.append_transcript(conversation.id, entries)
        return Reply(language, (), (BotMessage(text=thanks),))

    async def not_rated(self, conversation: Conversation) -> None:
        """The resident wrote something else: the rating question no longer stands."""
        unasked = conversation.desk.model_copy(update={"rating_asked": False})
        await self.store.update_desk(conversation.id, unasked, conversation.version, self.clock())

    async def typing(self, key: str) -> None:
        """The resident of the conversation `key` is typing (where the platform says so)."""
        conversation = await self.store.find_conversation(key)
        if conversation is not None and conversation.desk.state in OPEN_STATES:
            await self.live.typing(conversation)

    async def employee_typing(self, conversation_id: str, username: str) -> None:
        """The employee who has the conversation is writing: the resident sees it where their
        platform shows it."""
        found = await self.store.get_conversation(conversation_id)
        if found is None or found.desk.state != "assigned" or found.desk.assignee != username:
            return
        contact = found.contact
        channel = self.channels.get(contact.channel)
        if channel is not None:
            await channel.typing(self.addressed(found), self.platforms)

    async def delivered(self, provider_id: str, delivery: Delivery) -> None:
        """A platform's delivery report of a message an employee sent."""
        conversation_id = await self.store.note_delivery(provider_id, delivery)
        conversation = conversation_id and await self.store.get_conversation(conversation_id)
        if conversation:
            await self.live.said(conversation)

    # What employees do.

    async def take(self, conversation_id: str, user: StaffUser) -> Outcome:
        """The first employee to take a waiting conversation has it."""
        found = await self.store.get_conversation(conversation_id)
        if found is None:
            return "not_found"
        if found.desk.state != "queued":
            return "conflict"
        now = self.clock()
        desk = found.desk.model_copy(
            update={"state": "assigned", "assignee": user.username, "assigned_at": now}
        )
        return await self.hand_to(found, desk, user, user.display_name)

    async def reassign(self, conversation_id: str, user: StaffUser, to: StaffUser) -> Outcome:
        """A supervisor gives an open conversation to another employee."""
        found = await self.store.get_conversation(conversation_id)
        if found is None:
            return "not_found"
        if user.role not in SUPERVISORS:
            return "forbidden"
        if found.desk.state not in OPEN_STATES:
            return "conflict"
        now = self.clock()
        desk = found.desk.model_copy(
            update={
                "state": "assigned",
                "assignee": to.username,
                "assigned_at": found.desk.assigned_at or now,
            }
        )
        return await self.hand_to(found, desk, user, to.display_name)

    async def hand_to(self, found: Conversation, desk: Desk, user: StaffUser, name: str) -> Outcome:
        """The conversation to `desk.assignee`, the bot paused; the resident hears who."""
        now = self.clock()
        assigned = await self.store.update_desk(found.id, desk, found.version, now)
        if assigned is None:
            return "conflict"
        if found.desk.state != "assigned":
            await self.set_bot_paused(found, paused=True)
        await self.note(assigned, user, f"→ {desk.assignee}")
        await self.tell(assigned, N_("inbox.resident.joined"), {"name": name})
        await self.live.changed(assigned)
        return "done"

    async def write(
        self,
        conversation_id: str,
        user: StaffUser,
        words: str,
        photos: Sequence[tuple[Attachment, str]] = (),
    ) -> Outcome:
        """The employee's message (and photos with the address the resident's platform
        fetches them from), on the resident's channel and in the transcript."""
        found = await self.store.get_conversation(conversation_id)
        if found is None:
            return "not_found"
        if found.desk.state != "assigned" or found.desk.assignee != user.username:
            return "forbidden"
        messages = [BotMessage(text=words)] if words.strip() else []
        messages += [BotMessage(image=url) for _, url in photos]
        try:
            sent = await self.push(found, tuple(messages))
        except NotDelivered as refused:
            await self.note(found, user, text(refused.reason, "en"))
            return "not_delivered"
        now = self.clock()
        entry = TranscriptEntry(
            at=now,
            author="agent",
            text=words,
            media=tuple(photo for photo, _ in photos),
            agent=user.username,
            provider_id=sent,
            delivery="queued" if sent else None,
        )
        await self.store.append_transcript(found.id, [entry])
        if found.desk.first_response_at is None:
            answered = found.desk.model_copy(update={"first_response_at": now})
            await self.store.update_desk(found.id, answered, found.version, now)
        await self.live.said(found)
        return "done"

    async def file_complaint(
        self, conversation_id: str, user: StaffUser, actor: Actor, report: Mapping[str, Any]
    ) -> str | None:
        """A complaint from the conversation: what the employee confirmed of what the bot
        gathered (`report`: description, category, district), with the resident's phone,
        photos and last location; its reference, None when they may not."""
        found = await self.store.get_conversation(conversation_id)
        if found is None or not self.handles(found, user):
            return None
        entries = await self.store.transcript(found.id, TRANSCRIPT_SHOWN)
        said = [entry for entry in entries if entry.author == "resident"]
        places = [entry.location for entry in said if entry.location]
        contact = found.contact
        new = NewComplaint(
            **report,
            channel=contact.channel,
            language=contact.language,
            phone=contact.phone,
            location=places[-1] if places else None,
            attachments=[m for entry in said for m in entry.media][:MAX_ATTACHMENTS],
            sources={"conversation": found.id},
            idempotency_key=f"inbox:{found.id}:{len(entries)}",
        )
        created = await self.complaints.create(new, actor)
        await self.keep_transcript(found, created.complaint.reference, user, actor, entries)
        return created.complaint.reference

    async def link_complaint(
        self, conversation_id: str, user: StaffUser, actor: Actor, reference: str
    ) -> Outcome:
        """The conversation joins an existing complaint, which keeps its transcript."""
        found = await self.handled(conversation_id, user)
        if isinstance(found, str):
            return found
        try:
            await self.complaints.get(reference)
        except ComplaintNotFound:
            return "not_found"
        entries = await self.store.transcript(found.id, TRANSCRIPT_SHOWN)
        await self.keep_transcript(found, reference, user, actor, entries)
        return "done"

    async def keep_transcript(
        self,
        found: Conversation,
        reference: str,
        user: StaffUser,
        actor: Actor,
        entries: Sequence[TranscriptEntry],
    ) -> None:
        """The transcript as an internal note on the complaint, the complaint on the desk."""
        await self.complaints.add_note(reference, actor, transcript_text(entries))
        for _ in range(3):  # a concurrent desk write (a resident's rating…): read it again
            current = await self.store.get_conversation(found.id)
            if current is None or reference in current.desk.complaints:
                break
            desk = current.desk.model_copy(
                update={"complaints": [*current.desk.complaints, reference]}
            )
            if await self.store.update_desk(found.id, desk, current.version, self.clock()):
                break
        await self.note(found, user, f"→ {reference}")
        await self.live.changed(found)

    @staticmethod
    def handles(conversation: Conversation, user: StaffUser) -> bool:
        """The employee who has it, or a supervisor."""
        return conversation.desk.assignee == user.username or user.role in SUPERVISORS

    async def handled(
        self, conversation_id: str, user: StaffUser
    ) -> Conversation | Literal["not_found", "forbidden"]:
        """The conversation, when `user` handles it; else why not."""
        found = await self.store.get_conversation(conversation_id)
        if found is None:
            return "not_found"
        return found if self.handles(found, user) else "forbidden"

    async def hand_back(self, conversation_id: str, user: StaffUser) -> Outcome:
        """The bot has the conversation again and answers the resident's next message."""
        return await self.release(conversation_id, user, "bot", N_("inbox.resident.handed_back"))

    async def close(self, conversation_id: str, user: StaffUser) -> Outcome:
        """Done: the bot has it again, and the resident is asked to rate the conversation."""
        return await self.release(conversation_id, user, "closed", N_("inbox.resident.closed"))

    async def release(
        self,
        conversation_id: str,
        user: StaffUser,
        state: Literal["bot", "closed"],
        words: str,
    ) -> Outcome:
        found = await self.handled(conversation_id, user)
        if isinstance(found, str):
            return found
        if found.desk.state not in OPEN_STATES:
            return "conflict"
        now = self.clock()
        closing = state == "closed"
        desk = found.desk.model_copy(
            update={
                "state": state,
                "closed_at": now,
                "rating_asked": closing,
                "rating": None,
            }
        )
        released = await self.store.update_desk(found.id, desk, found.version, now)
        if released is None:
            return "conflict"
        await self.set_bot_paused(found, paused=False)
        await self.note(released, user, state)
        buttons = rating_buttons() if closing else ()
        await self.tell(released, words, buttons=buttons)
        await self.live.changed(released)
        return "done"

    # Helpers.

    async def set_bot_paused(self, conversation: Conversation, *, paused: bool) -> None:
        """Rasa stops (or starts again) answering the resident. A dialogue that is down is
        only logged: the desk change stands, and while an employee has the conversation the
        chat path keeps the bot quiet anyway."""
        change = self.dialogue.pause if paused else self.dialogue.resume
        try:
            await change(conversation.contact.key)
        except DialogueUnavailable as exc:
            log.warning("dialogue not %s: %s", "paused" if paused else "resumed", exc)

    async def tell(
        self,
        conversation: Conversation,
        words: str,
        values: Mapping[str, str] | None = None,
        buttons: tuple[Button, ...] = (),
    ) -> None:
        """The resident is told, in their language and their channel's words."""
        contact = conversation.contact
        said = text(words, contact.language, self.medium(contact.channel), **(values or {}))
        try:
            await self.push(conversation, (BotMessage(text=said, buttons=buttons),))
        except NotDelivered as refused:
            log.warning("resident not told %s: %s", words, refused.reason)
            return
        entry = TranscriptEntry(
            at=self.clock(), author="bot", text=said, buttons=tuple(b.title for b in buttons)
        )
        await self.store.append_transcript(conversation.id, [entry])
        await self.live.said(conversation)

    async def push(
        self, conversation: Conversation, messages: tuple[BotMessage, ...]
    ) -> str | None:
        contact = conversation.contact
        channel = self.channels.get(contact.channel)
        if channel is None:
            raise NotDelivered(N_("inbox.error.channel_gone"))
        reply = Reply(contact.language, (), messages)
        return await channel.push(self.addressed(conversation), reply, self.platforms)

    @staticmethod
    def addressed(conversation: Conversation) -> Inbound:
        """The resident as their channel reaches them unprompted (no message to answer)."""
        contact = conversation.contact
        return Inbound(
            channel=contact.channel,
            user=contact.user,
            message_id=None,
            phone=contact.phone,
            reply_to=contact.reach,
        )

    async def note(self, conversation: Conversation, user: StaffUser, what: str) -> None:
        """What an employee did, in the transcript for staff (never sent)."""
        entry = TranscriptEntry(at=self.clock(), author="system", text=what, agent=user.username)
        await self.store.append_transcript(conversation.id, [entry])


def transcript_text(entries: Sequence[TranscriptEntry]) -> str:
    """The transcript as plain lines for a complaint's note: time, who, what."""
    lines = []
    for entry in entries:
        who = entry.agent or entry.author
        extras = [f"[{m.kind}]" for m in entry.media]
        if entry.location and entry.location.lat is not None:
            extras.append(f"[{entry.location.lat}, {entry.location.lng}]")
        if entry.buttons:
            extras.append("[" + " | ".join(entry.buttons) + "]")
        said = " ".join([entry.text, *extras]).strip()
        lines.append(f"{entry.at:%Y-%m-%d %H:%M} {who}: {said}")
    return "\n".join(lines)


def resident_entry(inbound: Inbound, said: str, now: datetime) -> TranscriptEntry:
    location = Location.model_validate(inbound.location) if inbound.location else None
    return TranscriptEntry(
        at=now, author="resident", text=said, media=inbound.media, location=location
    )


def bot_entry(words: str, now: datetime) -> TranscriptEntry:
    return TranscriptEntry(at=now, author="bot", text=words)


def rating_buttons() -> tuple[Button, ...]:
    return tuple(Button(title="★" * n, payload=f"{RATING_PAYLOAD} {n}") for n in RATINGS)


def metadata_for(inbound: Inbound, language: Language) -> Metadata:
    return Metadata(channel=inbound.channel, language=language, phone=inbound.phone)
