"""The notification outbox on MongoDB, without multi-document transactions.

A write and the messages it causes must commit together, and a MongoDB write is atomic
for one document. So the messages ride in the written document itself: a complaint
write (or a message outcome that queues an SMS fallback) appends them to that document's
`pending_messages` array in the same single-document update. Every outbox read first
relays them: each is inserted into the `outbox` collection under its own id (a repeat
is a duplicate key, ignored), then `$pull`ed from the carrying document. A crash between
the two steps only repeats an idempotent insert. This works on any deployment — a
standalone server, a replica set, a sharded cluster — and on the test double, which has
no transactions.
"""

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from bot.notifications.message import (
    IN_FLIGHT,
    Attempt,
    DeliveryState,
    MessageCursor,
    MessageFilter,
    MessagePage,
    OutboxMessage,
    states_below,
)

Document = dict[str, Any]
PENDING = "pending_messages"
# `_id` (the message id again) is dropped in Python: a find_one_and_update that projects
# `_id` away finds nothing on the mongomock double.
MESSAGE_PROJECTION = {PENDING: False}
NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
RELAY_BATCH = 500
# Only documents that still carry messages are in this index, so the relay scan is cheap.
CARRYING = f"{PENDING}._id"


def message_document(message: OutboxMessage) -> Document:
    return {"_id": message.id, **message.model_dump(mode="python")}


def carry(messages: Sequence[OutboxMessage]) -> Document:
    """The update clause that appends messages to the document being written."""
    if not messages:
        return {}
    return {"$push": {PENDING: {"$each": [message_document(m) for m in messages]}}}


def _message(document: Document) -> OutboxMessage:
    return OutboxMessage.model_validate({k: v for k, v in document.items() if k != "_id"})


def _value(value: object) -> str:
    """Only plain strings reach a filter, so an outside value can never act as an operator."""
    if not isinstance(value, str):
        raise TypeError(f"outbox filters take plain strings, not {type(value).__name__}")
    return value


class MongoOutbox:
    def __init__(
        self, outbox: AsyncCollection[Document], carriers: Sequence[AsyncCollection[Document]]
    ) -> None:
        """`carriers`: the collections whose documents may carry pending messages."""
        self._outbox = outbox
        self._carriers = (*carriers, outbox)

    async def create_indexes(self) -> None:
        outbox = self._outbox
        await outbox.create_index([("state", ASCENDING), ("due_at", ASCENDING)])
        await outbox.create_index(
            "provider_message_id",
            partialFilterExpression={"provider_message_id": {"$type": "string"}},
        )
        await outbox.create_index(NEWEST_FIRST)
        for fields in (("channel", "to"), ("reference",), ("provider",)):
            await outbox.create_index([(field, ASCENDING) for field in fields] + NEWEST_FIRST)
        for collection in self._carriers:
            await collection.create_index(CARRYING, sparse=True)

    async def relay(self) -> None:
        for carrier in self._carriers:
            documents = (
                await carrier.find({CARRYING: {"$exists": True}}, {PENDING: True})
                .limit(RELAY_BATCH)
                .to_list()
            )
            for document in documents:
                carried = document[PENDING]
                for message in carried:
                    await self._insert_once(message)
                ids = [message["_id"] for message in carried]
                await carrier.update_one(
                    {"_id": document["_id"]}, {"$pull": {PENDING: {"_id": {"$in": ids}}}}
                )

    async def _insert_once(self, document: Document) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._outbox.insert_one(document)

    async def insert(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            await self._insert_once(message_document(message))

    async def claim(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[OutboxMessage]:
        """Expired leases first (they come back in doubt), then pending messages."""
        await self.relay()
        claimed: list[OutboxMessage] = []
        for state in ("sending", "pending"):
            while len(claimed) < limit:
                document = await self._outbox.find_one_and_update(
                    {"state": state, "due_at": {"$lte": now}},
                    {
                        "$set": {
                            "state": "sending",
                            "claim_token": token,
                            "due_at": lease_until,
                            "updated_at": now,
                            **({"in_doubt": True} if state == "sending" else {}),
                        },
                        "$inc": {"attempts": 1},
                    },
                    projection=MESSAGE_PROJECTION,
                    sort=[("due_at", ASCENDING)],
                    return_document=ReturnDocument.AFTER,
                )
                if document is None:
                    break
                claimed.append(_message(document))
        return claimed

    async def backlog(self) -> tuple[int, datetime | None]:
        await self.relay()
        in_flight = {"state": {"$in": list(IN_FLIGHT)}}
        depth = await self._outbox.count_documents(in_flight)
        oldest = await self._outbox.find_one(
            in_flight, {"created_at": True}, sort=[("created_at", ASCENDING)]
        )
        return depth, oldest["created_at"] if oldest else None

    async def finish(self, attempt: Attempt) -> bool:
        message = attempt.outcome
        fields = message.model_dump(mode="python", exclude={"id"})
        result = await self._outbox.update_one(
            {"_id": message.id, "claim_token": _value(attempt.token), "state": "sending"},
            {"$set": fields, **carry(attempt.follow_ups)},
        )
        return result.matched_count == 1

    async def advance(
        self,
        provider_message_id: str,
        state: DeliveryState,
        error: str | None,
        now: datetime,
        follow_ups: Sequence[OutboxMessage],
    ) -> OutboxMessage | None:
        changes: Document = {"state": state, "updated_at": now}
        if error is not None:
            changes["error"] = error
        document = await self._outbox.find_one_and_update(
            {
                "provider_message_id": _value(provider_message_id),
                "state": {"$in": list(states_below(state))},
            },
            {"$set": changes, **carry(follow_ups)},
            projection=MESSAGE_PROJECTION,
            return_document=ReturnDocument.AFTER,
        )
        return _message(document) if document else None

    async def release(self, reference: str, now: datetime) -> int:
        """Relayed first, so a held message still riding in its complaint is released too."""
        await self.relay()
        result = await self._outbox.update_many(
            {"reference": _value(reference), "state": "held"},
            {"$set": {"state": "pending", "due_at": now, "updated_at": now}},
        )
        return result.modified_count

    async def get(self, field: str, value: str) -> OutboxMessage | None:
        """By `_id` or `provider_message_id` (fixed names, never user input)."""
        await self.relay()
        document = await self._outbox.find_one({field: _value(value)}, MESSAGE_PROJECTION)
        return _message(document) if document else None

    async def page(
        self, filters: MessageFilter, limit: int, cursor: MessageCursor | None
    ) -> MessagePage:
        await self.relay()
        query: Document = {
            field: _value(value) for field, value in filters.model_dump(exclude_none=True).items()
        }
        if cursor is not None:
            query["$or"] = [
                {"created_at": {"$lt": cursor.created_at}},
                {"created_at": cursor.created_at, "_id": {"$lt": _value(cursor.id)}},
            ]
        documents = (
            await self._outbox.find(query, MESSAGE_PROJECTION)
            .sort(NEWEST_FIRST)
            .limit(limit + 1)
            .to_list()
        )
        items = [_message(document) for document in documents[:limit]]
        more = len(documents) > limit
        return MessagePage(
            items, MessageCursor.after(items[-1]).encode() if more and items else None
        )
