"""How text is made fit to be heard on the phone line.

Numbers of three digits or more (references, phone numbers, emergency numbers) are read digit
by digit in the caller's language, in small groups, so a caller can write them down; links
and chat markup are never read out. The digits' names are the catalogue's (context `voice`).
"""

import re
from typing import Final

from bot.digits import to_ascii_digits
from bot.types import Language
from bot.words import N_, text

GATHER_LANGUAGES: Final[dict[Language, str]] = {"ar": "ar-SA", "en": "en-US"}
DIGIT_NAMES: Final = (
    N_("call.digit_0"),
    N_("call.digit_1"),
    N_("call.digit_2"),
    N_("call.digit_3"),
    N_("call.digit_4"),
    N_("call.digit_5"),
    N_("call.digit_6"),
    N_("call.digit_7"),
    N_("call.digit_8"),
    N_("call.digit_9"),
)
_DIGIT = "[0-9٠-٩۰-۹]"
_NUMBER = re.compile(f"{_DIGIT}(?:[ -]?{_DIGIT}){{2,}}")  # 1234567890, 123 456 7890, 055-123
_LINK = re.compile(r"https?://\S+")
_MARKUP = re.compile(r"^\s*[-*•]\s*|[*_`]", re.MULTILINE)


def digit_groups(digits: str) -> list[str]:
    """Groups of three, the last of four when one would be left alone: 123 456 7890."""
    if len(digits) <= 4:
        return [digits]
    groups = [digits[start : start + 3] for start in range(0, len(digits), 3)]
    if len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return groups


def digit_name(digit: int, language: Language) -> str:
    return text(DIGIT_NAMES[digit], language, "voice")


def read_digits(number: str, language: Language) -> str:
    """'4711' → 'four seven one one'; Eastern Arabic digits too."""
    groups = digit_groups(re.sub("[ -]", "", to_ascii_digits(number)))
    spoken = (" ".join(digit_name(int(digit), language) for digit in group) for group in groups)
    return text("list.separator", language).join(spoken)


def spoken(line: str, language: Language) -> str:
    """A bot text as the caller should hear it: numbers digit by digit, no links or markup."""
    line = _LINK.sub("", line)
    line = _MARKUP.sub("", line)
    line = _NUMBER.sub(lambda match: read_digits(match.group(), language), line)
    return " ".join(line.split())
