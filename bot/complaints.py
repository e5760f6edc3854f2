"""The complaint service: every way a complaint is created or changed goes through here.

Each change is validated against the workflow, written with its history entry in one
store write (optimistic version check), and retried if another writer got there first.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bot.catalogue import Catalogue
from bot.classification import classify
from bot.clock import to_ms, utc_now
from bot.complaint_record import Attachment, Complaint, HistoryEntry, Location
from bot.dispatch import choose_team
from bot.metrics import SLA_BREACHES
from bot.notifications.message import OutboxMessage
from bot.phone import normalise_phone
from bot.priority import assess_priority
from bot.reference import reference_for_sequence
from bot.sla import deadline
from bot.store.base import InsertResult, Store, VersionConflict, remind_watch_ms
from bot.types import OPEN_STATUSES, Channel, Language, Priority, Role, Status
from bot.workflow import ActorKind, check_transition

REFERENCE_SEQUENCE = "complaint_reference"
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
    """A change that is well-formed but not allowed (unknown team, reopen window passed…)."""


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


class NewComplaint(BaseModel):
    """What a channel knows when a citizen reports something."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    language: Language
    description: Annotated[str, Field(min_length=1, max_length=4000)]
    category: str | None = None
    district: str | None = None
    location: Location | None = None
    phone: str | None = None
    name: Annotated[str, Field(max_length=100)] | None = None
    attachments: list[Attachment] = []
    sources: dict[str, str] = {}
    idempotency_key: Annotated[str, Field(max_length=200)] | None = None


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
            )
        )


class ChangeNotifier(Protocol):
    """Plans the messages a complaint write causes; they are committed with that write."""

    async def messages_for(
        self, before: Complaint | None, after: Complaint
    ) -> list[OutboxMessage]: ...


class ComplaintService:
    def __init__(
        self, store: Store, catalogue: Catalogue, notifier: ChangeNotifier | None = None
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.notifier = notifier

    async def create(self, report: NewComplaint, actor: Actor) -> InsertResult:
        """Classify, prioritise, dispatch and commit; the reference exists only once committed."""
        self._check_codes(category=report.category, district=report.district)
        phone = normalise_phone(report.phone) if report.phone else None
        now = utc_now()
        change = _Change(actor, now)
        change.record("created", None, Status.NEW, f"reported via {report.channel}")

        category = report.category
        if category is None:
            classification = classify(report.description, self.catalogue)
            category = classification.category
            change.record("category", None, category, classification.reason, internal=True)
        priority, department, team = await self._triage(
            category, report.district, report.description, change
        )
        status = Status.NEW
        if team is not None:
            change.record("status", Status.NEW, Status.ASSIGNED, f"dispatched to {team}")
            status = Status.ASSIGNED

        sequence = await self.store.next_sequence(REFERENCE_SEQUENCE)
        complaint = Complaint(
            reference=reference_for_sequence(sequence),
            channel=report.channel,
            language=report.language,
            category=category,
            description=report.description,
            district=report.district,
            location=report.location,
            phone=phone,
            name=report.name,
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
        return await self.store.insert_complaint(complaint, messages)

    async def _triage(
        self, category: str | None, district: str | None, description: str, change: _Change
    ) -> tuple[Priority, str, str | None]:
        """Priority, department and field team for a report, each reason written to history."""
        if category is None:
            department = self.catalogue.intake_department
            change.record("department", None, department, "unclassified: intake queue")
            return "P3", department, None
        decision = assess_priority(description, category, self.catalogue)
        change.record("priority", None, decision.priority, decision.reason, internal=True)
        candidates = [team.code for team in self.catalogue.teams_serving(category, district)]
        workload = await self.store.open_workload(candidates) if candidates else {}
        dispatch = choose_team(category, district, self.catalogue, workload)
        change.record("team", None, dispatch.team, dispatch.reason, internal=True)
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
        self, reference: str, status: Status, actor: Actor, note: str = ""
    ) -> Complaint:
        def edit(complaint: Complaint, change: _Change) -> None:
            check_transition(complaint.status, status, actor.kind)
            if complaint.status == Status.RESOLVED and status == Status.IN_PROGRESS:
                self._check_reopen_window(complaint, change.at)
            if status == Status.ASSIGNED and complaint.team is None:
                raise ChangeRefused("assign a team before marking the complaint assigned")
            change.record("status", complaint.status, status, note)
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
                f"a complaint can be reopened within {self.catalogue.reopen_days} days "
                "of its resolution"
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
                raise ChangeRefused(f"a {complaint.status} complaint cannot be reassigned")
            if team is not None and team != complaint.team:
                change.record("team", complaint.team, team, note)
                complaint.team = team
                complaint.department = self.catalogue.teams[team].department
            if assignee is not None and assignee != complaint.assignee:
                change.record("assignee", complaint.assignee, assignee, note)
                complaint.assignee = assignee
            if change.entries and complaint.status == Status.NEW:
                if complaint.team is None:
                    raise ChangeRefused("choose a team to assign a new complaint")
                check_transition(complaint.status, Status.ASSIGNED, actor.kind)
                change.record("status", Status.NEW, Status.ASSIGNED, note)
                complaint.status = Status.ASSIGNED

        return await self._apply(reference, actor, edit)

    async def mark_duplicate(
        self, reference: str, original: str, actor: Actor, note: str = ""
    ) -> Complaint:
        if original == reference:
            raise ChangeRefused("a complaint cannot duplicate itself")
        first = await self.get(original)
        if first.status == Status.DUPLICATE:
            raise ChangeRefused(f"{original} is itself a duplicate of {first.duplicate_of}")

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
                change.record("sla", None, "breached", f"due {due}", internal=True)
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
                change.record("sla", None, "reminded", f"due {due}", internal=True)
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
            raise ChangeRefused("a message needs some text")
        field_name = STAFF_REPLY if actor.is_staff else "comment"

        def edit(complaint: Complaint, change: _Change) -> None:
            change.record(field_name, None, None, text)

        return await self._apply(reference, actor, edit)

    async def add_attachment(
        self, reference: str, actor: Actor, attachment: Attachment
    ) -> Complaint:
        def edit(complaint: Complaint, change: _Change) -> None:
            if len(complaint.attachments) >= MAX_ATTACHMENTS:
                raise ChangeRefused(f"a complaint keeps at most {MAX_ATTACHMENTS} attachments")
            change.record("attachment", None, attachment.storage_key, attachment.kind)
            complaint.attachments = [*complaint.attachments, attachment]

        return await self._apply(reference, actor, edit)

    async def rate(self, reference: str, actor: Actor, score: int) -> Complaint:
        """The citizen's satisfaction (1-5), once, after the work is done."""
        if not 1 <= score <= 5:
            raise ChangeRefused("a rating is a whole number from 1 to 5")

        def edit(complaint: Complaint, change: _Change) -> None:
            if complaint.status not in (Status.RESOLVED, Status.CLOSED):
                raise ChangeRefused("a report can be rated once it is resolved")
            if complaint.satisfaction is not None:
                raise ChangeRefused("this report is already rated")
            change.record("satisfaction", None, str(score))
            complaint.satisfaction = score

        return await self._apply(reference, actor, edit)
