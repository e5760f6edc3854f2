"""The live conversations' store contract, the same on every backend: the chat path and the
staff write their own parts, the desk is written once per version read (two employees taking
one conversation at once: one wins), the transcript keeps its order, deliveries only move on."""

import asyncio
from datetime import UTC, datetime, timedelta

from bot.complaint_record import Attachment, Location
from bot.conversations import Contact, Conversation, Desk, TranscriptEntry
from bot.store.base import Store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def started(
    key: str = "whatsapp:+966501234567", at: datetime = T0, **contact: object
) -> Conversation:
    channel, _, user = key.partition(":")
    values = {"key": key, "channel": channel, "user": user, "last_resident_at": at, **contact}
    return Conversation(
        id=f"c-{at.timestamp():.0f}-{user[-4:]}",
        contact=Contact.model_validate(values),
        created_at=at,
        updated_at=at,
    )


def said(
    text: str, author: str = "resident", at: datetime = T0, **fields: object
) -> TranscriptEntry:
    return TranscriptEntry.model_validate({"at": at, "author": author, "text": text, **fields})


async def test_a_conversation_starts_once_and_its_contact_follows_the_resident(store: Store):
    first = await store.record_conversation(started(), [said("مرحبا")])
    assert first.desk.state == "bot"
    assert first.version == 1
    later = started(at=T0 + MINUTE, language="en", reach=["whatsapp:+966501234567", "whatsapp:+1"])
    again = await store.record_conversation(later, [said("hello", at=T0 + MINUTE)])
    assert again.id == first.id  # the same resident on the same channel: one conversation
    assert again.contact.language == "en"
    assert again.contact.reach == ["whatsapp:+966501234567", "whatsapp:+1"]
    assert again.created_at == T0
    assert again.updated_at == T0 + MINUTE
    assert await store.find_conversation("whatsapp:+966501234567") == again
    assert await store.get_conversation(first.id) == again
    assert await store.find_conversation("telegram:1") is None
    assert await store.get_conversation("nothing") is None


async def test_the_desk_is_written_once_per_version_and_the_contact_leaves_it_alone(store: Store):
    conversation = await store.record_conversation(started(), [])
    queued = Desk(state="queued", queued_at=T0, reason="requested", summary={"category": "roads"})
    waiting = await store.update_desk(conversation.id, queued, 1, T0)
    assert waiting is not None
    assert waiting.version == 2
    assert waiting.desk == queued

    takes = [
        store.update_desk(conversation.id, Desk(state="assigned", assignee=name), 2, T0 + MINUTE)
        for name in ("amal", "badr")
    ]
    outcomes = await asyncio.gather(*takes)
    winners = [outcome for outcome in outcomes if outcome is not None]
    assert len(winners) == 1  # two employees at once: exactly one has it

    refreshed = await store.record_conversation(started(at=T0 + 2 * MINUTE), [])
    assert refreshed.desk == winners[0].desk
    assert refreshed.version == 3
    assert await store.update_desk(conversation.id, Desk(), 2, T0) is None


async def test_conversations_are_listed_by_desk_state_latest_change_first(store: Store):
    keys = ["telegram:1", "telegram:2", "telegram:3"]
    ids = [(await store.record_conversation(started(key), [])).id for key in keys]
    for n, (conversation_id, state) in enumerate(
        zip(ids, ["queued", "assigned", "queued"], strict=True)
    ):
        await store.update_desk(conversation_id, Desk(state=state), 1, T0 + n * MINUTE)
    queued = await store.list_conversations(["queued"], 10)
    assert [c.contact.key for c in queued] == ["telegram:3", "telegram:1"]
    both = await store.list_conversations(["queued", "assigned"], 2)
    assert [c.contact.key for c in both] == ["telegram:3", "telegram:2"]
    assert await store.list_conversations(["closed"], 10) == []


async def test_conversations_changed_since_a_moment_latest_first(store: Store):
    for n, key in enumerate(["telegram:1", "telegram:2", "telegram:3"]):
        await store.record_conversation(started(key, at=T0 + n * MINUTE), [])
    recent = await store.conversations_since(T0 + MINUTE, 10)
    assert [c.contact.key for c in recent] == ["telegram:3", "telegram:2"]
    assert [c.contact.key for c in await store.conversations_since(T0, 1)] == ["telegram:3"]


async def test_the_transcript_keeps_every_entry_in_order_with_its_media(store: Store):
    photo = Attachment(kind="photo", media_type="image/jpeg", size=600, storage_key="ab/cd.jpg")
    pin = Location(lat=25.38, lng=49.58)
    conversation = await store.record_conversation(
        started(),
        [
            said("حفرة", media=(photo,), location=pin),
            said("وش نوع المشكلة؟", "bot", buttons=("حفرة أو طريق", "إنارة")),
        ],
    )
    await store.append_transcript(conversation.id, [said("أهلاً، معك أمل", "agent", agent="amal")])
    other = await store.record_conversation(started("telegram:9"), [said("hi")])
    entries = await store.transcript(conversation.id, 10)
    assert [(e.author, e.text) for e in entries] == [
        ("resident", "حفرة"),
        ("bot", "وش نوع المشكلة؟"),
        ("agent", "أهلاً، معك أمل"),
    ]
    assert entries[0].media == (photo,)
    assert entries[0].location == pin
    assert entries[1].buttons == ("حفرة أو طريق", "إنارة")
    assert entries[2].agent == "amal"
    assert [e.text for e in await store.transcript(conversation.id, 2)] == [
        "وش نوع المشكلة؟",
        "أهلاً، معك أمل",
    ]
    assert [e.text for e in await store.transcript(other.id, 10)] == ["hi"]


async def test_a_delivery_report_moves_an_entry_forward_never_back(store: Store):
    conversation = await store.record_conversation(started(), [])
    sent = said("تم", "agent", provider_id="SM1", delivery="queued")
    await store.append_transcript(conversation.id, [sent])
    assert await store.note_delivery("SM1", "delivered") == conversation.id
    assert await store.note_delivery("SM1", "sent") is None  # a late report of an earlier state
    assert await store.note_delivery("SM1", "read") == conversation.id
    assert await store.note_delivery("SM404", "read") is None
    [entry] = await store.transcript(conversation.id, 10)
    assert entry.delivery == "read"
