import pytest

from channels.dialogue import BotMessage, Button
from channels.rendering import as_plain_text, chosen_payload, numbered_options, split_message

MENU = (
    Button(title="تقديم بلاغ", payload="/report_complaint"),
    Button(title="متابعة بلاغ", payload="/check_status"),
    Button(title="Talk to an employee", payload="/talk_to_agent"),
)


def test_numbered_options_count_from_one():
    assert numbered_options(MENU) == "1. تقديم بلاغ\n2. متابعة بلاغ\n3. Talk to an employee"


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        ("2", "/check_status"),
        ("٢", "/check_status"),
        ("۲", "/check_status"),
        (" 3. ", "/talk_to_agent"),
        ("متابعة بلاغ", "/check_status"),
        ("talk to an EMPLOYEE", "/talk_to_agent"),
        ("تقديم بلاغ", "/report_complaint"),
    ],
)
def test_a_reply_selects_a_button(reply, payload):
    assert chosen_payload(reply, MENU) == payload


@pytest.mark.parametrize("reply", ["0", "4", "٩", "ابغى ابلغ عن حفرة", ""])
def test_other_replies_select_nothing(reply):
    assert chosen_payload(reply, MENU) is None


def test_split_message_respects_the_limit_and_keeps_every_word():
    text = " ".join(f"كلمة{i}" for i in range(500))
    pieces = split_message(text, 100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces) == text


def test_split_prefers_paragraphs():
    text = "أ" * 50 + "\n\n" + "ب" * 50
    assert split_message(text, 80) == ["أ" * 50, "ب" * 50]


def test_short_text_is_one_piece_and_unbroken_text_is_cut():
    assert split_message("hello", 4096) == ["hello"]
    assert split_message("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_plain_text_numbers_each_menu_and_keeps_messages_apart():
    messages = [
        BotMessage(text="أهلاً بك"),
        BotMessage(text="كيف أقدر أخدمك؟", buttons=MENU[:2]),
        BotMessage(custom={"expect": "digits"}),
        BotMessage(image="https://balagh.example/map.png"),
    ]
    assert as_plain_text(messages) == (
        "أهلاً بك\n\nكيف أقدر أخدمك؟\n1. تقديم بلاغ\n2. متابعة بلاغ\n\n"
        "https://balagh.example/map.png"
    )
