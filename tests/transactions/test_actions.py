"""The transaction form and answers as the action endpoint runs them: re-asks, the digits hints
for the phone, the answer, the offers when the system is slow, the SMS promised."""

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.transactions import TransactionBySms, TransactionStatus, ValidateTransactionForm
from bot.transactions.followup import RECORD_KIND, PendingAnswer
from tests.actions.conftest import CALLER, make_tracker, payloads, texts

FORM = "transaction_form"
WHATSAPP = {"channel": "whatsapp", "phone": CALLER}
ANSWER_SLOTS = [
    SlotSet("transaction_number", None),
    SlotSet("transaction_proof", None),
]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def number_hint(max_digits: int, purpose: str) -> dict[str, object]:
    return {"expect": "digits", "finish_on_key": "#", "max_digits": max_digits, "purpose": purpose}


async def test_the_question_may_carry_the_number_then_the_proof_is_asked(services, dispatcher):
    tracker = make_tracker("وين وصلت معاملتي ٤١٠٠٠٠١٧", "ask_transaction", form=FORM)
    events = await ValidateTransactionForm(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("transaction_number", "41000017"),
        SlotSet("transaction_attempts", 0),
        SlotSet("requested_slot", "transaction_proof"),
    ]
    [ask] = dispatcher.messages
    assert ask["text"] == "للتأكد أن المعاملة لك: ما آخر ٤ أرقام من هوية صاحب الطلب؟"
    assert ask["custom"] == number_hint(4, "transaction_proof")


@pytest.mark.parametrize(
    ("said", "proof"),
    [
        ("اربعه واحد صفر صفر صفر صفر واحد سبعه", "خمسه ستة سبعة ثمانيه"),
        ("four one zero zero zero zero one seven", "five six seven eight"),
    ],
)
async def test_the_number_and_the_proof_said_as_words_are_understood(services, said, proof):
    """On the phone, speech recognition may write the digits as the words the caller said."""
    tracker = make_tracker(
        said, slots={"language": "en"}, form=FORM, requested_slot="transaction_number"
    )
    events = await ValidateTransactionForm(services).execute(CollectingDispatcher(), tracker, {})
    assert SlotSet("transaction_number", "41000017") in events
    slots = {"language": "en", "transaction_number": "41000017"}
    tracker = make_tracker(proof, slots=slots, form=FORM, requested_slot="transaction_proof")
    events = await ValidateTransactionForm(services).execute(CollectingDispatcher(), tracker, {})
    assert SlotSet("transaction_proof", "5678") in events


async def test_the_number_is_asked_with_a_digits_hint(services, dispatcher):
    tracker = make_tracker(
        "check my transaction", "ask_transaction", slots={"language": "en"}, form=FORM
    )
    events = await ValidateTransactionForm(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("transaction_attempts", 0),
        SlotSet("requested_slot", "transaction_number"),
    ]
    [ask] = dispatcher.messages
    assert ask["custom"] == number_hint(12, "transaction_number")


async def test_the_excavation_proof_is_the_phone(services, dispatcher):
    tracker = make_tracker(
        "43000019", slots={"language": "en"}, form=FORM, requested_slot="transaction_number"
    )
    await ValidateTransactionForm(services).execute(dispatcher, tracker, {})
    assert texts(dispatcher) == [
        "To make sure it is yours: what are the last 4 digits of the mobile number given "
        "with the request?"
    ]


async def test_a_number_of_no_type_is_asked_again_twice_then_given_up(services, dispatcher):
    action = ValidateTransactionForm(services)
    slots: dict[str, object] = {"language": "en"}
    for attempts in (0, 1):
        slots["transaction_attempts"] = attempts
        tracker = make_tracker("12345", slots=slots, form=FORM, requested_slot="transaction_number")
        events = await action.execute(dispatcher, tracker, {})
        assert events == [
            SlotSet("transaction_attempts", attempts + 1),
            SlotSet("requested_slot", "transaction_number"),
        ]
    assert texts(dispatcher)[0].startswith("That is not a transaction number we know")
    slots["transaction_attempts"] = 2
    tracker = make_tracker("12345", slots=slots, form=FORM, requested_slot="transaction_number")
    events = await action.execute(dispatcher, tracker, {})
    assert events == [SlotSet("transaction_attempts", 3), SlotSet("requested_slot", None)]

    dispatcher.messages.clear()
    await TransactionStatus(services).execute(dispatcher, make_tracker(slots=slots), {})
    [given_up] = dispatcher.messages
    assert payloads(given_up) == ["/talk_to_agent", "/greet"]


async def test_a_proof_of_other_than_four_digits_is_asked_again(services, dispatcher):
    slots = {"language": "en", "transaction_number": "41000017"}
    tracker = make_tracker("567", slots=slots, form=FORM, requested_slot="transaction_proof")
    events = await ValidateTransactionForm(services).execute(dispatcher, tracker, {})
    assert events[-1] == SlotSet("requested_slot", "transaction_proof")
    assert texts(dispatcher)[0] == "We need exactly 4 digits."


async def test_an_employee_asked_for_instead_is_left_to_the_rules(services, dispatcher):
    tracker = make_tracker(
        "talk to an employee", "talk_to_agent", form=FORM, requested_slot="transaction_proof"
    )
    assert await ValidateTransactionForm(services).execute(dispatcher, tracker, {}) == []


async def test_the_answer_is_the_stage_then_the_menu(services, dispatcher):
    slots = {"language": "en", "transaction_number": "41000017", "transaction_proof": "5678"}
    events = await TransactionStatus(services).execute(
        dispatcher, make_tracker(slots=slots, metadata=WHATSAPP), {}
    )
    assert events == ANSWER_SLOTS
    answer, menu = dispatcher.messages
    assert answer["text"].startswith("Your building permit, number 41000017, is under engineering")
    assert "/goodbye" in payloads(menu)


async def test_a_slow_system_offers_the_sms_and_an_employee(services, dispatcher):
    slots = {"language": "en", "transaction_number": "41000090", "transaction_proof": "9012"}
    tracker = make_tracker(slots=slots, metadata=WHATSAPP)
    assert await TransactionStatus(services).execute(dispatcher, tracker, {}) == []  # kept
    [offer] = dispatcher.messages
    assert offer["text"].startswith("The system that holds this transaction can't answer")
    assert payloads(offer) == ["/transaction_sms", "/talk_to_agent", "/greet"]

    dispatcher.messages.clear()
    events = await TransactionBySms(services).execute(dispatcher, tracker, {})
    assert events == ANSWER_SLOTS
    assert texts(dispatcher)[0] == (
        "Done: the answer will reach you by SMS, on the number ending in 4567, as soon as the "
        "system replies."
    )
    [owed] = await services.store.list_records(RECORD_KIND, PendingAnswer)
    assert (owed.number, owed.proof, owed.phone, owed.language) == (
        "41000090",
        "9012",
        CALLER,
        "en",
    )


async def test_without_a_known_phone_no_sms_is_offered(services, dispatcher):
    slots = {"language": "en", "transaction_number": "42000090", "transaction_proof": "0123"}
    events = await TransactionStatus(services).execute(
        dispatcher, make_tracker(slots=slots, metadata={"channel": "webchat"}), {}
    )
    assert events == ANSWER_SLOTS
    [offer] = dispatcher.messages
    assert payloads(offer) == ["/talk_to_agent", "/greet"]


async def test_a_wrong_proof_offers_another_try(services, dispatcher):
    slots = {"transaction_number": "41000017", "transaction_proof": "0000"}
    await TransactionStatus(services).execute(dispatcher, make_tracker(slots=slots), {})
    [refused] = dispatcher.messages
    assert refused["text"].startswith("الرقم والأرقام اللي أعطيتنا ما تطابق")
    assert payloads(refused)[0] == "/ask_transaction"
