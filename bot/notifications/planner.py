"""Who is told what when a complaint changes, each in their own language.

- The citizen: created (reference + signed tracking link), assigned, in progress,
  resolved ("is it fixed? 1 / 2"), closed (satisfaction 1–5), rejected, duplicate, and
  every staff reply — on the channel they reported on (WhatsApp, Telegram) or by SMS to
  their phone.
- The employee: a new assignment and the SLA reminder go to the assignee, else to the
  team's supervisors, else to the department's.
- The supervisors of the team and department: an SLA breach.
- Webhook subscribers: every event they subscribed to.

Staff are reached at the first address they gave, in the order of the providers' contact
fields (bot/notifications/providers/registry.py), else in the local outbox; with nobody to
reach, the message waits in the local outbox under the team or department (`team:<code>`),
so the back office still shows it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.complaint_record import Complaint, Subscriber
from bot.complaints import STAFF_REPLY
from bot.notifications.message import PHONE_CHANNELS, MessageChannel, OutboxMessage
from bot.notifications.providers.contact import StaffContacts
from bot.notifications.subscription import RECORD_KIND, WebhookSubscription
from bot.notifications.templates import (
    CITIZEN,
    STAFF,
    CitizenEvent,
    StaffEvent,
    Template,
    render,
)
from bot.notifications.webhook_events import webhook_events, webhook_payload
from bot.phone_check import CODE_EVENT, CODE_PLACEHOLDER
from bot.staff import StaffUser
from bot.store.base import Store
from bot.tracking_link import tracking_url
from bot.types import OPEN_STATUSES, Language, Status
from bot.words import Medium
from bot.workflow import status_label

CITIZEN_STATUS_EVENTS: dict[Status, CitizenEvent] = {
    Status.ASSIGNED: "assigned",
    Status.IN_PROGRESS: "in_progress",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.REJECTED: "rejected",
    Status.DUPLICATE: "duplicate",
}
TIME_FORMAT = "%Y-%m-%d %H:%M"


# Whose words a message takes (bot.words): SMS may need shorter ones than the chat apps.
MEDIUMS: dict[MessageChannel, Medium] = {"sms": "sms", "whatsapp": "chat", "telegram": "chat"}


@dataclass(frozen=True)
class Address:
    channel: MessageChannel
    to: str
    language: Language

    @property
    def medium(self) -> Medium | None:
        return MEDIUMS.get(self.channel)


@dataclass(frozen=True)
class Draft:
    address: Address
    event: str
    body: str
    template_variables: list[str]
    held: bool = False  # waits for the phone to be verified


@dataclass(frozen=True)
class Recipients:
    """Staff usernames to tell, and the desk that holds the message when none can be."""

    usernames: tuple[str, ...]
    desk: str


def resident_address(
    channels: ChannelDirectory,
    channel: str,
    phone: str | None,
    contact: str | None,
    language: Language,
) -> Address | None:
    """Where a resident hears back: as their channel says (its contact, e.g. a Telegram chat,
    else their phone on it, e.g. WhatsApp); failing that, SMS to their phone."""
    info = channels.get(channel)
    if info is not None:
        if info.contact_source and contact:
            return Address(info.notify_via, contact, language)
        if info.contact_source is None and phone is not None:
            return Address(info.notify_via, phone, language)
    if phone is None:
        return None
    return Address("sms", phone, language)


def citizen_address(complaint: Complaint, channels: ChannelDirectory) -> Address | None:
    info = channels.get(complaint.channel)
    source = info.contact_source if info is not None else None
    contact = complaint.sources.get(source) if source else None
    return resident_address(
        channels, complaint.channel, complaint.phone, contact, complaint.language
    )


def subscriber_address(subscriber: Subscriber, channels: ChannelDirectory) -> Address | None:
    return resident_address(
        channels, subscriber.channel, subscriber.phone, subscriber.contact, subscriber.language
    )


def staff_address(user: StaffUser, fields: StaffContacts) -> Address:
    """The first registered contact field the user filled in, else their outbox place."""
    for field in fields:
        to = user.contacts.get(field.key)
        if to:
            return Address(field.channel, to, user.language)
    return Address("local", f"staff:{user.username}", user.language)


def staff_addresses(users: Iterable[StaffUser], desk: str, fields: StaffContacts) -> list[Address]:
    """Where each active user is reached, once per address; with nobody to reach, the
    desk's place in the local outbox (in Arabic), so the back office still shows it."""
    addresses: dict[tuple[str, str], Address] = {}
    for user in users:
        if user.active:
            address = staff_address(user, fields)
            addresses.setdefault((address.channel, address.to), address)
    return list(addresses.values()) or [Address("local", desk, "ar")]


def citizen_event(before: Complaint | None, after: Complaint) -> CitizenEvent | None:
    if before is None:
        return "created"
    if after.status == before.status:
        return None
    return CITIZEN_STATUS_EVENTS.get(after.status)


def staff_replies(before: Complaint | None, after: Complaint) -> list[str]:
    """The texts of the staff replies this write added to the history."""
    added = after.history[len(before.history) :] if before is not None else []
    return [entry.reason for entry in added if entry.field == STAFF_REPLY and not entry.internal]


def newly_assigned(before: Complaint | None, after: Complaint) -> bool:
    if after.status not in OPEN_STATUSES:
        return False
    if before is None:
        return after.team is not None
    new_assignee = after.assignee is not None and after.assignee != before.assignee
    new_team = after.team is not None and after.team != before.team
    return new_assignee or new_team


class NotificationPlanner:
    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        channels: ChannelDirectory,
        staff_contacts: StaffContacts,
        *,
        public_base_url: str,
        secret_key: str,
    ) -> None:
        self.store = store
        self.catalogue = catalogue
        self.channels = channels
        self.staff_contacts = staff_contacts
        self.public_base_url = public_base_url
        self.secret_key = secret_key
        self.zone = ZoneInfo(catalogue.municipality.timezone)

    async def messages_for(self, before: Complaint | None, after: Complaint) -> list[OutboxMessage]:
        """The outbox messages one complaint write causes (`before` is None on creation)."""
        drafts = [
            *self._for_citizen(before, after),
            *self._for_subscribers(before, after),
            *await self._for_staff(before, after),
            *await self._for_webhooks(before, after),
        ]
        now = after.updated_at
        return [
            OutboxMessage(
                id=f"{after.reference}.{after.version}.{index}",
                channel=draft.address.channel,
                to=draft.address.to,
                event=draft.event,
                language=draft.address.language,
                reference=after.reference,
                body=draft.body,
                template_variables=draft.template_variables,
                state="held" if draft.held else "pending",
                due_at=now,
                created_at=now,
                updated_at=now,
            )
            for index, draft in enumerate(drafts)
        ]

    def _for_citizen(self, before: Complaint | None, after: Complaint) -> list[Draft]:
        """Messages to an unverified phone are held until it is verified, except the one that
        carries its code (bot/phone_check.py)."""
        address = citizen_address(after, self.channels)
        if address is None:
            return []
        drafts = self._citizen_drafts(before, after, address)
        if address.channel in PHONE_CHANNELS and not after.phone_verified:
            drafts = [replace(draft, held=True) for draft in drafts]
        if before is None and after.phone_check is not None and after.phone:
            code_to = Address("sms", after.phone, address.language)
            values = {"reference": after.reference, "code": CODE_PLACEHOLDER}
            drafts.insert(0, self._draft(code_to, CODE_EVENT, CITIZEN[CODE_EVENT], values))
        return drafts

    def _citizen_drafts(
        self, before: Complaint | None, after: Complaint, address: Address
    ) -> list[Draft]:
        event = citizen_event(before, after)
        drafts: list[Draft] = []
        if event is not None:
            values = {
                "reference": after.reference,
                "link": tracking_url(self.public_base_url, self.secret_key, after.reference),
                "team": self._unit_name(after, address.language),
                "original": after.duplicate_of or "",
            }
            drafts.append(self._draft(address, event, CITIZEN[event], values))
        for text in staff_replies(before, after):
            values = {"reference": after.reference, "text": text}
            drafts.append(self._draft(address, "reply", CITIZEN["reply"], values))
        return drafts

    def _for_subscribers(self, before: Complaint | None, after: Complaint) -> list[Draft]:
        """A resident who joined hears that they did, then each change of status (not the
        reporter's questions or replies: those are the reporter's)."""
        if before is None:
            return []
        joined = after.subscribers[len(before.subscribers) :]
        moved = citizen_event(before, after) is not None
        drafts: list[Draft] = []
        for subscriber in after.subscribers:
            address = subscriber_address(subscriber, self.channels)
            event: CitizenEvent | None = (
                "subscribed" if subscriber in joined else "followed" if moved else None
            )
            if address is None or event is None:
                continue
            values = {
                "reference": after.reference,
                "status": status_label(after.status, address.language),
            }
            drafts.append(self._draft(address, event, CITIZEN[event], values))
        return drafts

    async def _for_staff(self, before: Complaint | None, after: Complaint) -> list[Draft]:
        drafts: list[Draft] = []
        if newly_assigned(before, after):
            drafts += await self._to_staff("assignment", self._responsible(after), after)
        if before is None:
            return drafts
        if before.sla_reminded_at is None and after.sla_reminded_at is not None:
            drafts += await self._to_staff("sla_reminder", self._responsible(after), after)
        if before.sla_breached_at is None and after.sla_breached_at is not None:
            drafts += await self._to_staff("sla_breach", self._supervisors(after), after)
        return drafts

    async def _for_webhooks(self, before: Complaint | None, after: Complaint) -> list[Draft]:
        events = webhook_events(before, after)
        if not events:
            return []
        subscriptions = await self.store.list_records(RECORD_KIND, WebhookSubscription)
        payloads = {event: webhook_payload(event, after) for event in events}
        return [
            Draft(Address("webhook", subscription.id, "en"), event, payloads[event], [])
            for event in events
            for subscription in subscriptions
            if subscription.wants(event)
        ]

    def _responsible(self, complaint: Complaint) -> Recipients:
        """The assignee, else the team's supervisors, else the department's."""
        if complaint.assignee is not None:
            return Recipients((complaint.assignee,), self._desk(complaint))
        team = self.catalogue.teams.get(complaint.team or "")
        if team is not None and team.supervisors:
            return Recipients(team.supervisors, self._desk(complaint))
        department = self.catalogue.department(complaint.department)
        return Recipients(department.supervisors, self._desk(complaint))

    def _supervisors(self, complaint: Complaint) -> Recipients:
        team = self.catalogue.teams.get(complaint.team or "")
        department = self.catalogue.department(complaint.department)
        usernames = (*(team.supervisors if team else ()), *department.supervisors)
        return Recipients(usernames, self._desk(complaint))

    @staticmethod
    def _desk(complaint: Complaint) -> str:
        return f"team:{complaint.team}" if complaint.team else f"department:{complaint.department}"

    async def _to_staff(
        self, event: StaffEvent, recipients: Recipients, complaint: Complaint
    ) -> list[Draft]:
        users = [await self.store.get_user(username) for username in recipients.usernames]
        known = [user for user in users if user is not None]
        return [
            self._draft(address, event, STAFF[event], self._staff_values(complaint, address))
            for address in staff_addresses(known, recipients.desk, self.staff_contacts)
        ]

    def _staff_values(self, complaint: Complaint, address: Address) -> dict[str, str]:
        language = address.language
        category = self.catalogue.categories.get(complaint.category or "")
        district = self.catalogue.districts.get(complaint.district or "")
        unit = self._unit_name(complaint, language)
        return {
            "reference": complaint.reference,
            "category": category.name.get(language) if category else "—",
            "district": district.name.get(language) if district else "—",
            "priority": complaint.priority,
            "who": f"{complaint.assignee} ({unit})" if complaint.assignee else unit,
            "due": complaint.sla_due_at.astimezone(self.zone).strftime(TIME_FORMAT),
        }

    def _unit_name(self, complaint: Complaint, language: Language) -> str:
        """The field team, else the department, in the reader's language."""
        team = self.catalogue.teams.get(complaint.team or "")
        if team is not None:
            return team.name.get(language)
        return self.catalogue.department(complaint.department).name.get(language)

    @staticmethod
    def _draft(address: Address, event: str, template: Template, values: dict[str, str]) -> Draft:
        body, variables = render(template, address.language, address.medium, values)
        return Draft(address, event, body, variables)
