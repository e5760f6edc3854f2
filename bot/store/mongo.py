"""MongoDB backend: the production store, on PyMongo's async driver.

Every write touches one document, so a replica set gives durability (`w="majority"`,
retryable writes) without multi-document transactions: references come from an atomic
`$inc`, KPIs are aggregated on demand instead of kept in counter documents.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from bot.clock import to_ms
from bot.complaint import Complaint
from bot.staff import StaffSession, StaffUser
from bot.store.base import (
    ComplaintFilter,
    Cursor,
    DuplicateUser,
    InboundClaim,
    InsertResult,
    KpiSummary,
    Page,
    Store,
    VersionConflict,
    index_terms,
    resolution_ms,
    search_terms,
    sla_watch_ms,
)
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
}
NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
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


def _complaint_document(complaint: Complaint) -> Document:
    document = complaint.model_dump(mode="python")
    document["_id"] = complaint.reference
    document["search_terms"] = index_terms(complaint.description)
    document["resolution_ms"] = resolution_ms(complaint)
    document["sla_watch_ms"] = sla_watch_ms(complaint)
    return document


def _user_document(user: StaffUser) -> Document:
    return {"_id": user.username, **user.model_dump(mode="python")}


def _text_clause(text: str) -> list[Document]:
    """Every word must start one indexed term, as SQLite's FTS prefix query does.

    One anchored regex per word inside `$and` (not `$all`): the same meaning, and each
    anchored, case-sensitive prefix can walk the `search_terms` index.
    """
    return [{"search_terms": re.compile("^" + re.escape(term))} for term in search_terms(text)]


class MongoStore(Store):
    def __init__(self, client: AsyncMongoClient[Document], database: str) -> None:
        self._client = client
        db = client[database]
        self._counters: AsyncCollection[Document] = db["counters"]
        self._complaints: AsyncCollection[Document] = db["complaints"]
        self._users: AsyncCollection[Document] = db["staff_users"]
        self._sessions: AsyncCollection[Document] = db["staff_sessions"]
        self._inbound: AsyncCollection[Document] = db["inbound_claims"]

    @classmethod
    def from_url(cls, url: str) -> "MongoStore":
        """`mongodb://host/dbname`; the database defaults to `balagh` when the path is empty."""
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, w="majority", retryWrites=True, tz_aware=True
        )
        return cls(client, client.get_default_database(DEFAULT_DATABASE).name)

    async def open(self) -> None:
        complaints = self._complaints
        await complaints.create_index(
            "idempotency_key", unique=True, partialFilterExpression=HAS_IDEMPOTENCY_KEY
        )
        await complaints.create_index(NEWEST_FIRST)
        for fields in FILTER_INDEXES:
            await complaints.create_index([(field, ASCENDING) for field in fields] + NEWEST_FIRST)
        await complaints.create_index("search_terms")
        await complaints.create_index("resolution_ms")
        await complaints.create_index("sla_watch_ms")
        await self._sessions.create_index("expires_at", expireAfterSeconds=0)

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

    async def insert_complaint(self, complaint: Complaint) -> InsertResult:
        try:
            await self._complaints.insert_one(_complaint_document(complaint))
        except DuplicateKeyError:
            if complaint.idempotency_key is None:
                raise
            # Naming the partial index's `$type` filter lets the server use that index.
            key = _scalar(complaint.idempotency_key)
            query = {"idempotency_key": {"$eq": key, "$type": "string"}}
            existing = await self._complaints.find_one(query, COMPLAINT_PROJECTION)
            if existing is None:  # the duplicate was the reference, not the key
                raise
            return InsertResult(Complaint.model_validate(existing), created=False)
        return InsertResult(complaint, created=True)

    async def insert_complaints(self, complaints: list[Complaint]) -> None:
        """One ordered `insert_many`: it stops at the first duplicate, keeping those before it."""
        if complaints:
            await self._complaints.insert_many([_complaint_document(c) for c in complaints])

    async def get_complaint(self, reference: str) -> Complaint | None:
        document = await self._complaints.find_one(
            {"_id": _scalar(reference)}, COMPLAINT_PROJECTION
        )
        return Complaint.model_validate(document) if document else None

    async def replace_complaint(self, complaint: Complaint, expected_version: int) -> None:
        result = await self._complaints.replace_one(
            {"_id": _scalar(complaint.reference), "version": _scalar(expected_version)},
            _complaint_document(complaint),
        )
        if result.matched_count == 0:
            raise VersionConflict(complaint.reference)

    async def list_complaints(
        self, filters: ComplaintFilter, limit: int, cursor: Cursor | None
    ) -> Page:
        query: Document = {}
        if filters.status:
            query["status"] = {"$in": [_scalar(status) for status in filters.status]}
        for field in ("category", "district", "team", "priority", "channel", "assignee", "phone"):
            value = getattr(filters, field)
            if value is not None:
                query[field] = _scalar(value)
        created: Document = {}
        if filters.created_from is not None:
            created["$gte"] = _scalar(filters.created_from)
        if filters.created_to is not None:
            created["$lt"] = _scalar(filters.created_to)
        if created:
            query["created_at"] = created
        text = _text_clause(filters.text) if filters.text else []
        if text:
            query["$and"] = text
        if cursor is not None:
            query["$or"] = [
                {"created_at": {"$lt": cursor.created_at}},
                {"created_at": cursor.created_at, "_id": {"$lt": _scalar(cursor.reference)}},
            ]
        documents = (
            await self._complaints.find(query, COMPLAINT_PROJECTION)
            .sort(NEWEST_FIRST)
            .limit(limit + 1)
            .to_list()
        )
        items = [Complaint.model_validate(document) for document in documents[:limit]]
        more = len(documents) > limit
        return Page(items, Cursor.after(items[-1]).encode() if more and items else None)

    async def sla_breaches(self, now: datetime, limit: int) -> list[Complaint]:
        documents = (
            await self._complaints.find(
                {"sla_watch_ms": {"$lte": to_ms(now)}}, COMPLAINT_PROJECTION
            )
            .sort("sla_watch_ms", ASCENDING)
            .limit(limit)
            .to_list()
        )
        return [Complaint.model_validate(document) for document in documents]

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
            return InboundClaim(first=False, reply=document["reply"] if document else None)
        return InboundClaim(first=True, reply=None)

    async def complete_inbound(self, key: str, reply: str) -> None:
        await self._inbound.update_one({"_id": _scalar(key)}, {"$set": {"reply": reply}})

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
