"""MongoDB backend: the production store, on PyMongo's async driver.

Every write touches one document, so a replica set gives durability (`w="majority"`,
retryable writes) without multi-document transactions: references come from an atomic
`$inc`, KPIs are aggregated on demand instead of kept in counter documents.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from bot.clock import to_ms, utc_now
from bot.complaint_record import Complaint
from bot.conversations import Conversation, ConversationState, Delivery, Desk, TranscriptEntry
from bot.kpi import (
    BREAKDOWN_METRICS,
    CALL_METRIC,
    CONVERSATION_KINDS,
    CallEvent,
    KpiFilter,
    KpiTotals,
    TransactionInquiry,
    contributions,
    local_day,
)
from bot.notifications.message import (
    Attempt,
    DeliveryState,
    MessageCursor,
    MessageFilter,
    MessagePage,
    OutboxMessage,
)
from bot.staff import StaffSession, StaffUser
from bot.store.base import (
    ComplaintFilter,
    Cursor,
    DuplicateReference,
    DuplicateUser,
    GeoBox,
    InboundClaim,
    InsertResult,
    KpiSummary,
    OutboxBacklog,
    Page,
    Record,
    RecordKind,
    Store,
    VersionConflict,
    index_terms,
    key_range,
    order_key,
    remind_watch_ms,
    resolution_ms,
    search_terms,
    sla_watch_ms,
)
from bot.store.mongo_conversations import MongoConversations
from bot.store.mongo_outbox import PENDING, MongoOutbox, carry, message_document
from bot.types import OPEN_STATUSES

Document = dict[str, Any]

DEFAULT_DATABASE = "balagh"
KPI_DIMENSIONS = ("status", "category", "district")
# Keys stored beside the model for querying; never read back into a Complaint.
COMPLAINT_PROJECTION = {
    "_id": False,
    "search_terms": False,
    "resolution_ms": False,
    "sla_watch_ms": False,
    "kpi_day": False,
    "kpi_pairs": False,
    "remind_watch_ms": False,
    "order_key": False,
    PENDING: False,
}
NEWEST_FIRST = [("order_key", DESCENDING)]
# A unique index only over documents that have a key: complaints without one never collide.
HAS_IDEMPOTENCY_KEY = {"idempotency_key": {"$type": "string"}}
# Staff list filters, each followed by the list order so the index also serves the sort.
FILTER_INDEXES = (
    ("status",),
    ("category", "district"),
    ("district",),
    ("team", "status"),
    ("priority",),
    ("channel",),
    ("assignee",),
    ("phone",),
)


def _scalar(value: object) -> str | int | datetime:
    """Only plain scalars reach a filter, so an outside value can never act as an operator."""
    if not isinstance(value, str | int | datetime):
        raise TypeError(f"store filters take plain scalars, not {type(value).__name__}")
    return value


def _half_open(
    start: datetime | None, end: datetime | None, stored: Callable[[datetime], object]
) -> Document:
    """`start <= field < end` as a filter, either bound left out when not given ({} for none);
    `stored` turns a moment into the field's stored form."""
    bounds: Document = {}
    if start is not None:
        bounds["$gte"] = stored(start)
    if end is not None:
        bounds["$lt"] = stored(end)
    return bounds


def _complaint_document(complaint: Complaint, zone: ZoneInfo) -> Document:
    document = complaint.model_dump(mode="python")
    document["_id"] = complaint.reference
    document["order_key"] = order_key(complaint)
    document["search_terms"] = index_terms(complaint.description)
    document["resolution_ms"] = resolution_ms(complaint)
    document["sla_watch_ms"] = sla_watch_ms(complaint)
    document["remind_watch_ms"] = remind_watch_ms(complaint)
    document["kpi_day"] = local_day(complaint.created_at, zone)
    document["kpi_pairs"] = [{"m": m, "v": v} for m, v in contributions(complaint, zone)]
    return document


def _counts(rows: list[Document]) -> dict[str, dict[str, int]]:
    """`{_id: {m, v}, n}` rows as metric → value → count."""
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["_id"]["m"], {})[row["_id"]["v"]] = row["n"]
    return counts


def _user_document(user: StaffUser) -> Document:
    return {"_id": user.username, **user.model_dump(mode="python")}


def _text_clause(text: str) -> list[Document]:
    """Every word must start one indexed term, as SQLite's FTS prefix query does.

    One anchored regex per word inside `$and` (not `$all`): the same meaning, and each
    anchored, case-sensitive prefix can walk the `search_terms` index.
    """
    return [{"search_terms": re.compile("^" + re.escape(term))} for term in search_terms(text)]


class MongoStore(Store):
    def __init__(
        self, client: AsyncMongoClient[Document], database: str, timezone: str = "UTC"
    ) -> None:
        """`timezone` decides which local day and hour a complaint counts in for the KPIs."""
        self._client = client
        self.zone = ZoneInfo(timezone)
        db = client[database]
        self._counters: AsyncCollection[Document] = db["counters"]
        self._complaints: AsyncCollection[Document] = db["complaints"]
        self._users: AsyncCollection[Document] = db["staff_users"]
        self._sessions: AsyncCollection[Document] = db["staff_sessions"]
        self._calls: AsyncCollection[Document] = db["call_events"]
        self._inquiries: AsyncCollection[Document] = db["transaction_inquiries"]
        self._counters_by_window: AsyncCollection[Document] = db["rate_counters"]
        self._records: AsyncCollection[Document] = db["records"]
        self._inbound: AsyncCollection[Document] = db["inbound_claims"]
        self._slots: AsyncCollection[Document] = db["slots"]
        self._outbox = MongoOutbox(db["outbox"], carriers=[self._complaints])
        self._conversations = MongoConversations(db["conversations"], db["transcript"])

    @classmethod
    def from_url(cls, url: str, timezone: str = "UTC") -> "MongoStore":
        """`mongodb://host/dbname`; the database defaults to `balagh` when the path is empty."""
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, w="majority", retryWrites=True, tz_aware=True
        )
        return cls(client, client.get_default_database(DEFAULT_DATABASE).name, timezone)

    async def open(self) -> None:
        complaints = self._complaints
        await complaints.create_index(
            "idempotency_key", unique=True, partialFilterExpression=HAS_IDEMPOTENCY_KEY
        )
        await complaints.create_index(NEWEST_FIRST)
        for fields in FILTER_INDEXES:
            await complaints.create_index([(field, ASCENDING) for field in fields] + NEWEST_FIRST)
        await complaints.create_index("search_terms")
        await complaints.create_index(
            [("category", ASCENDING), ("status", ASCENDING), ("location.lat", ASCENDING)]
        )
        await complaints.create_index("resolution_ms")
        await complaints.create_index("sla_watch_ms")
        await complaints.create_index("remind_watch_ms")
        await self._outbox.create_indexes()
        await self._conversations.create_indexes()
        await self._sessions.create_index("expires_at", expireAfterSeconds=0)
        await complaints.create_index([("kpi_day", ASCENDING), ("category", ASCENDING)])
        await complaints.create_index([("district", ASCENDING), ("kpi_day", ASCENDING)])
        await self._calls.create_index("day")
        await self._inquiries.create_index("day")
        await self._counters_by_window.create_index("expires_at", expireAfterSeconds=0)
        await self._records.create_index([("kind", ASCENDING), ("key", ASCENDING)])
        await self._slots.create_index([("pool", ASCENDING), ("expires_at", ASCENDING)])
        await self._slots.create_index("expires_at", expireAfterSeconds=0)
        await self._move_staff_contacts()

    async def _move_staff_contacts(self) -> None:
        """Accounts stored with the fixed phone and Telegram chat id get them in `contacts`
        (the SMS and Telegram fields' keys are the old names); each account in one atomic
        update, so an interrupted start finishes the rest on the next."""
        old = ("phone", "telegram_chat_id")
        unmoved = {"$or": [{field: {"$exists": True}} for field in old]}
        for document in await self._users.find(unmoved).to_list():
            contacts = {field: document[field] for field in old if document.get(field)}
            await self._users.update_one(
                {"_id": document["_id"]},
                {"$set": {"contacts": contacts}, "$unset": dict.fromkeys(old, "")},
            )

    async def close(self) -> None:
        await self._client.close()

    async def ping(self) -> None:
        await self._client.admin.command("ping")

    async def next_sequence(self, name: str, count: int = 1) -> int:
        counter = await self._counters.find_one_and_update(
            {"_id": _scalar(name)},
            {"$inc": {"value": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None  # an upsert returning AFTER always has a document
        return int(counter["value"]) - count + 1

    async def insert_complaint(
        self, complaint: Complaint, messages: Sequence[OutboxMessage] = ()
    ) -> InsertResult:
        """The messages ride in the complaint document (see bot/store/mongo_outbox.py)."""
        document = _complaint_document(complaint, self.zone)
        if messages:
            document[PENDING] = [message_document(message) for message in messages]
        try:
            await self._complaints.insert_one(document)
        except DuplicateKeyError:
            if complaint.idempotency_key is None:
                raise DuplicateReference(complaint.reference) from None
            # Naming the partial index's `$type` filter lets the server use that index.
            key = _scalar(complaint.idempotency_key)
            query = {"idempotency_key": {"$eq": key, "$type": "string"}}
            existing = await self._complaints.find_one(query, COMPLAINT_PROJECTION)
            if existing is None:  # the duplicate was the reference, not the key
                raise DuplicateReference(complaint.reference) from None
            return InsertResult(Complaint.model_validate(existing), created=False)
        return InsertResult(complaint, created=True)

    async def insert_complaints(self, complaints: list[Complaint]) -> None:
        """One ordered `insert_many`: it stops at the first duplicate, keeping those before it."""
        if complaints:
            await self._complaints.insert_many(
                [_complaint_document(complaint, self.zone) for complaint in complaints]
            )

    async def get_complaint(self, reference: str) -> Complaint | None:
        document = await self._complaints.find_one(
            {"_id": _scalar(reference)}, COMPLAINT_PROJECTION
        )
        return Complaint.model_validate(document) if document else None

    async def complaints_keyed(self, prefix: str, limit: int) -> list[Complaint]:
        start, end = key_range(prefix)
        # Naming the partial index's `$type` filter lets the server use that index.
        query = {"idempotency_key": {"$gte": start, "$lt": end, "$type": "string"}}
        cursor = self._complaints.find(query, COMPLAINT_PROJECTION)
        documents = await cursor.sort("idempotency_key", ASCENDING).limit(limit).to_list()
        return [Complaint.model_validate(document) for document in documents]

    async def replace_complaint(
        self,
        complaint: Complaint,
        expected_version: int,
        messages: Sequence[OutboxMessage] = (),
    ) -> None:
        """`$set` of every field (a document always has them all) rather than a replace, so
        messages an earlier write left for the relay stay, and new ones are appended."""
        fields = _complaint_document(complaint, self.zone)
        del fields["_id"]
        result = await self._complaints.update_one(
            {"_id": _scalar(complaint.reference), "version": _scalar(expected_version)},
            {"$set": fields, **carry(messages)},
        )
        if result.matched_count == 0:
            raise VersionConflict(complaint.reference)

    async def list_complaints(
        self, filters: ComplaintFilter, limit: int, cursor: Cursor | None
    ) -> Page:
        query: Document = {}
        if filters.status:
            query["status"] = {"$in": [_scalar(status) for status in filters.status]}
        if filters.reference is not None:
            query["_id"] = _scalar(filters.reference)
        for field in ("category", "district", "team", "priority", "channel", "assignee", "phone"):
            value = getattr(filters, field)
            if value is not None:
                query[field] = _scalar(value)
        created = _half_open(filters.created_from, filters.created_to, _scalar)
        if created:
            query["created_at"] = created
        clauses = _text_clause(filters.text) if filters.text else []
        due = _half_open(filters.due_from, filters.due_to, to_ms)
        if due:
            clauses.append({"sla_watch_ms": due})
        if filters.overdue_at is not None:
            clauses.append({"status": {"$in": sorted(status.value for status in OPEN_STATUSES)}})
            clauses.append(
                {
                    "$or": [
                        {"sla_watch_ms": None},
                        {"sla_watch_ms": {"$lt": to_ms(filters.overdue_at)}},
                    ]
                }
            )
        after = "$gt" if filters.oldest_first else "$lt"
        if cursor is not None:
            clauses.append({"order_key": {after: _scalar(cursor.key)}})
        if clauses:
            query["$and"] = clauses
        order = (
            [(key, ASCENDING) for key, _ in NEWEST_FIRST] if filters.oldest_first else NEWEST_FIRST
        )
        documents = (
            await self._complaints.find(query, COMPLAINT_PROJECTION)
            .sort(order)
            .limit(limit + 1)
            .to_list()
        )
        items = [Complaint.model_validate(document) for document in documents[:limit]]
        more = len(documents) > limit
        return Page(items, Cursor.after(items[-1]).encode() if more and items else None)

    async def sla_breaches(self, now: datetime, limit: int) -> list[Complaint]:
        return await self._watched("sla_watch_ms", now, limit)

    async def sla_reminders(self, now: datetime, limit: int) -> list[Complaint]:
        return await self._watched("remind_watch_ms", now, limit)

    async def _watched(self, watch: str, now: datetime, limit: int) -> list[Complaint]:
        """Complaints whose `watch` time (a fixed field name) has come, soonest first."""
        documents = (
            await self._complaints.find({watch: {"$lte": to_ms(now)}}, COMPLAINT_PROJECTION)
            .sort(watch, ASCENDING)
            .limit(limit)
            .to_list()
        )
        return [Complaint.model_validate(document) for document in documents]

    async def insert_messages(self, messages: Sequence[OutboxMessage]) -> None:
        await self._outbox.insert(messages)

    async def release_held(self, reference: str, now: datetime) -> int:
        return await self._outbox.release(reference, now)

    async def claim_messages(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[OutboxMessage]:
        return await self._outbox.claim(now, lease_until, token, limit)

    async def finish_messages(self, attempts: Sequence[Attempt]) -> list[bool]:
        return [await self._outbox.finish(attempt) for attempt in attempts]

    async def advance_message(
        self,
        provider_message_id: str,
        state: DeliveryState,
        error: str | None,
        follow_ups: Sequence[OutboxMessage] = (),
    ) -> OutboxMessage | None:
        return await self._outbox.advance(provider_message_id, state, error, utc_now(), follow_ups)

    async def get_message(self, message_id: str) -> OutboxMessage | None:
        return await self._outbox.get("_id", message_id)

    async def get_message_by_provider_id(self, provider_message_id: str) -> OutboxMessage | None:
        return await self._outbox.get("provider_message_id", provider_message_id)

    async def list_messages(
        self, filters: MessageFilter, limit: int, cursor: MessageCursor | None
    ) -> MessagePage:
        return await self._outbox.page(filters, limit, cursor)

    async def open_count(self) -> int:
        """Counted on the status index."""
        statuses = sorted(status.value for status in OPEN_STATUSES)
        return await self._complaints.count_documents({"status": {"$in": statuses}})

    async def open_in_box(self, category: str, box: GeoBox, limit: int) -> list[Complaint]:
        query = {
            "category": _scalar(category),
            "status": {"$in": sorted(status.value for status in OPEN_STATUSES)},
            "location.lat": {"$gte": box.south, "$lte": box.north},
            "location.lng": {"$gte": box.west, "$lte": box.east},
        }
        documents = await self._complaints.find(query, COMPLAINT_PROJECTION).limit(limit).to_list()
        return [Complaint.model_validate(document) for document in documents]

    async def outbox_backlog(self) -> OutboxBacklog:
        return OutboxBacklog(*await self._outbox.backlog())

    async def open_workload(self, teams: Sequence[str]) -> dict[str, int]:
        """Served by the (team, status, …) index: only the asked teams' open complaints."""
        pipeline: list[Document] = [
            {
                "$match": {
                    "team": {"$in": [_scalar(team) for team in teams]},
                    "status": {"$in": sorted(status.value for status in OPEN_STATUSES)},
                }
            },
            {"$group": {"_id": "$team", "n": {"$sum": 1}}},
        ]
        rows = await (await self._complaints.aggregate(pipeline)).to_list()
        return {row["_id"]: row["n"] for row in rows}

    async def kpi_summary(self) -> KpiSummary:
        resolved_filter = {"resolution_ms": {"$ne": None}}
        facets: Document = {
            key: [{"$group": {"_id": {"$ifNull": [f"${key}", ""]}, "n": {"$sum": 1}}}]
            for key in KPI_DIMENSIONS
        }
        facets["resolved"] = [{"$match": resolved_filter}, {"$count": "n"}]
        cursor = await self._complaints.aggregate([{"$facet": facets}])
        (result,) = await cursor.to_list()
        counts = {key: {row["_id"]: row["n"] for row in result[key]} for key in KPI_DIMENSIONS}
        resolved_count = result["resolved"][0]["n"] if result["resolved"] else 0
        median_hours = None
        if resolved_count:
            # The same element SQLite picks: the upper middle of the sorted durations.
            middle = (
                await self._complaints.find(resolved_filter, {"resolution_ms": True})
                .sort("resolution_ms", ASCENDING)
                .skip(resolved_count // 2)
                .limit(1)
                .to_list()
            )
            median_hours = middle[0]["resolution_ms"] / 3_600_000
        return KpiSummary(
            total=sum(counts["status"].values()),
            by_status=counts["status"],
            by_category=counts["category"],
            by_district=counts["district"],
            median_resolution_hours=median_hours,
            resolved_count=resolved_count,
        )

    async def claim_inbound(self, key: str, now: datetime) -> InboundClaim:
        try:
            await self._inbound.insert_one({"_id": _scalar(key), "reply": None, "claimed_at": now})
        except DuplicateKeyError:
            document = await self._inbound.find_one({"_id": key})
            if document is None:  # dropped since: as old as it can be
                return InboundClaim(first=False, reply=None, claimed_at=now)
            return InboundClaim(
                first=False, reply=document["reply"], claimed_at=document["claimed_at"]
            )
        return InboundClaim(first=True, reply=None, claimed_at=now)

    async def complete_inbound(self, key: str, reply: str) -> None:
        await self._inbound.update_one({"_id": _scalar(key)}, {"$set": {"reply": reply}})

    async def kpi_totals(self, filters: KpiFilter) -> KpiTotals:
        """One `$facet` over the complaints created in range, one `$group` over the open ones."""
        scope: Document = {}
        if filters.category is not None:
            scope["category"] = _scalar(filters.category)
        if filters.district is not None:
            scope["district"] = _scalar(filters.district)
        in_range = {"$gte": filters.start.isoformat(), "$lt": filters.end_exclusive}
        per_day = [{"$group": {"_id": "$kpi_day", "n": {"$sum": 1}}}]
        pipeline: list[Document] = [
            {"$match": {**scope, "kpi_day": in_range}},
            {
                "$facet": {
                    "days": per_day,
                    "pairs": [
                        {"$project": {"kpi_pairs": True}},
                        {"$unwind": "$kpi_pairs"},
                        {"$match": {"kpi_pairs.m": {"$in": list(BREAKDOWN_METRICS)}}},
                        {"$group": {"_id": "$kpi_pairs", "n": {"$sum": 1}}},
                    ],
                }
            },
        ]
        (created,) = await (await self._complaints.aggregate(pipeline)).to_list()
        open_scope = {**scope, "status": {"$in": sorted(s.value for s in OPEN_STATUSES)}}
        open_days = await (
            await self._complaints.aggregate([{"$match": open_scope}, *per_day])
        ).to_list()
        calls = await (
            await self._calls.aggregate(
                [
                    {"$match": {"day": in_range}},
                    {"$group": {"_id": {"m": "$metric", "v": "$value"}, "n": {"$sum": 1}}},
                ]
            )
        ).to_list()
        return KpiTotals(
            metrics=_counts(created["pairs"]),
            created_by_day={row["_id"]: row["n"] for row in created["days"]},
            open_by_day={row["_id"]: row["n"] for row in open_days},
            calls=_counts(calls),
            inquiries={
                row["_id"]: row["n"]
                for row in await (
                    await self._inquiries.aggregate(
                        [
                            {"$match": {"day": in_range}},
                            {"$group": {"_id": "$value", "n": {"$sum": 1}}},
                        ]
                    )
                ).to_list()
            },
        )

    async def record_call_event(self, event: CallEvent) -> bool:
        """A call's start, or its one outcome, counted on the day the call started."""
        call_id = _scalar(event.call_id)
        day = local_day(event.at, self.zone)
        if event.kind in CONVERSATION_KINDS:  # a turn's question, no call outcome
            return await self._insert_call(f"{call_id}:{event.kind}", day, *event.contribution())
        if event.kind != "started":
            started = await self._calls.find_one({"_id": f"{call_id}:started"})
            if started is None:  # its start was never seen: count it, so outcomes ≤ calls
                await self._insert_call(f"{call_id}:started", day, CALL_METRIC, "started")
            else:
                day = started["day"]
        key = f"{call_id}:{'started' if event.kind == 'started' else 'outcome'}"
        return await self._insert_call(key, day, *event.contribution())

    async def _insert_call(self, key: str, day: str, metric: str, value: str) -> bool:
        try:
            await self._calls.insert_one({"_id": key, "day": day, "metric": metric, "value": value})
        except DuplicateKeyError:
            return False
        return True

    async def record_inquiry(self, inquiry: TransactionInquiry) -> bool:
        try:
            await self._inquiries.insert_one(
                {
                    "_id": _scalar(inquiry.id),
                    "day": local_day(inquiry.at, self.zone),
                    "value": inquiry.value(),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def hit_counter(
        self, key: str, window_start: datetime, expires_at: datetime, amount: int = 1
    ) -> int:
        counter = await self._counters_by_window.find_one_and_update(
            {"_id": f"{_scalar(key)}@{to_ms(window_start)}"},
            {"$inc": {"n": amount}, "$setOnInsert": {"expires_at": expires_at}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None  # an upsert returning AFTER always has a document
        return int(counter["n"])

    async def take_slot(
        self, pool: str, holder: str, limit: int, now: datetime, expires_at: datetime
    ) -> bool:
        """Take the slot, then count every holder: past the limit, give it back. (Without a
        transaction, holders racing for the last slot may all give theirs back; never
        more than `limit` keep one.)"""
        slot_id = f"{_scalar(pool)}:{_scalar(holder)}"
        held = await self._slots.find_one_and_update(
            {"_id": slot_id, "expires_at": {"$gt": now}}, {"$set": {"expires_at": expires_at}}
        )
        if held is not None:
            return True
        taken = {"pool": _scalar(pool), "expires_at": expires_at}
        await self._slots.replace_one({"_id": slot_id}, taken, upsert=True)
        if await self.slots_held(pool, now) <= limit:
            return True
        await self._slots.delete_one({"_id": slot_id})
        return False

    async def release_slot(self, pool: str, holder: str) -> None:
        await self._slots.delete_one({"_id": f"{_scalar(pool)}:{_scalar(holder)}"})

    async def slots_held(self, pool: str, now: datetime) -> int:
        return await self._slots.count_documents(
            {"pool": _scalar(pool), "expires_at": {"$gt": now}}
        )

    async def put_record(self, kind: RecordKind, key: str, record: BaseModel) -> None:
        document = {"kind": kind, "key": _scalar(key), "doc": record.model_dump(mode="json")}
        await self._records.replace_one({"_id": f"{kind}:{key}"}, document, upsert=True)

    async def get_record(self, kind: RecordKind, key: str, model: type[Record]) -> Record | None:
        document = await self._records.find_one({"_id": f"{_scalar(kind)}:{_scalar(key)}"})
        return model.model_validate(document["doc"]) if document else None

    async def list_records(self, kind: RecordKind, model: type[Record]) -> list[Record]:
        documents = await self._records.find({"kind": _scalar(kind)}).sort("key").to_list()
        return [model.model_validate(document["doc"]) for document in documents]

    async def delete_record(self, kind: RecordKind, key: str) -> None:
        await self._records.delete_one({"_id": f"{_scalar(kind)}:{_scalar(key)}"})

    async def list_users(self) -> list[StaffUser]:
        documents = await self._users.find({}, {"_id": False}).sort("username").to_list()
        return [StaffUser.model_validate(document) for document in documents]

    async def insert_user(self, user: StaffUser) -> None:
        try:
            await self._users.insert_one(_user_document(user))
        except DuplicateKeyError:
            raise DuplicateUser(user.username) from None

    async def get_user(self, username: str) -> StaffUser | None:
        document = await self._users.find_one({"_id": _scalar(username)}, {"_id": False})
        return StaffUser.model_validate(document) if document else None

    async def replace_user(self, user: StaffUser) -> None:
        await self._users.replace_one({"_id": _scalar(user.username)}, _user_document(user))

    async def insert_session(self, session: StaffSession) -> None:
        document = {"_id": session.token_hash, **session.model_dump(mode="python")}
        await self._sessions.insert_one(document)

    async def get_session(self, token_hash: str) -> StaffSession | None:
        document = await self._sessions.find_one({"_id": _scalar(token_hash)}, {"_id": False})
        return StaffSession.model_validate(document) if document else None

    async def touch_session(self, token_hash: str, seen_at: datetime) -> None:
        await self._sessions.update_one(
            {"_id": _scalar(token_hash)}, {"$set": {"last_seen_at": seen_at}}
        )

    async def delete_session(self, token_hash: str) -> None:
        await self._sessions.delete_one({"_id": _scalar(token_hash)})

    async def record_conversation(
        self, new: Conversation, entries: Sequence[TranscriptEntry]
    ) -> Conversation:
        return await self._conversations.record(new, entries)

    async def find_conversation(self, key: str) -> Conversation | None:
        return await self._conversations.find("key", key)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self._conversations.find("_id", conversation_id)

    async def update_desk(
        self, conversation_id: str, desk: Desk, expected_version: int, now: datetime
    ) -> Conversation | None:
        return await self._conversations.update_desk(conversation_id, desk, expected_version, now)

    async def list_conversations(
        self, states: Sequence[ConversationState], limit: int
    ) -> list[Conversation]:
        return await self._conversations.listing(states, limit)

    async def conversations_since(self, moment: datetime, limit: int) -> list[Conversation]:
        return await self._conversations.since(moment, limit)

    async def append_transcript(
        self, conversation_id: str, entries: Sequence[TranscriptEntry]
    ) -> None:
        await self._conversations.append(conversation_id, entries)

    async def transcript(self, conversation_id: str, limit: int) -> list[TranscriptEntry]:
        return await self._conversations.transcript(conversation_id, limit)

    async def note_delivery(self, provider_id: str, delivery: Delivery) -> str | None:
        return await self._conversations.note_delivery(provider_id, delivery)
