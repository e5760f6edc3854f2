"""Digits as people type them (Latin, Eastern Arabic ٠-٩, Persian ۰-۹) and say them (one word
a digit, as phone transcripts write them).

Stdlib only: the Rasa environment (Python 3.10) imports this module too.
"""

import re

_EASTERN_ARABIC = "٠١٢٣٤٥٦٧٨٩"
_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
_TO_ASCII = str.maketrans(
    _EASTERN_ARABIC + _PERSIAN,
    "0123456789" * 2,
)
_SEPARATORS = str.maketrans("", "", " \t\u00a0\u200f\u200e-–—_./")


_TO_EASTERN_ARABIC = str.maketrans("0123456789", _EASTERN_ARABIC)


def to_eastern_digits(text: str) -> str:
    """Latin digits as Eastern Arabic ones (٠-٩), the digits of an Arabic page."""
    return text.translate(_TO_EASTERN_ARABIC)


def to_ascii_digits(text: str) -> str:
    """Replace Eastern Arabic and Persian digits with their Latin twins."""
    return text.translate(_TO_ASCII)


def strip_number(text: str) -> str:
    """Latin digits with the spaces, dashes, dots and direction marks people add removed."""
    return to_ascii_digits(text).translate(_SEPARATORS)


# Digits as callers say them (and as speech recognition writes them): one word per digit, in
# the spellings people and transcripts use (ة/ه, أ/ا folded before the look-up).
_DIGIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("صفر", "zero", "oh"), "0"),
    **dict.fromkeys(("واحد", "وحده", "one"), "1"),
    **dict.fromkeys(("اثنين", "اثنان", "اتنين", "ثنين", "two"), "2"),
    **dict.fromkeys(("ثلاثه", "ثلاث", "تلاته", "تلات", "three"), "3"),
    **dict.fromkeys(("اربعه", "اربع", "four"), "4"),
    **dict.fromkeys(("خمسه", "خمس", "five"), "5"),
    **dict.fromkeys(("سته", "ست", "six"), "6"),
    **dict.fromkeys(("سبعه", "سبع", "seven"), "7"),
    **dict.fromkeys(("ثمانيه", "ثماني", "ثمان", "تمانيه", "eight"), "8"),
    **dict.fromkeys(("تسعه", "تسع", "nine"), "9"),
}
_WORD_FOLD = str.maketrans({"ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي"})
_SPOKEN_TOKEN = re.compile(r"[^\s،,.؟?!]+")


def _digits_of(word: str) -> str | None:
    """A token's digits: itself when it is digits, its digit when it names one, else None."""
    ascii_word = to_ascii_digits(word)
    if ascii_word.isdigit():
        return ascii_word
    folded = word.translate(_WORD_FOLD).lower()
    return _DIGIT_WORDS.get(folded) or _DIGIT_WORDS.get(folded.removeprefix("و"))


def _spoken_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of two or more digit words and digits: (start, end, digits) by character offset."""
    found: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, str]] = []
    for match in [*_SPOKEN_TOKEN.finditer(text), None]:
        digits = _digits_of(match.group()) if match else None
        if match and digits is not None:
            run.append((match.start(), match.end(), digits))
            continue
        if len(run) > 1:
            found.append((run[0][0], run[-1][1], "".join(part for _, _, part in run)))
        run = []
    return found


def spoken_numbers(text: str, length: int) -> list[tuple[int, int, str]]:
    """Numbers of `length` digits said as a run of digit words and digits ("سبعه صفر اثنين…",
    "seven zero two…", "٧٠٢ ثلاثه…"): (start, end, digits) of each, by character offset."""
    return [run for run in _spoken_runs(text) if len(run[2]) == length]


def number_in(text: str) -> str:
    """The number in what someone typed or said: its keyed digits (any digit form), else the
    longest run said as words ("اربعه واحد صفر…", "four one zero…"); "" for none."""
    keyed = only_digits(text)
    if keyed:
        return keyed
    return max((digits for _, _, digits in _spoken_runs(text)), key=len, default="")


def only_digits(text: str) -> str:
    """Every digit in what someone typed or said, as Latin digits, in order ("" for none)."""
    return "".join(char for char in strip_number(text) if char in "0123456789")
