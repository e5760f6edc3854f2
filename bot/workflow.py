"""Which status may follow which, and who may make each move.

`citizen` and `system` sit beside the staff roles: a citizen may confirm a fix or
reopen within the catalogue's reopen window; the system dispatches new reports.
"""

from typing import Literal

from bot.types import Language, Role, Status
from bot.words import N_, text

ActorKind = Role | Literal["citizen", "system"]
STAFF_DESK = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
FIELD_WORK = frozenset({Role.FIELD, Role.SUPERVISOR, Role.ADMIN})

TRANSITIONS: dict[tuple[Status, Status], frozenset[ActorKind]] = {
    (Status.NEW, Status.ASSIGNED): STAFF_DESK | {"system"},
    (Status.NEW, Status.REJECTED): STAFF_DESK,
    (Status.NEW, Status.DUPLICATE): STAFF_DESK,
    (Status.ASSIGNED, Status.IN_PROGRESS): FIELD_WORK,
    (Status.ASSIGNED, Status.REJECTED): MANAGERS,
    (Status.ASSIGNED, Status.DUPLICATE): STAFF_DESK,
    (Status.IN_PROGRESS, Status.RESOLVED): FIELD_WORK,
    (Status.IN_PROGRESS, Status.DUPLICATE): MANAGERS,
    (Status.RESOLVED, Status.CLOSED): MANAGERS | {"citizen", "system"},
    (Status.RESOLVED, Status.IN_PROGRESS): MANAGERS | {"citizen"},
}

STATUS_LABELS: dict[Status, str] = {
    Status.NEW: N_("status.new"),
    Status.ASSIGNED: N_("status.assigned"),
    Status.IN_PROGRESS: N_("status.in_progress"),
    Status.RESOLVED: N_("status.resolved"),
    Status.CLOSED: N_("status.closed"),
    Status.REJECTED: N_("status.rejected"),
    Status.DUPLICATE: N_("status.duplicate"),
}


def status_label(status: Status, language: Language) -> str:
    """What a status is called for citizens and staff."""
    return text(STATUS_LABELS[status], language)


class TransitionRefused(Exception):
    """A move the workflow does not allow; says where the complaint is and where it can go."""

    def __init__(self, current: Status, requested: Status, allowed: tuple[Status, ...]) -> None:
        super().__init__(current, requested, allowed)
        self.current = current
        self.requested = requested
        self.allowed = allowed

    def __str__(self) -> str:
        allowed = ", ".join(self.allowed) or "none"
        return (
            f"cannot move a complaint from '{self.current}' to '{self.requested}'; "
            f"allowed from '{self.current}': {allowed}"
        )


def allowed_next(current: Status, actor: ActorKind) -> tuple[Status, ...]:
    return tuple(
        target
        for (source, target), actors in TRANSITIONS.items()
        if source == current and actor in actors
    )


def check_transition(current: Status, requested: Status, actor: ActorKind) -> None:
    if requested not in allowed_next(current, actor):
        raise TransitionRefused(current, requested, allowed_next(current, actor))
