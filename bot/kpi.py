"""The KPI figures: what each complaint contributes, and the report built from the sums.

Every figure but two counts the complaints *created* in the range (local days, both ends
included) as they stand today: so the breakdowns add up to the total, and open + closed is
the total. `backlog` is the exception by design: every complaint open today, whatever its
creation date, the same number the dispatch board and the queue show. Calls count the
calls *started* in the range, each with its one outcome. The dashboard shows each figure's
definition beside it (the catalogues' `kpi.def.*`).

Both store backends sum the same contributions (SQLite keeps them in a daily rollup
written with the complaint; MongoDB aggregates them on demand), so the figures agree
whatever the backend. Durations are counted in logarithmic buckets 5 % wide: the
median and p90 come from those small histograms, never from loading complaints.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.complaint_record import Complaint
from bot.conversations import DeskFigures
from bot.types import OPEN_STATUSES, Status

ANY = "*"  # the rollup's "every category" / "every district"
_BUCKET_BASE = 1.05
_MS_PER_MINUTE = 60_000
_NOT_STAFF = frozenset({"system", "citizen"})
CallEventKind = Literal[
    "started", "self_service", "transferred", "abandoned", "busy", "out_of_scope"
]
CALL_METRIC = "call"
ABANDONED_METRIC = "abandoned_at"
CONVERSATION_METRIC = "conversation"  # what conversations (calls and chats) asked for
CONVERSATION_KINDS: frozenset[CallEventKind] = frozenset({"out_of_scope"})
TRANSACTION_METRIC = "transaction"
SUBSCRIPTION_METRIC = "subscribed"
# Every metric of `contributions` except the per-day ones ("created", "open").
BREAKDOWN_METRICS = (
    "channel",
    "category",
    "district",
    "hour",
    "first_response",
    "resolution",
    "sla",
    "resolved_ever",
    "reopened",
    "satisfaction",
    SUBSCRIPTION_METRIC,
)
MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)  # before any municipality's records: a typo, not a range
# (label, first day of age, first day past it); ages in whole days since creation.
AGEING: tuple[tuple[str, int, int | None], ...] = (
    ("0-1", 0, 1),
    ("1-3", 1, 3),
    ("3-7", 3, 7),
    ("7-30", 7, 30),
    ("30+", 30, None),
)


def duration_bucket(milliseconds: int) -> int:
    """Bucket 0 holds the first minute; bucket b ≥ 1 holds [1.05^(b-1), 1.05^b) minutes."""
    minutes = max(milliseconds, 0) / _MS_PER_MINUTE
    if minutes < 1:
        return 0
    return 1 + math.floor(math.log(minutes) / math.log(_BUCKET_BASE))


def bucket_hours(bucket: int) -> float:
    """The geometric middle of a bucket, in hours (within 2.5 % of every duration in it)."""
    minutes = 0.5 if bucket == 0 else _BUCKET_BASE ** (bucket - 0.5)
    return minutes / 60


def _ms(delta: timedelta) -> int:
    return delta // timedelta(milliseconds=1)


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()


def first_response_at(complaint: Complaint) -> datetime | None:
    """The first thing a staff member did to the complaint (not the system, not the citizen)."""
    for entry in complaint.history:
        if entry.actor not in _NOT_STAFF and entry.field != "created":
            return entry.at
    return None


def contributions(complaint: Complaint, zone: ZoneInfo) -> Iterator[tuple[str, str]]:
    """(metric, value) pairs this complaint adds to the day it was created."""
    yield "created", ""
    yield "channel", complaint.channel
    yield "category", complaint.category or ""
    yield "district", complaint.district or ""
    yield "hour", f"{complaint.created_at.astimezone(zone).hour:02d}"
    if complaint.status in OPEN_STATUSES:
        yield "open", ""
    responded = first_response_at(complaint)
    if responded is not None:
        yield "first_response", str(duration_bucket(_ms(responded - complaint.created_at)))
    if complaint.resolved_at is not None:
        yield "resolution", str(duration_bucket(_ms(complaint.resolved_at - complaint.created_at)))
        yield "sla", "met" if complaint.resolved_at <= complaint.sla_due_at else "missed"
    elif complaint.status in OPEN_STATUSES and complaint.sla_breached_at is not None:
        yield "sla", "missed"
    statuses = [(e.old, e.new) for e in complaint.history if e.field == "status"]
    if any(new == Status.RESOLVED for _, new in statuses):
        yield "resolved_ever", ""
    if (Status.RESOLVED, Status.IN_PROGRESS) in statuses:
        yield "reopened", ""
    if complaint.satisfaction is not None:
        yield "satisfaction", str(complaint.satisfaction)
    for _ in complaint.subscribers:  # residents who joined it instead of reporting it again
        yield SUBSCRIPTION_METRIC, ""


def filter_combinations(category: str | None, district: str | None) -> list[tuple[str, str]]:
    """The rollup slices one complaint counts in: its own and each "any" widening."""
    own_category, own_district = category or "", district or ""
    return [(own_category, own_district), (own_category, ANY), (ANY, own_district), (ANY, ANY)]


class CallEvent(BaseModel):
    """One moment of a call on the 940 line, recorded by the voice channel, or of a turn of
    any conversation, recorded by the dialogue's actions.

    A call: `started` once; then one outcome: `self_service` (finished without an employee),
    `transferred` (to an employee), `abandoned` (hung up at menu `step`) or `busy` (turned
    away: every line was taken; offered a call-back or a voicemail). A turn of a call or a
    chat (`call_id` names the turn): `out_of_scope`, a question outside the municipality's
    work, answered with what Balagh can do.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    call_id: Annotated[str, Field(min_length=1, max_length=100)]
    kind: CallEventKind
    at: datetime
    step: Annotated[str, Field(max_length=60)] | None = None

    @model_validator(mode="after")
    def _step_only_when_abandoned(self) -> "CallEvent":
        if (self.kind == "abandoned") != (self.step is not None):
            raise ValueError("an abandoned call names its menu step; other events name none")
        return self

    def contribution(self) -> tuple[str, str]:
        if self.kind == "abandoned":
            return ABANDONED_METRIC, self.step or ""
        if self.kind in CONVERSATION_KINDS:
            return CONVERSATION_METRIC, self.kind
        return CALL_METRIC, self.kind


# How a transaction inquiry ended in the conversation, then how its SMS follow-up ended.
InquiryOutcome = Literal[
    "answered", "no_match", "limited", "unavailable", "sms_answered", "sms_no_match", "sms_gave_up"
]
FOLLOW_UP_OUTCOMES: tuple[InquiryOutcome, ...] = ("sms_answered", "sms_no_match", "sms_gave_up")
PHONE_CHANNEL = "voice"


class TransactionInquiry(BaseModel):
    """One outcome of a resident's question about a transaction (bot/transactions): an
    inquiry counts once with its conversation's outcome, and once more if an SMS finished it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=120)]
    kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    outcome: InquiryOutcome
    channel: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
    at: datetime

    def value(self) -> str:
        """Its key in the sums: `kind:outcome:channel`."""
        return f"{self.kind}:{self.outcome}:{self.channel}"


RangeProblem = Literal["not_a_date", "reversed", "too_long", "too_early", "future"]


class RangeRefused(ValueError):
    """A date range the figures cannot be asked for; `problem` names why, for the page."""

    def __init__(self, problem: RangeProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def check_range(start: date, end: date, today: date) -> None:
    """Refuse a reversed, over-long, pre-2000 or wholly future range."""
    if end < start:
        raise RangeRefused("reversed", "the range ends before it starts")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise RangeRefused("too_long", f"the range is limited to {MAX_RANGE_DAYS} days")
    if start < EARLIEST_DAY:
        raise RangeRefused("too_early", f"the range cannot start before {EARLIEST_DAY}")
    if start > today:
        raise RangeRefused("future", "the range starts after today: nothing happened yet")


class KpiFilter(BaseModel):
    """Local calendar days `start`..`end` (both included), optionally one district/category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date
    district: Annotated[str, Field(max_length=40)] | None = None
    category: Annotated[str, Field(max_length=40)] | None = None

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> "KpiFilter":
        if self.end < self.start:
            raise ValueError("the range ends before it starts")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"the range is limited to {MAX_RANGE_DAYS} days")
        if self.start < EARLIEST_DAY:
            raise ValueError(f"the range cannot start before {EARLIEST_DAY}")
        if self.end >= date.max:
            raise ValueError("the range must end before the calendar does")
        return self

    @property
    def days(self) -> list[str]:
        span = (self.end - self.start).days + 1
        return [(self.start + timedelta(days=n)).isoformat() for n in range(span)]

    @property
    def end_exclusive(self) -> str:
        return (self.end + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class KpiTotals:
    """What a store sums: contributions of complaints created in range, open ones by day, calls."""

    metrics: dict[str, dict[str, int]]
    created_by_day: dict[str, int]
    open_by_day: dict[str, int]
    calls: dict[str, dict[str, int]]
    inquiries: dict[str, int]  # TransactionInquiry.value() -> how many


class Durations(BaseModel):
    count: int
    median_hours: float | None
    p90_hours: float | None


class SlaFigures(BaseModel):
    met: int
    missed: int
    compliance: float | None


class Reopens(BaseModel):
    resolved: int
    reopened: int
    rate: float | None


class Satisfaction(BaseModel):
    count: int
    average: float | None
    distribution: dict[str, int]


class CallFigures(BaseModel):
    """Calls started in the range; each has one outcome, or none yet (`unfinished`)."""

    calls: int
    self_service: int
    transferred: int
    abandoned: int
    unfinished: int
    abandoned_by_step: dict[str, int]
    busy: int


class TransactionFigures(BaseModel):
    """Transaction inquiries in the range: by type and by how they ended (the SMS follow-ups'
    outcomes on top), and those the 940 line answered without an employee."""

    inquiries: int
    by_type: dict[str, int]
    by_outcome: dict[str, int]
    answered_by_phone: int


def transaction_figures(inquiries: dict[str, int]) -> TransactionFigures:
    by_type: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    answered_by_phone = 0
    for value, count in inquiries.items():
        kind, outcome, channel = value.split(":", 2)
        by_outcome[outcome] = by_outcome.get(outcome, 0) + count
        if outcome not in FOLLOW_UP_OUTCOMES:
            by_type[kind] = by_type.get(kind, 0) + count
        if outcome == "answered" and channel == PHONE_CHANNEL:
            answered_by_phone += count
    return TransactionFigures(
        inquiries=sum(by_type.values()),
        by_type=_sorted_counts(by_type),
        by_outcome=_sorted_counts(by_outcome),
        answered_by_phone=answered_by_phone,
    )


class KpiReport(BaseModel):
    start: date
    end: date
    district: str | None
    category: str | None
    total: int  # created in the range…
    open: int  # …of them still open today
    closed: int  # …of them no longer open (resolved, closed, rejected, duplicate)
    ageing: dict[str, int]  # the open ones by age today; only ages the range can reach
    backlog: int  # open today, whatever the creation date (the board, the queue)
    subscriptions: int  # residents who joined these reports instead of filing duplicates
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_district: dict[str, int]
    by_day: dict[str, int]
    by_hour: list[int]
    first_response: Durations
    resolution: Durations
    sla: SlaFigures
    reopens: Reopens
    satisfaction: Satisfaction
    calls: CallFigures
    out_of_scope: int  # questions outside the municipality's work, on every channel
    transactions: TransactionFigures
    inbox: DeskFigures  # the agent inbox (not narrowed by district or category)


def _percentile(histogram: dict[str, int], fraction: float) -> float | None:
    """Nearest-rank percentile over a bucket histogram, as the bucket's middle in hours."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket in sorted(histogram, key=int):
        seen += histogram[bucket]
        if seen >= rank:
            return round(bucket_hours(int(bucket)), 3)
    raise AssertionError("unreachable: the ranks add up to the total")


def _durations(histogram: dict[str, int]) -> Durations:
    return Durations(
        count=sum(histogram.values()),
        median_hours=_percentile(histogram, 0.5),
        p90_hours=_percentile(histogram, 0.9),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _ageing(open_by_day: dict[str, int], oldest: date, today: date) -> dict[str, int]:
    """Open complaints by age today, in the buckets a complaint created on or after
    `oldest` can have reached (a 30-day range has no "30+" bucket)."""
    reachable = max((today - oldest).days, 0)
    ageing = {label: 0 for label, first, _ in AGEING if first <= reachable}
    for day, count in open_by_day.items():
        age = max((today - date.fromisoformat(day)).days, 0)  # "tomorrow" locally: new
        for label, first, past in AGEING:
            if age >= first and (past is None or age < past):
                ageing[label] += count
                break
    return ageing


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def build_report(
    filters: KpiFilter, totals: KpiTotals, today: date, inbox: DeskFigures
) -> KpiReport:
    """Turn a store's sums into the dashboard's figures (pure: easy to test, same for all)."""
    metric = totals.metrics.get
    empty: dict[str, int] = {}
    hours = metric("hour", empty)
    sla = metric("sla", empty)
    resolved = sum(metric("resolved_ever", empty).values())
    rated = metric("satisfaction", empty)
    rated_count = sum(rated.values())
    calls = totals.calls.get(CALL_METRIC, empty)
    abandoned = totals.calls.get(ABANDONED_METRIC, empty)
    conversations = totals.calls.get(CONVERSATION_METRIC, empty)
    outcomes = sum(calls.get(kind, 0) for kind in ("self_service", "transferred", "busy"))
    outcomes += sum(abandoned.values())
    days = filters.days
    in_range = {day: n for day, n in totals.open_by_day.items() if days[0] <= day <= days[-1]}
    total = sum(totals.created_by_day.values())
    still_open = sum(in_range.values())
    return KpiReport(
        start=filters.start,
        end=filters.end,
        district=filters.district,
        category=filters.category,
        total=total,
        open=still_open,
        closed=total - still_open,
        ageing=_ageing(in_range, filters.start, today),
        backlog=sum(totals.open_by_day.values()),
        subscriptions=sum(metric(SUBSCRIPTION_METRIC, empty).values()),
        by_channel=_sorted_counts(metric("channel", empty)),
        by_category=_sorted_counts(metric("category", empty)),
        by_district=_sorted_counts(metric("district", empty)),
        by_day={day: totals.created_by_day.get(day, 0) for day in days},
        by_hour=[hours.get(f"{hour:02d}", 0) for hour in range(24)],
        first_response=_durations(metric("first_response", empty)),
        resolution=_durations(metric("resolution", empty)),
        sla=SlaFigures(
            met=sla.get("met", 0),
            missed=sla.get("missed", 0),
            compliance=_ratio(sla.get("met", 0), sla.get("met", 0) + sla.get("missed", 0)),
        ),
        reopens=Reopens(
            resolved=resolved,
            reopened=sum(metric("reopened", empty).values()),
            rate=_ratio(sum(metric("reopened", empty).values()), resolved),
        ),
        satisfaction=Satisfaction(
            count=rated_count,
            average=(
                round(sum(int(score) * n for score, n in rated.items()) / rated_count, 2)
                if rated_count
                else None
            ),
            distribution={str(score): rated.get(str(score), 0) for score in range(1, 6)},
        ),
        calls=CallFigures(
            calls=calls.get("started", 0),
            self_service=calls.get("self_service", 0),
            transferred=calls.get("transferred", 0),
            abandoned=sum(abandoned.values()),
            unfinished=max(calls.get("started", 0) - outcomes, 0),
            abandoned_by_step=_sorted_counts(abandoned),
            busy=calls.get("busy", 0),
        ),
        out_of_scope=conversations.get("out_of_scope", 0),
        transactions=transaction_figures(totals.inquiries),
        inbox=inbox,
    )
