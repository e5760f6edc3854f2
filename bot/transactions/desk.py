"""Answering "where is my transaction?": the number's type, the system's answer, the proof.

A number says its type (each type's numbers follow a pattern of catalogue.yml). Nothing about
a transaction is told before the resident proves it is theirs: the last four digits of the
field the type names (the national id, the phone on file). A wrong proof and an unknown number
get the same answer and count against the same limits as a report's tracking digits, per
asker and per number: each try is reserved in the store before the system is asked (guesses
sent at once get no more than the allowance), and given back when the proof is right or the
system could not answer, so guessing is no faster here than on the portal.
"""

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.catalogue import Catalogue, TransactionType
from bot.digits import number_in, strip_number
from bot.ratelimit import RateLimiter, guess_limits
from bot.settings import Settings
from bot.store.base import Store
from bot.transactions.connector import (
    CHANGED_AT,
    STAGE,
    Connector,
    MalformedAnswer,
    SystemUnavailable,
    TransactionNotFound,
)
from bot.types import Language
from bot.words import Medium, text

log = logging.getLogger(__name__)
PROOF_DIGITS = 4
Verdict = Literal["answered", "no_match", "limited", "unavailable"]


@dataclass(frozen=True)
class Transaction:
    kind: TransactionType
    number: str
    stage: str  # a key of kind.stages
    changed_at: datetime

    def words(self, lang: Language, medium: Medium, when: str) -> str:
        """What the resident is told: type, number, stage, since `when` (the date as said in
        their language), and what they must do next if anything."""
        stage = self.kind.stages[self.stage]
        said = text(
            "transaction.status",
            lang,
            medium,
            kind=self.kind.name.get(lang),
            number=self.number,
            stage=stage.name.get(lang),
            changed=when,
        )
        if stage.next_step is None:
            return said
        return (
            said + " " + text("transaction.next_step", lang, medium, step=stage.next_step.get(lang))
        )


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    transaction: Transaction | None = None  # when answered


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def proof_digits(text: str) -> str | None:
    """The four digits a resident gave as proof (any digits they type or say), or None."""
    digits = number_in(text)
    return digits if len(digits) == PROOF_DIGITS else None


class TransactionDesk:
    def __init__(
        self,
        catalogue: Catalogue,
        connectors: dict[str, Connector],
        store: Store,
        settings: Settings,
    ) -> None:
        self.catalogue = catalogue
        self.connectors = connectors
        self.limiter = RateLimiter(store)
        self.limits = guess_limits(settings)
        self.zone = ZoneInfo(catalogue.municipality.timezone)

    def kind_of(self, number: str) -> TransactionType | None:
        """The type whose numbers look like this one (digits as typed or said), or None."""
        digits = strip_number(number)
        return next((k for k in self.catalogue.transactions.values() if k.matches(digits)), None)

    async def answer(
        self, kind: TransactionType, number: str, proof: str, asker: str, budget: float | None
    ) -> Answer:
        """The transaction if `proof` is right, within `budget` seconds (None: the connector's
        own timeout); `asker` is who is guessing (a phone, a conversation)."""
        per_asker, per_number = self.limits
        tries = await self.limiter.reserve_all(
            (per_asker, f"transaction:{asker}"), (per_number, f"transaction:{number}")
        )
        if not all(attempt.allowed for attempt in tries):
            return Answer("limited")
        try:
            found = await asyncio.wait_for(self._fetch(kind, number), budget)
        except TransactionNotFound:
            return Answer("no_match")  # the try stays counted
        except (TimeoutError, SystemUnavailable, MalformedAnswer) as problem:
            log.warning("system %s did not answer for %s: %r", kind.system, kind.code, problem)
            found = None
        if found is not None and not _same(found[1][-PROOF_DIGITS:], proof):
            return Answer("no_match")
        for attempt in tries:  # a right proof, or no answer to check it against: no guess
            await self.limiter.refund(attempt)
        return Answer("unavailable") if found is None else Answer("answered", found[0])

    async def _fetch(self, kind: TransactionType, number: str) -> tuple[Transaction, str]:
        """The transaction and the digits of its proof field."""
        fields = await self.connectors[kind.system].fetch(number)
        stage = kind.stage_of(fields[STAGE])
        if stage is None:
            raise MalformedAnswer(f"{kind.code}: unmapped stage {fields[STAGE]!r}")
        try:
            changed = datetime.fromisoformat(fields[CHANGED_AT])
        except ValueError:
            raise MalformedAnswer(f"{kind.code}: {CHANGED_AT} {fields[CHANGED_AT]!r}") from None
        if changed.tzinfo is None:  # a local time, as the municipality's systems keep them
            changed = changed.replace(tzinfo=self.zone)
        proof = "".join(char for char in strip_number(fields[kind.proof]) if char.isdigit())
        return Transaction(kind, number, stage, changed), proof
