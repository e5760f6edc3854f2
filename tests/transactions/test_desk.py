"""An inquiry: the number's type, the proof, the limits shared with the portal, the budget."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.transactions.desk import proof_digits

ASKER = "+966551234567"


def kind(services, code: str = "building_permit"):
    return services.catalogue.transactions[code]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("41000017", "building_permit"),
        ("٤٢ ٠٠٠ ٠١٣", "shop_licence"),
        ("43-000-019", "excavation_permit"),
    ],
)
def test_the_number_says_the_type_however_it_is_written(services, said, expected):
    assert services.transactions.kind_of(said).code == expected


@pytest.mark.parametrize("said", ["4100001", "410000170", "6108772785", "", "abc"])
def test_a_number_of_no_type_is_none(services, said):
    assert services.transactions.kind_of(said) is None


@pytest.mark.parametrize(("said", "digits"), [("5678", "5678"), ("٥ ٦ ٧ ٨", "5678"), ("567", None)])
def test_a_proof_is_four_digits(said, digits):
    assert proof_digits(said) == digits


async def test_the_right_proof_hears_the_stage_and_its_date(services):
    answer = await services.transactions.answer(kind(services), "41000017", "5678", ASKER, 2)
    assert answer.verdict == "answered"
    transaction = answer.transaction
    assert transaction.stage == "engineering_review"
    assert transaction.changed_at == datetime(2026, 11, 30, 10, 15, tzinfo=ZoneInfo("Asia/Riyadh"))
    said = transaction.words("en", "chat", "Monday 30 November")
    assert said == (
        "Your building permit, number 41000017, is under engineering review. "
        "Last update: Monday 30 November."
    )


async def test_a_stage_with_something_to_do_says_it(services):
    answer = await services.transactions.answer(
        kind(services, "shop_licence"), "42000013", "1234", ASKER, 2
    )
    said = answer.transaction.words("ar", "chat", "الاثنين")
    assert "ينقصه مستند" in said
    assert "المطلوب منك: ارفع عقد الإيجار الموثق" in said


async def test_the_phone_on_file_is_the_excavations_proof(services):
    desk = services.transactions
    permit = kind(services, "excavation_permit")
    assert (await desk.answer(permit, "43000019", "4321", ASKER, 2)).verdict == "answered"
    assert (await desk.answer(permit, "43000019", "8901", ASKER, 2)).verdict == "no_match"


async def test_a_wrong_proof_and_an_unknown_number_sound_the_same(services):
    desk = services.transactions
    wrong = await desk.answer(kind(services), "41000017", "0000", ASKER, 2)
    unknown = await desk.answer(kind(services), "41999999", "5678", ASKER, 2)
    assert (wrong.verdict, unknown.verdict) == ("no_match", "no_match")
    assert wrong.transaction is None


async def test_guesses_are_limited_per_number_as_on_the_portal(services):
    """Five wrong proofs for one number, from anyone: even the right one waits."""
    desk = services.transactions
    allowed = services.settings.track_attempts_per_reference
    for n in range(allowed):
        answer = await desk.answer(kind(services), "41000017", f"{n:04d}", f"+96655000000{n}", 2)
        assert answer.verdict == "no_match"
    right = await desk.answer(kind(services), "41000017", "5678", ASKER, 2)
    assert right.verdict == "limited"
    other = await desk.answer(kind(services), "41000025", "6789", ASKER, 2)
    assert other.verdict == "answered"  # another number is not held back


async def test_guesses_are_limited_per_asker(services):
    desk = services.transactions
    for n in range(services.settings.track_attempts_per_ip):
        number = f"41{n:06d}"  # a new number each time: only the asker adds up
        await desk.answer(kind(services), number, "0000", ASKER, 2)
    assert (await desk.answer(kind(services), "41000017", "5678", ASKER, 2)).verdict == "limited"
    assert (
        await desk.answer(kind(services), "41000017", "5678", "+966500000999", 2)
    ).verdict == "answered"


@pytest.mark.parametrize("number", ["41000090", "42000090", "43000090"])
async def test_slow_failing_or_malformed_is_unavailable_and_costs_no_guess(services, number):
    desk = services.transactions
    permit = desk.kind_of(number)
    for _ in range(services.settings.track_attempts_per_reference + 1):
        answer = await desk.answer(permit, number, "0000", ASKER, 0.3)
        assert answer.verdict == "unavailable"


async def test_the_slow_one_answers_without_a_budget(services):
    answer = await services.transactions.answer(kind(services), "41000090", "9012", ASKER, None)
    assert answer.transaction.stage == "received"


async def test_guesses_sent_at_once_get_no_more_than_the_allowance(services):
    desk = services.transactions
    allowed = services.settings.track_attempts_per_reference
    guesses = [
        desk.answer(kind(services), "41000017", f"{n:04d}", f"+9665500001{n:02d}", 2)
        for n in range(allowed * 2)
    ]
    verdicts = [answer.verdict for answer in await asyncio.gather(*guesses)]
    assert verdicts.count("no_match") == allowed
    assert verdicts.count("limited") == allowed
