"""Small shared vocabularies used across the service and its APIs."""

from enum import StrEnum
from typing import Literal

Language = Literal["ar", "en"]
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


class Channel(StrEnum):
    VOICE = "voice"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    TELEGRAM = "telegram"
    WEBCHAT = "webchat"
    PORTAL = "portal"
    API = "api"
    OPEN311 = "open311"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    FIELD = "field"
    ADMIN = "admin"
