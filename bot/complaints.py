"""The complaint service: every way a complaint is created or changed goes through here.

Each change is validated against the workflow, written with its history entry in one
store write (optimistic version check), and retried if another writer got there first.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.catalogue import Catalogue
from bot.channel_directory import ChannelInfo
from bot.classification import classify
from bot.clock import to_ms, utc_now
from bot.complaint_record import Attachment, Complaint, HistoryEntry, Location, Subscriber, Why
from bot.dispatch import choose_team
from bot.metrics import SLA_BREACHES
from bot.notifications.message import OutboxMessage
from bot.phone import PhoneNotServed, country_code, normalise_phone
from bot.phone_check import PhoneCodes, Proof
from bot.priority import assess_priority
from bot.reference import ReferenceKey
from bot.settings import Settings
from bot.sla import deadline
from bot.store.base import (
    DuplicateReference,
    InsertResult,
    Store,
    VersionConflict,
    remind_watch_ms,
)
from bot.text import CleanText
from bot.types import OPEN_STATUSES, Channel, Language, Priority, Role, Status
from bot.upload_claims import claim_uploads
from bot.workflow import ActorKind, check_transition

log = logging.getLogger(__name__)
REFERENCE_SEQUENCE = "complaint_reference"
MAX_DESCRIPTION = 4000  # Open311's limit too
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# A new reference equal to one made before references were keyed is skipped; a few in a row
# would mean something else is wrong.
REFERENCE_ATTEMPTS = 5
# The history field of a staff message to the citizen (the planner sends it to them).
STAFF_REPLY = "reply"
CONFLICT_RETRIES = 5
MAX_ATTACHMENTS = 20


class ComplaintNotFound(LookupError):
    pass


class NotPermitted(PermissionError):
    """The actor may not touch this complaint at all (a field team member, another team's)."""


class UnknownCode(ValueError):
    """A category, district or team code the catalogue does not have."""


class ChangeRefused(ValueError):
    """A change that is well-formed but not allowed (reopen window passed, no team yet…).

    `reason` names the rule for pages that explain it in their language; `state` is the
    complaint's status when the rule depends on it.
    """

    def __init__(self, reason: str, message: str, state: Status | None = None) -> None:
        super().__init__(f"{message} (the complaint is '{state}')" if state else message)
        self.reason = reason
        self.state = state


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a staff username with a role, the citizen, or the system."""

    name: str
    kind: ActorKind
    team: str | None = None

    @property
    def is_staff(self) -> bool:
        return isinstance(self.kind, Role)


SYSTEM = Actor("system", "system")
CITIZEN = Actor("citizen", "citizen")


def dialogue_report_key(conversation: str, started: float | None) -> str:
    """The idempotency key of the report a dialogue conversation began at `started`: the same
    report retried (a repeated action call, "try again") is one complaint."""
    return f"{dialogue_reports(conversation)}{started}"[:200]


def dialogue_reports(conversation: str) -> str:
    """The prefix every report key of one conversation starts with."""
    return f"rasa:{conversation}:"


class NewComplaint(BaseModel):
    """What a channel knows when a citizen reports something."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    language: Language
    description: Annotated[CleanText, Field(min_length=1, max_length=MAX_DESCRIPTION)]
    category: str | None = None
    district: str | None = None
    location: Location | None = None
    phone: str | None = None
    name: Annotated[CleanText, Field(max_length=100)] | None = None
    email: Annotated[str, Field(max_length=254, pattern=EMAIL)] | None = None
    attachments: list[Attachment] = []
    sources: dict[str, str] = {}
    idempotency_key: Annotated[str, Field(max_length=200)] | None = None
    # True only when the channel itself proves `phone` (caller id, sender, shared contact).
    phone_verified: bool = False


@dataclass(frozen=True)
class IntakeRules:
    """What the settings decide for new complaints: how references are made, how an unproven
    phone proves itself, and which countries' phones are served; and which channels answer
    their citizens at a contact of their own (a Telegram chat) rather than by phone."""

    references: ReferenceKey
    phone_codes: PhoneCodes
    country_codes: frozenset[int]
    own_contact: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings, channels: Iterable[ChannelInfo]) -> "IntakeRules":
        return cls(
            references=ReferenceKey(settings.secret_key.get_secret_value()),
            phone_codes=PhoneCodes.from_settings(settings),
            country_codes=frozenset(settings.phone_country_codes),
            own_contact=frozenset(info.code for info in channels if info.contact_source),
        )

    def serves(self, phone: str) -> bool:
        return country_code(phone) in self.country_codes


@dataclass
class _Change:
    """History entries collected while one change is applied."""

    actor: Actor
    at: datetime
    entries: list[HistoryEntry] = field(default_factory=list)

    def record(
        self,
        field_name: str,
        old: str | None,
        new: str | None,
        reason: str = "",
        *,
        internal: bool = False,
        why: Why | None = None,
    ) -> None:
        self.entries.append(
            HistoryEntry(
                at=self.at,
                actor=self.actor.name,
                field=field_name,
                old=old,
                new=new,
                reason=reason,
                internal=internal,
                reason_key=why.key if why else None,
                reason_values=why.values if why else {},
            )
        )


class ChangeNotifier(Protocol):
    """Plans the messages a complaint write causes; they are committed with that write."""

    async def messages_for(
        self, before: Complaint | None, after: Complaint
    ) -> list[OutboxMessage]: ...


class ComplaintService:
    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        notifier: ChangeNotifier | None = None,
        *,
        rules: IntakeRules,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.notifier = notifier
        self.rules = rules

    async def create(self, report: NewComplaint, actor: Actor) -> InsertResult:
        """Classify, prioritise, dispatch and commit; the reference exists only once committed.

        A phone nobody proved must be in a served country (PhoneNotServed otherwise), and is
        sent one code (bot/phone_check.py) unless the citizen is answered at their channel's
        own contact (a Telegram chat).
        """
        self._check_codes(category=report.category, district=report.district)
        phone = normalise_phone(report.phone) if report.phone else None
        verified = phone is None or report.phone_verified
        if phone is not None and not verified and not self.rules.serves(phone):
            raise PhoneNotServed(self.rules.country_codes)
        now = utc_now()
        change = _Change(actor, now)
        change.record(
            "created",
            None,
            Status.NEW,
            f"reported via {report.channel}",
            why=Why("reported_via", {"channel": report.channel}),
        )

        category = report.category
        if category is None:
            classification = classify(report.description, self.catalogue)
            category = classification.category
            change.record(
                "category",
                None,
                category,
                classification.reason,
                internal=True,
                why=classification.why,
            )
        priority, department, team = await self._triage(
            category, report.district, report.description, change
        )
        status = Status.NEW
        if team is not None:
            change.record(
                "status",
                Status.NEW,
                Status.ASSIGNED,
                f"dispatched to {team}",
                why=Why("dispatched", {"team": team}),
            )
            status = Status.ASSIGNED

        needs_code = not verified and report.channel not in self.rules.own_contact
        for _ in range(REFERENCE_ATTEMPTS):
            sequence = await self.store.next_sequence(REFERENCE_SEQUENCE)
            complaint = Complaint(
                reference=self.rules.references.reference(sequence),
                sequence=sequence,
                channel=report.channel,
                language=report.language,
                category=category,
                description=report.description,
                district=report.district,
                location=report.location,
                phone=phone,
                phone_verified=verified,
                phone_check=self.rules.phone_codes.new_check(now) if needs_code else None,
                name=report.name,
                email=report.email,
                attachments=report.attachments,
                priority=priority,
                status=status,
                department=department,
                team=team,
                sla_due_at=self.sla_due(category, priority, now),
                sla_remind_at=self.sla_remind(category, priority, now),
                created_at=now,
                updated_at=now,
                sources=report.sources,
                idempotency_key=report.idempotency_key,
                history=change.entries,
            )
            messages = await self._messages(None, complaint)
            await claim_uploads(self.store, complaint.attachments)
            try:
                return await self.store.insert_complaint(complaint, messages)
            except DuplicateReference:
                log.warning("reference %s is taken already; skipping it", complaint.reference)
        raise DuplicateReference(f"{REFERENCE_ATTEMPTS} references in a row were taken")

    async def _triage(
        self, category: str | None, district: str | None, description: str, change: _Change
    ) -> tuple[Priority, str, str | None]:
        """Priority, department and field team for a report, each reason written to history."""
        if category is None:
            department = self.catalogue.intake_department
            change.record(
                "department", None, department, "unclassified: intake queue", why=Why("intake")
            )
            return "P3", department, None
        decision = assess_priority(description, category, self.catalogue)
        change.record(
            "priority", None, decision.priority, decision.reason, internal=True, why=decision.why
        )
        candidates = [team.code for team in self.catalogue.teams_serving(category, district)]
        workload = await self.store.open_workload(candidates) if candidates else {}
        dispatch = choose_team(category, district, self.catalogue, workload)
        change.record("team", None, dispatch.team, dispatch.reason, internal=True, why=dispatch.why)
        return decision.priority, dispatch.department, dispatch.team

    def _sla_hours(self, category: str | None, priority: Priority) -> float:
        if category is None:
            return self.catalogue.intake_sla_hours
        return self.catalogue.category(category).sla_hours[priority]

    def sla_due(self, category: str | None, priority: Priority, start: datetime) -> datetime:
        """Clock hours for P1, working hours otherwise (bot/sla.py)."""
        hours = self._sla_hours(category, priority)
        return deadline(start, hours, priority, self.catalogue.working_hours)

    def sla_remind(self, category: str | None, priority: Priority, start: datetime) -> datetime:
        hours = self._sla_hours(category, priority) * self.catalogue.sla_reminder_fraction
        return deadline(start, hours, priority, self.catalogue.working_hours)

    def _check_codes(
        self, *, category: str | None = None, district: str | None = None, team: str | None = None
    ) -> None:
        if category is not None and category not in self.catalogue.categories:
            raise UnknownCode(f"unknown category '{category}'")
        if district is not None and district not in self.catalogue.districts:
            raise UnknownCode(f"unknown district '{district}'")
        if team is not None and team not in self.catalogue.teams:
            raise UnknownCode(f"unknown team '{team}'")

    async def get(self, reference: str) -> Complaint:
        complaint = await self.store.get_complaint(reference)
        if complaint is None:
            raise ComplaintNotFound(reference)
        return complaint

    async def _apply(
        self, reference: str, actor: Actor, edit: Callable[[Complaint, _Change], None]
    ) -> Complaint:
        """Read, edit, write with a version check; on a concurrent write, start again."""
        for _ in range(CONFLICT_RETRIES):
            current = await self.get(reference)
            if actor.kind == Role.FIELD and current.team != actor.team:
                raise NotPermitted(f"{reference} belongs to another team")
            change = _Change(actor, utc_now())
            draft = current.model_copy(deep=True)
            edit(draft, change)
            if not change.entries:
                return current
            draft.history = [*current.history, *change.entries]
            draft.updated_at = change.at
            draft.version = current.version + 1
            messages = await self._messages(current, draft)
            try:
                await self.store.replace_complaint(draft, current.version, messages)
            except VersionConflict:
                continue
            return draft
        raise VersionConflict(reference)

    async def change_status(
        self, reference: str, status: Status, actor: Actor, note: str = "", why: Why | None = None
    ) -> Complaint:
        """`why` words a note the system writes for the citizen (pages translate it)."""

        def edit(complaint: Complaint, change: _Change) -> None:
            check_transition(complaint.status, status, actor.kind)
            if complaint.status == Status.RESOLVED and status == Status.IN_PROGRESS:
                self._check_reopen_window(complaint, change.at)
            if status == Status.ASSIGNED and complaint.team is None:
                raise ChangeRefused(
                    "team_required",
                    "assign a team before marking the complaint assigned",
                    complaint.status,
                )
            change.record("status", complaint.status, status, note, why=why)
            complaint.status = status
            if status == Status.RESOLVED:
                complaint.resolved_at = change.at
            elif status == Status.IN_PROGRESS:
                complaint.resolved_at = None

        return await self._apply(reference, actor, edit)

    def _check_reopen_window(self, complaint: Complaint, now: datetime) -> None:
        window = timedelta(days=self.catalogue.reopen_days)
        if complaint.resolved_at is not None and now - complaint.resolved_at > window:
            raise ChangeRefused(
                "reopen_window",
                f"a complaint can be reopened within {self.catalogue.reopen_days} days "
                "of its resolution",
            )

    async def assign(
        self,
        reference: str,
        actor: Actor,
        *,
        team: str | None = None,
        assignee: str | None = None,
        note: str = "",
    ) -> Complaint:
        self._check_codes(team=team)

        def edit(complaint: Complaint, change: _Change) -> None:
            if complaint.status not in (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS):
                raise ChangeRefused(
                    "not_reassignable", "only an open complaint can be reassigned", complaint.status
                )
            if team is not None and team != complaint.team:
                change.record("team", complaint.team, team, note)
                complaint.team = team
                complaint.department = self.catalogue.teams[team].department
            if assignee is not None and assignee != complaint.assignee:
                change.record("assignee", complaint.assignee, assignee, note)
                complaint.assignee = assignee
            if change.entries and complaint.status == Status.NEW:
                if complaint.team is None:
                    raise ChangeRefused(
                        "team_required", "choose a team to assign a new complaint", complaint.status
                    )
                check_transition(complaint.status, Status.ASSIGNED, actor.kind)
                change.record("status", Status.NEW, Status.ASSIGNED, note)
                complaint.status = Status.ASSIGNED

        return await self._apply(reference, actor, edit)

    async def mark_duplicate(
        self, reference: str, original: str, actor: Actor, note: str = ""
    ) -> Complaint:
        if original == reference:
            raise ChangeRefused("duplicate_self", "a complaint cannot duplicate itself")
        first = await self.get(original)
        if first.status == Status.DUPLICATE:
            raise ChangeRefused(
                "original_is_duplicate", f"{original} is itself a duplicate of {first.duplicate_of}"
            )

        def edit(complaint: Complaint, change: _Change) -> None:
            check_transition(complaint.status, Status.DUPLICATE, actor.kind)
            change.record("status", complaint.status, Status.DUPLICATE, note)
            change.record("duplicate_of", None, original, note)
            complaint.status = Status.DUPLICATE
            complaint.duplicate_of = original

        return await self._apply(reference, actor, edit)

    async def record_sla_breach(self, reference: str) -> Complaint:
        """Mark an open complaint whose due time has passed; a second call changes nothing."""

        recorded = False  # by the edit that was written: once across workers

        def edit(complaint: Complaint, change: _Change) -> None:
            nonlocal recorded
            overdue = change.at >= complaint.sla_due_at
            recorded = (
                complaint.status in OPEN_STATUSES and overdue and not complaint.sla_breached_at
            )
            if recorded:
                due = complaint.sla_due_at.isoformat(timespec="minutes")
                why = Why("sla_due", {"due": due})
                change.record("sla", None, "breached", f"due {due}", internal=True, why=why)
                complaint.sla_breached_at = change.at

        breached = await self._apply(reference, SYSTEM, edit)
        if recorded:
            SLA_BREACHES.inc()
        return breached

    async def record_sla_reminder(self, reference: str) -> Complaint:
        """Mark that the reminder time passed (the notifier tells the employee); once only."""

        def edit(complaint: Complaint, change: _Change) -> None:
            watch = remind_watch_ms(complaint)
            if watch is not None and to_ms(change.at) >= watch:
                due = complaint.sla_due_at.isoformat(timespec="minutes")
                why = Why("sla_due", {"due": due})
                change.record("sla", None, "reminded", f"due {due}", internal=True, why=why)
                complaint.sla_reminded_at = change.at

        return await self._apply(reference, SYSTEM, edit)

    async def _messages(self, before: Complaint | None, after: Complaint) -> list[OutboxMessage]:
        return await self.notifier.messages_for(before, after) if self.notifier else []

    async def add_note(self, reference: str, actor: Actor, note: str) -> Complaint:
        def edit(complaint: Complaint, change: _Change) -> None:
            change.record("note", None, None, note, internal=True)

        return await self._apply(reference, actor, edit)

    async def post_message(self, reference: str, actor: Actor, text: str) -> Complaint:
        """A message the citizen sees on the timeline: their comment, or a staff reply
        (which the notifier also sends them, committed with it)."""
        if not text.strip():
            raise ChangeRefused("message_empty", "a message needs some text")
        field_name = STAFF_REPLY if actor.is_staff else "comment"

        def edit(complaint: Complaint, change: _Change) -> None:
            change.record(field_name, None, None, text)

        return await self._apply(reference, actor, edit)

    async def add_attachment(
        self, reference: str, actor: Actor, attachment: Attachment
    ) -> Complaint:
        return await self.add_details(reference, actor, attachment, None)

    async def add_details(
        self,
        reference: str,
        actor: Actor,
        attachment: Attachment | None,
        location: Location | None,
    ) -> Complaint:
        """A photo and/or the place, added after the report (a caller's SMS link does both).
        An attachment the complaint has already (a retried job's) is not added again."""

        def edit(complaint: Complaint, change: _Change) -> None:
            if attachment is not None and all(
                item.storage_key != attachment.storage_key for item in complaint.attachments
            ):
                if len(complaint.attachments) >= MAX_ATTACHMENTS:
                    raise ChangeRefused(
                        "attachments_full",
                        f"a complaint keeps at most {MAX_ATTACHMENTS} attachments",
                    )
                change.record("attachment", None, attachment.storage_key, attachment.kind)
                complaint.attachments = [*complaint.attachments, attachment]
            if location is not None:
                change.record("location", _place(complaint.location), _place(location))
                complaint.location = location

        return await self._apply(reference, actor, edit)

    async def subscribe(self, reference: str, subscriber: Subscriber) -> Complaint:
        """A resident with the same problem joins this open report instead of filing a
        duplicate; they are told of its progress. Joining twice changes nothing."""

        def edit(complaint: Complaint, change: _Change) -> None:
            if complaint.status not in OPEN_STATUSES:
                raise ChangeRefused(
                    "not_open", "only an open report can be joined", complaint.status
                )
            reached = {(s.phone, s.contact) for s in complaint.subscribers}
            if (subscriber.phone, subscriber.contact) in reached or (
                subscriber.phone is not None and subscriber.phone == complaint.phone
            ):
                return
            why = Why("subscribed", {"channel": subscriber.channel})
            change.record("subscriber", None, subscriber.channel, "joined", why=why)
            complaint.subscribers = [
                *complaint.subscribers,
                subscriber.model_copy(update={"at": change.at}),
            ]

        return await self._apply(reference, CITIZEN, edit)

    async def verify_phone(self, reference: str, typed: str) -> Proof:
        """The resident enters the code sent to the complaint's phone. Right: the phone is
        verified and the messages held for it leave; wrong: one attempt fewer is left."""
        codes = self.rules.phone_codes
        outcome = Proof.NOT_NEEDED

        def edit(complaint: Complaint, change: _Change) -> None:
            nonlocal outcome
            check = complaint.phone_check
            if complaint.phone_verified or check is None:
                outcome = Proof.NOT_NEEDED
            elif change.at >= check.expires_at:
                outcome = Proof.EXPIRED
            elif check.attempts >= codes.attempts:
                outcome = Proof.EXHAUSTED
            elif codes.matches(complaint.reference, typed):
                change.record("phone", None, "verified", "code entered", internal=True)
                complaint.phone_verified, complaint.phone_check = True, None
                outcome = Proof.VERIFIED
            else:
                tries = check.attempts + 1
                reason = f"wrong code ({tries}/{codes.attempts})"
                change.record("phone", None, "code_refused", reason, internal=True)
                complaint.phone_check = check.model_copy(update={"attempts": tries})
                outcome = Proof.EXHAUSTED if tries >= codes.attempts else Proof.WRONG

        complaint = await self._apply(reference, CITIZEN, edit)
        if complaint.phone_verified and complaint.phone:
            # after the write: a release lost to a crash is done by the next attempt
            await self.store.release_held(complaint.reference, utc_now())
        return outcome

    async def drop_attachments(
        self, reference: str, storage_keys: set[str], reason: str
    ) -> Complaint:
        """Take these files off the complaint (they were deleted), noting each and why."""

        def edit(complaint: Complaint, change: _Change) -> None:
            for attachment in complaint.attachments:
                if attachment.storage_key in storage_keys:
                    change.record("attachment", attachment.storage_key, None, reason)
            complaint.attachments = [
                item for item in complaint.attachments if item.storage_key not in storage_keys
            ]

        return await self._apply(reference, SYSTEM, edit)

    async def rate(self, reference: str, actor: Actor, score: int) -> Complaint:
        """The citizen's satisfaction (1-5), once, after the work is done."""
        if not 1 <= score <= 5:
            raise ChangeRefused("rating_range", "a rating is a whole number from 1 to 5")

        def edit(complaint: Complaint, change: _Change) -> None:
            if complaint.status not in (Status.RESOLVED, Status.CLOSED):
                raise ChangeRefused(
                    "not_rateable", "a report can be rated once it is resolved", complaint.status
                )
            if complaint.satisfaction is not None:
                raise ChangeRefused("already_rated", "this report is already rated")
            change.record("satisfaction", None, str(score))
            complaint.satisfaction = score

        return await self._apply(reference, actor, edit)


def _place(location: Location | None) -> str | None:
    """A location as its history entry shows it: the coordinates, else the address."""
    if location is None:
        return None
    if location.lat is not None and location.lng is not None:
        return f"{location.lat:.5f}, {location.lng:.5f}"
    return location.address
