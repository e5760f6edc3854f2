"""Which language a message is in: script, Arabizi, and the language a caller names."""

import pytest

from bot.languages import named_language, script_language


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("فيه حفرة قدام البيت", "ar"),
        ("there is a pothole outside my house", "en"),
        ("الحفرة في Al Kut", "ar"),  # a tie is Arabic
        # Arabizi is Arabic, whoever's keyboard it was typed on
        ("wen wasal balaghi", "ar"),
        ("el3amood el nor tafi 3ndna", "ar"),
        ("fe 7ofra kbeera gddam el bait", "ar"),
        # digits beside letters in English are no Arabizi
        ("is the office open at 3pm on the 2nd floor", "en"),
        ("my 5g phone number is 0501234567", "en"),
        ("please call me back, I live on Al Kut road", "en"),
        ("ok", None),
        ("/greet", None),
    ],
)
def test_the_language_of_a_message(message, language):
    assert script_language(message) == language


def test_a_language_named_in_either_script():
    assert named_language(["ابي", "بالعربي"]) == ("ar", 1)
    assert named_language(["English", "please"]) == ("en", 0)
    assert named_language(["English", "عربي"]) is None
