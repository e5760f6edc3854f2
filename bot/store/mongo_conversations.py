"""Live conversations on MongoDB: one document per conversation, one per transcript entry.

As in SQLite (bot/store/sqlite_conversations.py) the chat path `$set`s only `contact` and
staff replace `desk` only where `version` is still the one they read, so neither overwrites
the other; the transcript is append-only and read in `_id` (insertion) order.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from bot.conversations import (
    Contact,
    Conversation,
    ConversationState,
    Delivery,
    Desk,
    TranscriptEntry,
)
from bot.notifications.message import states_below

Document = dict[str, Any]


def conversation(document: Document) -> Conversation:
    return Conversation(
        id=document["_id"],
        version=document["version"],
        contact=Contact.model_validate(document["contact"]),
        desk=Desk.model_validate(document["desk"]),
        created_at=document["created_at"],
        updated_at=document["updated_at"],
    )


def scalar(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"store filters take plain strings, not {type(value).__name__}")
    return value


class MongoConversations:
    def __init__(
        self, conversations: AsyncCollection[Document], transcript: AsyncCollection[Document]
    ) -> None:
        self._conversations = conversations
        self._transcript = transcript

    async def create_indexes(self) -> None:
        await self._conversations.create_index("key", unique=True)
        await self._conversations.create_index([("state", ASCENDING), ("updated_at", DESCENDING)])
        await self._conversations.create_index("updated_at")
        await self._transcript.create_index([("conversation_id", ASCENDING), ("_id", ASCENDING)])
        await self._transcript.create_index("provider_id", sparse=True)

    async def record(self, new: Conversation, entries: Sequence[TranscriptEntry]) -> Conversation:
        update = {
            "$set": {"contact": new.contact.model_dump(mode="json"), "updated_at": new.updated_at},
            "$setOnInsert": {
                "_id": new.id,
                "state": new.desk.state,
                "version": new.version,
                "desk": new.desk.model_dump(mode="json"),
                "created_at": new.created_at,
            },
        }
        key = {"key": scalar(new.contact.key)}
        try:
            document = await self._conversations.find_one_and_update(
                key, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:  # started at the same moment elsewhere: it exists now
            document = await self._conversations.find_one_and_update(
                key, {"$set": update["$set"]}, return_document=ReturnDocument.AFTER
            )
        assert document is not None  # an upsert, or the document a duplicate key names
        stored = conversation(document)
        await self.append(stored.id, entries)
        return stored

    async def append(self, conversation_id: str, entries: Sequence[TranscriptEntry]) -> None:
        if entries:
            await self._transcript.insert_many(
                [
                    {
                        "conversation_id": conversation_id,
                        "provider_id": entry.provider_id,
                        "doc": entry.model_dump(mode="json"),
                    }
                    for entry in entries
                ]
            )

    async def find(self, field: str, value: str) -> Conversation | None:
        document = await self._conversations.find_one({field: scalar(value)})
        return conversation(document) if document else None

    async def update_desk(
        self, conversation_id: str, desk: Desk, expected_version: int, now: datetime
    ) -> Conversation | None:
        document = await self._conversations.find_one_and_update(
            {"_id": scalar(conversation_id), "version": expected_version},
            {
                "$set": {
                    "desk": desk.model_dump(mode="json"),
                    "state": desk.state,
                    "updated_at": now,
                },
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return conversation(document) if document else None

    async def listing(self, states: Sequence[ConversationState], limit: int) -> list[Conversation]:
        found = self._conversations.find({"state": {"$in": [scalar(s) for s in states]}})
        documents = await found.sort("updated_at", DESCENDING).limit(limit).to_list()
        return [conversation(document) for document in documents]

    async def since(self, moment: datetime, limit: int) -> list[Conversation]:
        found = self._conversations.find({"updated_at": {"$gte": moment}})
        documents = await found.sort("updated_at", DESCENDING).limit(limit).to_list()
        return [conversation(document) for document in documents]

    async def transcript(self, conversation_id: str, limit: int) -> list[TranscriptEntry]:
        found = self._transcript.find({"conversation_id": scalar(conversation_id)})
        documents = await found.sort("_id", DESCENDING).limit(limit).to_list()
        return [TranscriptEntry.model_validate(document["doc"]) for document in reversed(documents)]

    async def note_delivery(self, provider_id: str, delivery: Delivery) -> str | None:
        earlier = [None, *states_below(delivery)]
        document = await self._transcript.find_one_and_update(
            {"provider_id": scalar(provider_id), "doc.delivery": {"$in": earlier}},
            {"$set": {"doc.delivery": delivery}},
        )
        return str(document["conversation_id"]) if document else None
