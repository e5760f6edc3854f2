"""Realistic demo complaints, for `balagh seed` and the store benchmark.

They look like a year of a real 940 line: categories and districts with uneven
volumes, descriptions built from the catalogue's own words, and each complaint
walked along the workflow as far as its age makes likely, with its history.
The supervisors the catalogue names get accounts with demo phones, so their notices
(SLA breaches above all) reach a person, in the local outbox of the embedded default.
"""

import random
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaint_record import Complaint, HistoryEntry, Location
from bot.complaints import REFERENCE_SEQUENCE
from bot.notifications.providers import twilio_sms
from bot.notifications.providers.contact import StaffContacts
from bot.reference import ReferenceKey
from bot.services import Services
from bot.staff_accounts import create_staff_user
from bot.store.base import DuplicateUser, Store
from bot.types import PRIORITIES, Language, Priority, Role, Status

BATCH_SIZE = 1000
DAYS_OF_HISTORY = 365
CHANNEL_WEIGHTS = {
    "voice": 45,
    "whatsapp": 25,
    "telegram": 8,
    "webchat": 10,
    "portal": 10,
    "sms": 2,
}
PRIORITY_WEIGHTS = (3, 17, 55, 25)
MEDIAN_HOURS_TO_RESOLVE: dict[Priority, float] = {"P1": 6, "P2": 30, "P3": 60, "P4": 120}
TEMPLATES: dict[Language, tuple[str, ...]] = {
    "ar": (
        "فيه {kw} في {district} من كم يوم ولا أحد تحرك",
        "السلام عليكم، عندنا {kw} قريب من المسجد في {district}",
        "أبي أبلغ عن {kw} بجانب المدرسة في حي {district}",
        "لو سمحتم {kw} قدام البيت في {district}، الرجاء المعالجة",
        "يوجد {kw} في شارع رئيسي بحي {district} ويشكل خطراً على المارة",
    ),
    "en": (
        "There is a {kw} in {district} for days now",
        "Please fix the {kw} near the mosque in {district}",
        "Reporting a {kw} next to the school in {district}",
        "{kw} on the main street of {district}, please send someone",
    ),
}
PHONE_PREFIXES = ("50", "53", "54", "55", "56", "58", "59")
REOPEN_SHARE = 0.07  # residents who answer "not fixed" and reopen the report
RATING_SHARE = 0.45  # residents who answer the satisfaction question once it is closed
RATING_WEIGHTS = (5, 8, 15, 35, 37)  # scores 1..5
SUPERVISOR_PHONES = "+96650{:07d}"  # demo numbers, one per named supervisor


class DemoFactory:
    def __init__(
        self, catalogue: Catalogue, rng: random.Random, now: datetime, references: ReferenceKey
    ) -> None:
        self.catalogue = catalogue
        self.references = references
        self.rng = rng
        self.now = now
        self.categories = list(catalogue.categories.values())
        self.category_weights = [rng.uniform(0.3, 3) for _ in self.categories]
        self.districts = list(catalogue.districts.values())
        self.district_weights = [rng.uniform(0.2, 4) for _ in self.districts]

    def complaint(self, sequence: int) -> Complaint:
        rng = self.rng
        category = rng.choices(self.categories, self.category_weights)[0]
        district = rng.choices(self.districts, self.district_weights)[0]
        language: Language = "ar" if rng.random() < 0.8 else "en"
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        keyword = rng.choice(getattr(category.keywords, language))
        description = rng.choice(TEMPLATES[language]).format(
            kw=keyword, district=district.name.get(language)
        )
        created = self.now - timedelta(seconds=rng.uniform(0, DAYS_OF_HISTORY * 86400))
        created = created.replace(microsecond=created.microsecond // 1000 * 1000)
        teams = self.catalogue.teams_serving(category.code, district.code)
        team = rng.choice(teams).code if teams else None
        history = [
            HistoryEntry(
                at=created,
                actor="citizen",
                field="created",
                new=Status.NEW,
                reason=f"reported via {channel}",
                reason_key="reported_via",
                reason_values={"channel": channel},
            ),
        ]
        status, resolved_at, updated, rating = self._walk(created, priority, team, history)
        return Complaint(
            reference=self.references.reference(sequence),
            sequence=sequence,
            channel=channel,
            language=language,
            category=category.code,
            description=description,
            district=district.code,
            location=Location(
                lat=round(25.38 + rng.uniform(-0.12, 0.12), 5),
                lng=round(49.59 + rng.uniform(-0.12, 0.12), 5),
            ),
            phone="+966" + rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10_000_000):07d}",
            priority=priority,
            status=status,
            department=category.department,
            team=team,
            sla_due_at=created + timedelta(hours=category.sla_hours[priority]),
            created_at=created,
            updated_at=updated,
            resolved_at=resolved_at,
            satisfaction=rating,
            history=history,
            version=len(history),
        )

    def _walk(
        self, created: datetime, priority: Priority, team: str | None, history: list[HistoryEntry]
    ) -> tuple[Status, datetime | None, datetime, int | None]:
        """Move a complaint along the workflow as far as its age allows: some residents
        reopen a resolved report, some rate a closed one."""
        rng = self.rng
        if team is None:
            return Status.NEW, None, created, None
        hours_to_resolve = rng.lognormvariate(0, 0.8) * MEDIAN_HOURS_TO_RESOLVE[priority]
        lead = f"{team}.lead"
        steps = [
            (Status.ASSIGNED, 0.0, "system"),
            (Status.IN_PROGRESS, hours_to_resolve * 0.3, lead),
            (Status.RESOLVED, hours_to_resolve, lead),
        ]
        if rng.random() < REOPEN_SHARE:
            again = hours_to_resolve + rng.uniform(2, 48)
            steps += [(Status.IN_PROGRESS, again, "citizen"), (Status.RESOLVED, again * 1.3, lead)]
        steps.append((Status.CLOSED, steps[-1][1] + rng.uniform(24, 96), "system"))
        status, resolved_at, updated = Status.NEW, None, created
        for target, after_hours, actor in steps:
            at = created + timedelta(hours=after_hours, seconds=rng.uniform(1, 600))
            at = at.replace(microsecond=at.microsecond // 1000 * 1000)
            if at > self.now:
                break
            history.append(HistoryEntry(at=at, actor=actor, field="status", old=status, new=target))
            status, updated = target, at
            resolved_at = at if target == Status.RESOLVED else resolved_at
            resolved_at = None if target == Status.IN_PROGRESS else resolved_at
        rating = None
        if status == Status.CLOSED and rng.random() < RATING_SHARE:
            rating = rng.choices(range(1, 6), RATING_WEIGHTS)[0]
            history.append(
                HistoryEntry(at=updated, actor="citizen", field="satisfaction", new=str(rating))
            )
        return status, resolved_at, updated, rating

    def batches(self, first_sequence: int, count: int) -> Iterator[list[Complaint]]:
        for start in range(0, count, BATCH_SIZE):
            size = min(BATCH_SIZE, count - start)
            yield [self.complaint(first_sequence + start + i) for i in range(size)]


async def seed_store(services: Services, count: int, seed: int) -> AsyncIterator[int]:
    """Add `count` demo complaints in batches, yielding how many each batch added."""
    references = services.complaints.rules.references
    factory = DemoFactory(services.catalogue, random.Random(seed), utc_now(), references)
    first = await services.store.next_sequence(REFERENCE_SEQUENCE, count)
    for batch in factory.batches(first, count):
        await services.store.insert_complaints(batch)
        yield len(batch)


def named_supervisors(catalogue: Catalogue) -> dict[str, str]:
    """Every supervisor username the catalogue names, with the unit they look after."""
    units = [
        *((unit.name, unit.supervisors) for unit in catalogue.departments.values()),
        *((unit.name, unit.supervisors) for unit in catalogue.teams.values()),
    ]
    named: dict[str, str] = {}
    for name, supervisors in units:
        for username in supervisors:
            named.setdefault(username, name.ar)
    return named


async def seed_supervisors(
    store: Store, catalogue: Catalogue, staff_contacts: StaffContacts, password: str
) -> list[str]:
    """Create the catalogue's supervisors that have no account yet (Arabic notices by SMS to a
    demo phone, in the SMS provider's contact field); returns the usernames created."""
    created: list[str] = []
    phone_key = twilio_sms.STAFF_CONTACT.key
    for number, (username, unit) in enumerate(named_supervisors(catalogue).items(), 1):
        contact = staff_contacts.contact({phone_key: SUPERVISOR_PHONES.format(number)}, "ar")
        try:
            await create_staff_user(
                store,
                catalogue,
                username=username,
                display_name=f"مشرف {unit}",
                role=Role.SUPERVISOR,
                password=password,
                contact=contact,
            )
        except DuplicateUser:
            continue
        created.append(username)
    return created
