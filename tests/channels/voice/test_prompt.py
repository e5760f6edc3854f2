"""The dialogue's messages as a phone prompt, and what keys and words mean against it."""

import pytest

from channels.dialogue import BotMessage, Button
from channels.voice.prompt import Answer, Prompt, chosen_language, read_reply, understand
from channels.voice.speech import read_digits, spoken

MENU = (
    Button(title="تقديم بلاغ", payload="/report_complaint"),
    Button(title="متابعة بلاغ", payload="/check_status"),
)


def message(**fields: object) -> BotMessage:
    return BotMessage.model_validate(fields)


def test_a_menu_takes_the_last_buttons_and_names_its_step():
    reply = read_reply([message(text="حياك الله"), message(text="كيف أخدمك؟", buttons=MENU)], "ar")
    assert reply.prompt.kind == "menu"
    assert reply.prompt.texts == ("حياك الله", "كيف أخدمك؟")
    assert reply.prompt.buttons == MENU
    assert reply.prompt.step == "menu:report_complaint"
    assert (reply.handoff, reply.references, reply.offers_goodbye) == (None, (), False)


def test_hints_arrive_as_custom_only_messages_as_rasa_sends_them():
    hint = {"expect": "digits", "finish_on_key": "#", "max_digits": 10, "purpose": "reference"}
    reply = read_reply([message(text="Enter the number"), message(custom=hint)], "ar")
    assert reply.prompt.kind == "digits"
    assert reply.prompt.language == "en"  # the bot answered in English
    assert reply.prompt.step == "reference"
    recording = {"expect": "recording", "max_seconds": 90, "finish_on_key": "#"}
    reply = read_reply([message(text="صف المشكلة"), message(custom=recording)], "en")
    assert (reply.prompt.kind, reply.prompt.max_seconds, reply.prompt.step) == (
        "recording",
        90,
        "description",
    )


def test_a_reference_a_handoff_and_a_goodbye_option_are_noticed():
    reference = {"reference": {"value": "6108772785", "digits": "6 1 0 8 7 7 2 7 8 5"}}
    handoff = {"handoff": {"available": False, "reason": "requested"}}
    goodbye = Button(title="No, thank you", payload="/goodbye")
    reply = read_reply(
        [message(text="Registered."), message(custom=reference), message(custom=handoff)],
        "en",
    )
    assert reply.references == ("6108772785",)
    assert reply.handoff is False
    assert read_reply([message(text="Anything else?", buttons=(goodbye,))], "en").offers_goodbye


@pytest.mark.parametrize(
    ("digits", "speech", "expected"),
    [
        ("2", "", Answer("send", "/check_status")),
        ("*", "", Answer("repeat")),
        ("0", "", Answer("employee")),
        ("9", "", Answer("previous")),
        ("7", "", Answer("invalid")),
        ("", "متابعة بلاغ", Answer("send", "/check_status")),
        ("", "أبي أبلغ عن حفرة", Answer("send", "أبي أبلغ عن حفرة")),
        ("", "", Answer("nothing")),
    ],
)
def test_keys_and_words_at_a_menu(digits: str, speech: str, expected: Answer):
    prompt = Prompt(kind="menu", language="ar", texts=("?",), buttons=MENU, step="menu")
    assert understand(prompt, digits, speech) == expected


def test_digits_are_sent_as_typed_and_one_key_still_picks_an_option():
    skip = Button(title="Skip", payload='/inform{"choice": "skip"}')
    prompt = Prompt(kind="digits", language="en", buttons=(skip,), step="phone")
    assert understand(prompt, "0501234567", "") == Answer("send", "0501234567")
    assert understand(prompt, "1", "") == Answer("send", skip.payload)
    assert understand(prompt, "0", "") == Answer("employee")
    assert understand(prompt, "12*4", "") == Answer("invalid")


def test_language_keys():
    assert (chosen_language("1"), chosen_language("2"), chosen_language("3")) == ("ar", "en", None)


def test_numbers_are_read_digit_by_digit_in_groups_in_the_callers_language():
    assert (
        read_digits("6108772785", "en") == "six one zero, eight seven seven, two seven eight five"
    )
    assert read_digits("٠٥٠١٢٣٤٥٦٧", "ar") == (
        "صفر خمسة صفر، واحد اثنين ثلاثة، أربعة خمسة ستة سبعة"
    )
    assert spoken("Your number is 610 877 2785; details: https://x.example/a", "en") == (
        "Your number is six one zero, eight seven seven, two seven eight five; details:"
    )
    assert spoken("- اتصل على 998 الساعة 3:30", "ar") == "اتصل على تسعة تسعة ثمانية الساعة 3:30"
