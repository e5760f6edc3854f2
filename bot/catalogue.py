"""The municipality catalogue: departments, categories, districts, field teams and rules.

Loaded and checked once at start-up, so a typo in catalogue.yml stops the service with a message
naming the file, the key and the problem instead of silently misrouting complaints later.

It is data only: every category, district and team is an entry of catalogue.yml, and the
menus, the NLU's lookup tables (data/nlu/lookups.yml), Open311's services and the KPIs follow
from it. The checks also refuse what would make the bot ambiguous: a keyword two categories
share (a report using it would tie and stay unclassified), a category word that names a
district, a name two districts share.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.arabic import normalise, tokens
from bot.staff import USERNAME_PATTERN
from bot.types import PRIORITIES, Language, Priority


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError("timezone", "unknown timezone '{name}'", {"name": name}) from None
    return name


def _staff_username(name: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, name):
        raise PydanticCustomError(
            "staff_username",
            "'{name}' is not a staff username (3 to 40 of a-z 0-9 . _ -)",
            {"name": name},
        )
    return name


Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Hours = Annotated[float, Field(gt=0)]
MENU_DISTRICTS = 4  # the district question's buttons, beside "skip": a menu has at most five
Timezone = Annotated[str, AfterValidator(_known_timezone)]
# Staff accounts by username: `balagh seed` creates the ones the catalogue names.
Supervisors = tuple[Annotated[str, AfterValidator(_staff_username)], ...]
Weekday = Literal["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)  # in datetime.weekday() order


class CatalogueError(Exception):
    """The catalogue cannot be used; each line names the file, the key path and the problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bilingual(_Model):
    ar: Text
    en: Text

    def get(self, lang: Language) -> str:
        return self.ar if lang == "ar" else self.en


class Keywords(_Model):
    """Words or phrases in both languages; both lists are required. `arabizi`: the Arabic
    words as people write them in Latin letters and digits ("7ofra", "el3amood", "zbala")."""

    ar: tuple[Text, ...] = Field(min_length=1)
    en: tuple[Text, ...] = Field(min_length=1)
    arabizi: tuple[Text, ...] = ()

    def all(self) -> tuple[str, ...]:
        return self.ar + self.en + self.arabizi

    def lists(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each list with its key: ("ar", …), ("en", …), ("arabizi", …)."""
        return (("ar", self.ar), ("en", self.en), ("arabizi", self.arabizi))


class Aliases(_Model):
    """Other spellings people use for a name; either list may be empty."""

    ar: tuple[Text, ...] = ()
    en: tuple[Text, ...] = ()


class Municipality(_Model):
    name: Bilingual
    timezone: Timezone
    phone_line: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]


class Department(_Model):
    code: str
    name: Bilingual
    supervisors: Supervisors = ()  # told of SLA breaches, and what a team has nobody for


class Category(_Model):
    code: str
    name: Bilingual
    description: Bilingual
    department: Code
    default_priority: Priority
    sla_hours: dict[Priority, Hours]
    keywords: Keywords

    @field_validator("sla_hours")
    @classmethod
    def _all_priorities_in_order(cls, hours: dict[Priority, float]) -> dict[Priority, float]:
        """Every priority needs a deadline, and a more urgent one is never later."""
        missing = [p for p in PRIORITIES if p not in hours]
        if missing:
            raise PydanticCustomError(
                "sla_missing", "missing {missing}", {"missing": ", ".join(missing)}
            )
        ordered = [hours[p] for p in PRIORITIES]
        if any(earlier > later for earlier, later in pairwise(ordered)):
            raise PydanticCustomError(
                "sla_order",
                "must not decrease from P1 to P4, got {hours}",
                {"hours": ", ".join(f"{p}={hours[p]:g}" for p in PRIORITIES)},
            )
        return {p: hours[p] for p in PRIORITIES}


class District(_Model):
    code: str
    name: Bilingual
    aliases: Aliases = Aliases()


class Team(_Model):
    code: str
    name: Bilingual
    department: Code
    categories: tuple[Code, ...] = Field(min_length=1)
    districts: Literal["all"] | tuple[Code, ...]
    daily_capacity: int = Field(gt=0)
    supervisors: Supervisors = ()  # told of assignments and SLA events

    @field_validator("districts", mode="before")
    @classmethod
    def _all_or_list(cls, value: Any) -> Any:
        """One clear message instead of one per union member."""
        if value != "all" and not isinstance(value, list | tuple):
            raise PydanticCustomError("districts", "must be 'all' or a list of district codes")
        return value

    def serves(self, category: str, district: str | None) -> bool:
        """An unknown district (None) is served only by teams covering all districts."""
        if category not in self.categories:
            return False
        return self.districts == "all" or (district is not None and district in self.districts)


class InfoItem(_Model):
    """A municipal program, event or service the bot describes; staff edit it, no retraining."""

    code: Code
    title: Bilingual
    summary: Bilingual
    details: Bilingual | None = None
    keywords: Aliases = Aliases()
    url: Annotated[str, StringConstraints(pattern=r"^https://")] | None = None


class ReplyTemplate(_Model):
    """A ready answer staff send to a citizen, in both languages."""

    code: str
    title: Bilingual
    text: Bilingual


class UrgencyRule(_Model):
    priority: Literal["P1", "P2"]
    reason: Text
    words: Keywords


class EmergencyNumber(_Model):
    number: Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
    name: Bilingual


class WorkingHours(_Model):
    """When employees take transferred calls; the 940 line itself answers around the clock."""

    timezone: Timezone
    days: tuple[Weekday, ...] = Field(min_length=1)
    start: time
    end: time

    @model_validator(mode="after")
    def _start_before_end(self) -> WorkingHours:
        if self.start >= self.end:
            raise PydanticCustomError("hours_order", "start must be before end")
        return self

    def is_open(self, moment: datetime) -> bool:
        """Whether an aware moment falls on a working day between start and end, local time."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        return WEEKDAYS[local.weekday()] in self.days and self.start <= local.time() < self.end


ProofField = Literal["national_id", "phone"]


class TransactionSystem(_Model):
    """A system of record Balagh asks about transactions: the connector that reaches it
    (`bot/transactions/registry.py`) and that connector's own settings, checked by it."""

    code: str
    connector: Code
    config: dict[str, Any] = {}


class TransactionStage(_Model):
    """A stage of a transaction as the resident hears it, and the system's codes for it."""

    codes: tuple[Text, ...] = Field(min_length=1)
    name: Bilingual
    next_step: Bilingual | None = None  # what the resident must do now, if anything


class TransactionType(_Model):
    """A kind of transaction (a permit, a licence): its numbers, its system, its stages.

    `number` is the pattern of its numbers (keypad digits), so the number alone says the type;
    `proof` is the field whose last four digits the resident gives before hearing anything."""

    code: str
    name: Bilingual
    system: Code
    number: Annotated[str, StringConstraints(pattern=r"^\^[0-9\[\]{},\-|()?]+\$$")]
    proof: ProofField
    stages: dict[Code, TransactionStage] = Field(min_length=1)

    def matches(self, number: str) -> bool:
        return re.fullmatch(self.number, number) is not None

    def stage_of(self, system_code: str) -> str | None:
        """Balagh's stage for the system's code, or None for a code nobody mapped."""
        for stage, entry in self.stages.items():
            if system_code in entry.codes:
                return stage
        return None


class Catalogue(_Model):
    municipality: Municipality
    departments: dict[Code, Department]
    intake_department: Code
    intake_sla_hours: Hours
    categories: dict[Code, Category] = Field(min_length=1)  # in the order menus show them
    districts: dict[Code, District] = Field(min_length=1)
    # the districts offered as buttons when the bot asks where (the others are typed or said)
    district_menu: tuple[Code, ...] = Field(default=(), max_length=MENU_DISTRICTS)
    teams: dict[Code, Team]
    urgency: tuple[UrgencyRule, ...]
    emergency_numbers: dict[Code, EmergencyNumber]
    working_hours: WorkingHours
    reopen_days: int = Field(gt=0)
    # The employee is reminded when this share of the SLA window has passed (bot/sla.py).
    sla_reminder_fraction: float = Field(default=0.75, gt=0, lt=1)
    programs: dict[Code, InfoItem] = {}
    services: dict[Code, InfoItem] = {}
    reply_templates: dict[Code, ReplyTemplate] = {}
    # Transactions residents ask about by number, and the systems that hold them.
    transaction_systems: dict[Code, TransactionSystem] = {}
    transactions: dict[Code, TransactionType] = {}

    @field_validator(
        "departments",
        "categories",
        "districts",
        "teams",
        "programs",
        "services",
        "reply_templates",
        "transaction_systems",
        "transactions",
        mode="before",
    )
    @classmethod
    def _code_from_key(cls, entries: Any) -> Any:
        """Each entry learns its code from its key, so code that holds one entry knows it."""
        if not isinstance(entries, dict):
            return entries
        for key, entry in entries.items():
            if isinstance(entry, dict) and "code" in entry:
                raise PydanticCustomError(
                    "code_in_entry", "entry {key} sets 'code'; its key is its code", {"key": key}
                )
        return {
            key: {**entry, "code": key} if isinstance(entry, dict) else entry
            for key, entry in entries.items()
        }

    def category(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise KeyError(f"unknown category {code!r}") from None

    def district(self, code: str) -> District:
        try:
            return self.districts[code]
        except KeyError:
            raise KeyError(f"unknown district {code!r}") from None

    def department(self, code: str) -> Department:
        try:
            return self.departments[code]
        except KeyError:
            raise KeyError(f"unknown department {code!r}") from None

    def teams_serving(self, category: str, district: str | None) -> list[Team]:
        """Teams for a category in a district (None: unknown district), in catalogue order."""
        self.category(category)
        if district is not None:
            self.district(district)
        return [team for team in self.teams.values() if team.serves(category, district)]


def load_catalogue(path: Path) -> Catalogue:
    """Read, validate and cross-check the catalogue, or raise CatalogueError with every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path}: cannot read: {exc.strerror}"]) from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a CSafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown line"
        raise CatalogueError([f"{path}: {where}: invalid YAML: {exc.problem}"]) from exc
    if not isinstance(data, dict):
        raise CatalogueError([f"{path}: expected a mapping of sections at the top level"])
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        errors = [error for error in exc.errors() if not _is_literal_branch(error)]
        raise CatalogueError([_describe(path, error) for error in errors]) from exc
    problems = _reference_problems(catalogue)
    if problems:
        raise CatalogueError([f"{path}: {key}: {problem}" for key, problem in problems])
    return catalogue


def _describe(path: Path, error: ErrorDetails) -> str:
    key = ""
    for part in error["loc"]:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part.startswith("["):  # "[key]": the mapping key itself is wrong
            key += part
        elif not _is_union_branch(part):
            key += f".{part}" if key else part
    return f"{path}: {key or '(top level)'}: {error['msg']}"


def _is_union_branch(part: str) -> bool:
    """pydantic names the union member it tried in loc: "literal['all']", "tuple[str, ...]"."""
    return "[" in part and not part.startswith("[")


def _is_literal_branch(error: ErrorDetails) -> bool:
    """The "all" branch of Team.districts failing for a list only repeats the list's own error."""
    return any(isinstance(part, str) and part.startswith("literal[") for part in error["loc"])


def _reference_problems(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Cross-references and content checks the per-field validation cannot see."""
    problems: list[tuple[str, str]] = []

    def department(key: str, code: str) -> None:
        if code not in catalogue.departments:
            problems.append((key, f"unknown department {code!r}"))

    for code, category in catalogue.categories.items():
        department(f"categories.{code}.department", category.department)
        problems += _wordless(f"categories.{code}.keywords", category.keywords)
    department("intake_department", catalogue.intake_department)

    for code, team in catalogue.teams.items():
        department(f"teams.{code}.department", team.department)
        for index, category_code in enumerate(team.categories):
            if category_code not in catalogue.categories:
                key = f"teams.{code}.categories[{index}]"
                problems.append((key, f"unknown category {category_code!r}"))
        if team.districts != "all":
            for index, district_code in enumerate(team.districts):
                if district_code not in catalogue.districts:
                    key = f"teams.{code}.districts[{index}]"
                    problems.append((key, f"unknown district {district_code!r}"))

    supervised = {f"departments.{code}": d.supervisors for code, d in catalogue.departments.items()}
    supervised |= {f"teams.{code}": team.supervisors for code, team in catalogue.teams.items()}
    for key, supervisors in supervised.items():
        for index, username in enumerate(supervisors):
            if username in supervisors[:index]:
                problems.append((f"{key}.supervisors[{index}]", f"{username!r} is listed twice"))

    for index, code in enumerate(catalogue.district_menu):
        if code not in catalogue.districts:
            problems.append((f"district_menu[{index}]", f"unknown district {code!r}"))

    for index, rule in enumerate(catalogue.urgency):
        problems += _wordless(f"urgency[{index}].words", rule.words)
    return (
        problems
        + _transaction_problems(catalogue)
        + _shared_district_names(catalogue)
        + _shared_category_words(catalogue)
    )


def _transaction_problems(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Each transaction type names a known system, a pattern that compiles and stage codes
    that belong to one stage (a code in two stages would be answered by whichever comes first)."""
    problems: list[tuple[str, str]] = []
    for code, kind in catalogue.transactions.items():
        where = f"transactions.{code}"
        if kind.system not in catalogue.transaction_systems:
            problems.append((f"{where}.system", f"unknown transaction system {kind.system!r}"))
        try:
            re.compile(kind.number)
        except re.error as exc:
            problems.append((f"{where}.number", f"not a regular expression: {exc}"))
        owner: dict[str, str] = {}
        for stage, entry in kind.stages.items():
            for system_code in entry.codes:
                first = owner.setdefault(system_code, stage)
                if first != stage:
                    problems.append(
                        (f"{where}.stages.{stage}.codes", f"{system_code!r} is also in {first!r}")
                    )
    return problems


def _wordless(key: str, keywords: Keywords) -> list[tuple[str, str]]:
    """Keywords that normalise to nothing could never match."""
    return [
        (f"{key}.{lang}[{index}]", f"{word!r} has no letters or digits")
        for lang, words in keywords.lists()
        for index, word in enumerate(words)
        if not tokens(word)
    ]


def _spellings(name: Bilingual, words_key: str, words: Keywords | Aliases) -> list[tuple[str, str]]:
    """(key, spelling) of an entry's names and its words (keywords or aliases)."""
    lists = words.lists() if isinstance(words, Keywords) else (("ar", words.ar), ("en", words.en))
    return [
        ("name.ar", name.ar),
        ("name.en", name.en),
        *(
            (f"{words_key}.{key}[{i}]", word)
            for key, items in lists
            for i, word in enumerate(items)
        ),
    ]


def _shared_district_names(catalogue: Catalogue) -> list[tuple[str, str]]:
    """A name or alias must point at one district, or the bot cannot tell which one was meant."""
    owner: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for code, district in catalogue.districts.items():
        for key, spelling in _spellings(district.name, "aliases", district.aliases):
            claimed = owner.setdefault(normalise(spelling), code)
            if claimed != code:
                problems.append(
                    (f"districts.{code}.{key}", f"{spelling!r} already names district {claimed!r}")
                )
    return problems


def _shared_category_words(catalogue: Catalogue) -> list[tuple[str, str]]:
    """A category's name or keyword must belong to it alone: shared with another category, a
    report using it ties and stays unclassified (and the NLU drops it); naming a district, the
    NLU takes it for the category and loses the district."""
    districts = {
        normalise(spelling): code
        for code, district in catalogue.districts.items()
        for _, spelling in _spellings(district.name, "aliases", district.aliases)
    }
    owner: dict[str, tuple[str, str]] = {}  # spelling -> (category, its key)
    problems: list[tuple[str, str]] = []
    for code, category in catalogue.categories.items():
        for key, spelling in _spellings(category.name, "keywords", category.keywords):
            folded = normalise(spelling)
            where = f"categories.{code}.{key}"
            first = owner.setdefault(folded, (code, where))
            if first[0] != code:
                problems.append(
                    (
                        where,
                        f"{spelling!r} is also in category {first[0]!r} ({first[1]}): a report "
                        "using it would tie between the two and stay unclassified; keep it in "
                        "one of them",
                    )
                )
            if folded in districts:
                problems.append(
                    (
                        where,
                        f"{spelling!r} names district {districts[folded]!r}: the bot would take "
                        "the district for the category; remove it here or from the district",
                    )
                )
    return problems


class _UniqueKeyLoader(yaml.CSafeLoader):
    """The libyaml safe loader, refusing duplicate keys that PyYAML would silently overwrite."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)
