"""Small shared vocabularies used across the service and its APIs."""

import re
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import StringConstraints

Language = Literal["ar", "en"]
LANGUAGES: tuple[Language, ...] = ("ar", "en")  # Arabic first: the default everywhere
Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


OPEN_STATUSES = frozenset({Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS})


# A channel's code on complaints ("voice", "telegram", "portal"…). The set is open: each
# channel registers itself (bot/channel_directory.py, channels/registry.py).
CHANNEL_CODE: Final = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
Channel = Annotated[str, StringConstraints(pattern=CHANNEL_CODE.pattern)]


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    FIELD = "field"
    ADMIN = "admin"
