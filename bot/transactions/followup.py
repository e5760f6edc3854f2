"""An answer by SMS when a system of record was too slow for the conversation.

The resident who accepts the offer leaves a pending answer (a store record: the number, the
proof they gave, their verified phone, their language). Every worker pass asks the system
again, with the connector's own timeout rather than the conversation's short budget, and once
it answers queues one SMS in the outbox (the stage, or that the number and proof do not
match) and drops the record. A system still down after `transaction_followup_hours` gets an
SMS saying so (as does one whose number is held back by too many wrong proofs from others
all that time). The message's id derives from the record, so two workers, or a pass repeated
after a crash, queue it once.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.clock import utc_now
from bot.kpi import InquiryOutcome, TransactionInquiry
from bot.notifications.message import OutboxMessage
from bot.store.base import Store
from bot.transactions.desk import Answer, TransactionDesk
from bot.types import Language
from bot.words import text

log = logging.getLogger(__name__)
RECORD_KIND: Final = "transaction_followup"
EVENT: Final = "transaction_answer"
FIRST_RETRY: Final = timedelta(seconds=30)
LONGEST_RETRY: Final = timedelta(minutes=30)
SayDate = Callable[[datetime, Language], str]


class PendingAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str  # the conversation and the moment it asked: one answer per inquiry
    kind: str
    number: str
    proof: str
    phone: str  # E.164, as the channel vouched for it
    language: Language
    channel: str
    asked_at: datetime
    attempts: int = 0
    next_try_at: datetime


class FollowUps:
    def __init__(
        self, store: Store, desk: TransactionDesk, give_up_after: timedelta, say_date: SayDate
    ) -> None:
        self.store = store
        self.desk = desk
        self.give_up_after = give_up_after
        self.say_date = say_date

    async def promise(self, pending: PendingAnswer) -> None:
        """Keep the inquiry for the worker: the SMS is owed from now on."""
        await self.store.put_record(RECORD_KIND, pending.id, pending)

    async def run_once(self) -> int:
        """Ask again for every pending answer that is due; returns how many were sent.

        A system that fails once in a pass is not asked again in that pass: its other pending
        answers wait for the next try, so a system that is down costs one timeout, not one
        per resident (the worker's SLA timers run in the same pass)."""
        now = utc_now()
        sent = 0
        down: set[str] = set()
        for pending in await self.store.list_records(RECORD_KIND, PendingAnswer):
            if pending.next_try_at <= now:
                sent += await self._try(pending, now, down)
        return sent

    async def _try(self, pending: PendingAnswer, now: datetime, down: set[str]) -> int:
        kind = self.desk.catalogue.transactions.get(pending.kind)
        if kind is None:  # the type left the catalogue: nothing can be answered
            await self.store.delete_record(RECORD_KIND, pending.id)
            return 0
        if kind.system in down:
            answer = Answer("unavailable")
        else:
            answer = await self.desk.answer(
                kind, pending.number, pending.proof, pending.phone, None
            )
        if answer.verdict == "unavailable":
            down.add(kind.system)
        lang = pending.language
        outcome: InquiryOutcome
        if answer.transaction is not None:
            when = self.say_date(answer.transaction.changed_at, lang)
            body, outcome = answer.transaction.words(lang, "sms", when), "sms_answered"
        elif answer.verdict == "no_match":
            body = text("transaction.sms_no_match", lang, "sms", number=pending.number)
            outcome = "sms_no_match"
        elif now - pending.asked_at >= self.give_up_after:
            body = text("transaction.sms_gave_up", lang, "sms", number=pending.number)
            outcome = "sms_gave_up"
        else:
            wait = min(FIRST_RETRY * 2**pending.attempts, LONGEST_RETRY)
            later = pending.model_copy(
                update={"attempts": pending.attempts + 1, "next_try_at": now + wait}
            )
            await self.store.put_record(RECORD_KIND, pending.id, later)
            return 0
        message = OutboxMessage(
            id=f"transaction.{pending.id}",
            channel="sms",
            to=pending.phone,
            event=EVENT,
            language=lang,
            body=body,
            due_at=now,
            created_at=now,
            updated_at=now,
        )
        await self.store.insert_messages([message])
        await self.store.record_inquiry(
            TransactionInquiry(
                id=f"{pending.id}:sms",
                kind=kind.code,
                outcome=outcome,
                channel=pending.channel,
                at=now,
            )
        )
        await self.store.delete_record(RECORD_KIND, pending.id)
        log.info("transaction %s answered by SMS (%s)", kind.code, outcome)
        return 1
