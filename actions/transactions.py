"""Asking about a transaction (a permit, a licence) held by another system of the municipality.

The form asks for the transaction's number (its pattern says its type), then for the proof
its type names (the last four digits of the national id, or of the phone on file); each is
re-asked at most twice. The answer comes from the system of record within a short budget
(`BALAGH_TRANSACTION_ANSWER_SECONDS`); past it, or when the system fails, the resident is
offered the answer by SMS (a real follow-up, bot/transactions/followup.py) or an employee.
"""

from typing import Any, Final

from actions.base import BalaghAction
from actions.context import (
    INTERRUPTION_CONFIDENCE,
    Event,
    TrackerLike,
    caller_phone,
    channel,
    free_text,
    fresh_input,
    latest_intent,
    slot_changes,
    slot_set,
)
from actions.formatting import moment
from actions.messages import AGENT, AGENT_OR_MENU, ANYTHING_ELSE, MAIN_MENU_BUTTON, Button, Speaker
from actions.status import INTERRUPTIONS, MAX_ATTEMPTS
from bot.clock import utc_now
from bot.digits import number_in
from bot.kpi import InquiryOutcome, TransactionInquiry
from bot.phone import last_four
from bot.transactions.desk import PROOF_DIGITS, proof_digits
from bot.transactions.followup import PendingAnswer
from bot.words import N_

FORM: Final = "transaction_form"
NUMBER: Final = "transaction_number"
PROOF: Final = "transaction_proof"
ATTEMPTS: Final = "transaction_attempts"
CLEARED: Final = {NUMBER: None, PROOF: None, ATTEMPTS: 0}
ASK_PROOF: Final = {
    "national_id": N_("transaction.ask_proof_national_id"),
    "phone": N_("transaction.ask_proof_phone"),
}
SMS_BUTTON: Final = Button("button.answer_by_sms", "/transaction_sms")
TRY_AGAIN: Final = Button("button.another_number", "/ask_transaction")


def digits_hint(purpose: str, max_digits: int) -> dict[str, Any]:
    """The phone gathers keys until # (the number, then the proof)."""
    return {"expect": "digits", "finish_on_key": "#", "max_digits": max_digits, "purpose": purpose}


def asker(tracker: TrackerLike) -> str:
    """Who is guessing, for the limits: the phone the channel vouches for, else the chat."""
    return caller_phone(tracker) or f"conversation:{tracker.sender_id}"


def turn_id(tracker: TrackerLike) -> str:
    """This conversation's newest message: an inquiry counts once, however often it runs."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return f"{tracker.sender_id}:{event.get('timestamp')}"
    return tracker.sender_id


class ValidateTransactionForm(BalaghAction):
    name = "validate_transaction_form"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        attempts = int(tracker.get_slot(ATTEMPTS) or 0)
        requested = tracker.get_slot("requested_slot")
        said = free_text(tracker)
        if requested is None:  # starting: the question may carry the number
            return self.number_given(speaker, number_in(said), attempts, quiet=True)
        if not fresh_input(tracker, FORM):
            return self.ask(speaker, requested, tracker.get_slot(NUMBER), attempts)
        intent, confidence = latest_intent(tracker)
        interrupted = intent in INTERRUPTIONS and confidence >= INTERRUPTION_CONFIDENCE
        if interrupted and not number_in(said):
            return []  # a rule answers it
        if requested == NUMBER:
            return self.number_given(speaker, number_in(said), attempts, quiet=False)
        proof = proof_digits(said)
        if proof is None:
            return self.retry(speaker, PROOF, tracker.get_slot(NUMBER), attempts)
        return [slot_set(PROOF, proof), slot_set("requested_slot", None)]

    def number_given(
        self, speaker: Speaker, digits: str, attempts: int, *, quiet: bool
    ) -> list[Event]:
        if self.services.transactions.kind_of(digits) is None:
            if quiet:  # nothing wrong was said yet: just ask
                return self.ask(speaker, NUMBER, None, attempts)
            return self.retry(speaker, NUMBER, None, attempts)
        return [slot_set(NUMBER, digits), *self.ask(speaker, PROOF, digits, attempts)]

    def retry(self, speaker: Speaker, slot: str, number: str | None, attempts: int) -> list[Event]:
        attempts += 1
        if attempts >= MAX_ATTEMPTS:  # the answer action offers an employee
            return [slot_set(ATTEMPTS, attempts), slot_set("requested_slot", None)]
        if slot == NUMBER:
            speaker.say("transaction.number_unknown")
        else:
            speaker.say("transaction.proof_invalid", digits=PROOF_DIGITS)
        return self.ask(speaker, slot, number, attempts)

    def ask(self, speaker: Speaker, slot: str, number: str | None, attempts: int) -> list[Event]:
        kind = self.services.transactions.kind_of(number) if number else None
        if slot == PROOF and kind is not None:
            speaker.say(ASK_PROOF[kind.proof], custom=digits_hint(PROOF, PROOF_DIGITS))
        else:
            speaker.say("transaction.ask_number", custom=digits_hint(NUMBER, 12))
            slot = NUMBER
        return [slot_set(ATTEMPTS, attempts), slot_set("requested_slot", slot)]


class TransactionStatus(BalaghAction):
    name = "action_transaction_status"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        number, proof = tracker.get_slot(NUMBER), tracker.get_slot(PROOF)
        desk = self.services.transactions
        kind = desk.kind_of(str(number or ""))
        if kind is None or not proof:  # gave up after the re-asks
            speaker.say("transaction.give_up", buttons=[AGENT, MAIN_MENU_BUTTON])
            return slot_changes(tracker, CLEARED)
        budget = self.services.settings.transaction_answer_seconds
        answer = await desk.answer(kind, str(number), str(proof), asker(tracker), budget)
        await self.count(tracker, kind.code, answer.verdict)
        if answer.transaction is not None:
            when = moment(answer.transaction.changed_at, speaker.lang, self.timezone)
            speaker.say_text(answer.transaction.words(speaker.lang, speaker.medium, when))
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
        elif answer.verdict == "no_match":
            speaker.say("transaction.no_match", buttons=[TRY_AGAIN, AGENT, MAIN_MENU_BUTTON])
        elif answer.verdict == "limited":
            speaker.say("transaction.limited", buttons=AGENT_OR_MENU)
        elif caller_phone(tracker) is None:
            speaker.say("transaction.unavailable_no_phone", buttons=AGENT_OR_MENU)
        else:
            speaker.say("transaction.unavailable", buttons=[SMS_BUTTON, AGENT, MAIN_MENU_BUTTON])
            return slot_changes(tracker, {ATTEMPTS: 0})  # kept for the SMS, if accepted
        return slot_changes(tracker, CLEARED)

    @property
    def timezone(self) -> str:
        return self.catalogue.municipality.timezone

    async def count(self, tracker: TrackerLike, kind: str, outcome: InquiryOutcome) -> None:
        inquiry = TransactionInquiry(
            id=turn_id(tracker), kind=kind, outcome=outcome, channel=channel(tracker), at=utc_now()
        )
        await self.services.store.record_inquiry(inquiry)


class TransactionBySms(BalaghAction):
    name = "action_transaction_sms"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        number, proof = tracker.get_slot(NUMBER), tracker.get_slot(PROOF)
        phone = caller_phone(tracker)
        kind = self.services.transactions.kind_of(str(number or ""))
        if kind is None or not proof or phone is None:  # nothing is waiting for an answer
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
            return slot_changes(tracker, CLEARED)
        now = utc_now()
        await self.services.transaction_sms.promise(
            PendingAnswer(
                id=turn_id(tracker),
                kind=kind.code,
                number=str(number),
                proof=str(proof),
                phone=phone,
                language=speaker.lang,
                channel=channel(tracker),
                asked_at=now,
                next_try_at=now,
            )
        )
        speaker.say("transaction.sms_promised", last_four=last_four(phone))
        speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
        return slot_changes(tracker, CLEARED)
