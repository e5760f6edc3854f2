"""Which language a message is in: the one rule the dialogue core and the channels share.

Stdlib only and Python 3.10-compatible: the Rasa environment imports this module too (its NLU
detects the language of every message with it, nlu_components/arabic.py).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from bot.arabic import normalise, readings

ScriptLanguage = Literal["ar", "en"]

MIN_LETTERS = 3  # "ok", "no", digits: too short to tell; the conversation keeps its language

# How people name each language, in either script: "English please", "ابي عربي". The NLU's
# lookup tables (data/nlu/lookups.yml) and its language detector both take them from here.
LANGUAGE_NAMES: dict[ScriptLanguage, tuple[str, ...]] = {
    "ar": (
        "عربي",
        "العربي",
        "العربية",
        "بالعربي",
        "عربية",
        "عربيه",
        "Arabic",
        "arabi",
        "araby",
        "3arabi",
    ),
    "en": (
        "انجليزي",
        "إنجليزي",
        "انقليزي",
        "الانجليزي",
        "الإنجليزية",
        "انجليزيه",
        "انقليزيه",
        "بالانجليزي",
        "بالإنجليزي",
        "انجلش",
        "انقلش",
        "انجليش",
        "English",
        "englsh",
        "engilsh",
        "inglish",
        "inglizi",
    ),
}
# Arabizi: Arabic in Latin letters, digits for the sounds Latin lacks (3 ع, 7 ح, 5 خ, 2 ء,
# 6 ط, 9 ق). A message with a word where such a digit sits inside it or starts a longer word
# ("el3amood", "7ofra", "3ndna"; not "3pm" or "2nd"), or with one of the everyday words no
# English sentence has ("wesh", "balaghi"), is Arabic: whoever writes so reads Arabic.
_ARABIZI_DIGITS = re.compile(r"[a-z][235679][a-z]|^[235679][a-z]{3,}")
ARABIZI_WORDS = frozenset(
    {"el", "wel", "fel", "bel", "3la", "wen", "wain", "wesh", "shlon", "abi", "abgha", "mafi"}
    | {"balaghi", "ya3ni", "inshallah", "yalla", "marhaba"}
)
# A word that names a language, in one spelling (bot.arabic.normalise)
_LANGUAGE_WORDS = {
    normalise(word): code for code, words in LANGUAGE_NAMES.items() for word in words
}


def named_language(words: list[str]) -> tuple[ScriptLanguage, int] | None:
    """The language the words name ("English please", "ابي عربي", a caller saying "English" at
    the phone's first prompt) and the index of the word naming it, when they name exactly one."""
    found: dict[ScriptLanguage, int] = {}
    for index, word in enumerate(words):
        for reading in readings(normalise(word)):
            if reading in _LANGUAGE_WORDS:
                found.setdefault(_LANGUAGE_WORDS[reading], index)
    if len(found) != 1:
        return None
    return next(iter(found.items()))


def script_language(text: str) -> ScriptLanguage | None:
    """The language most words of a text are written in ("ar" or "en"; a tie is Arabic; Arabizi
    is Arabic), or
    None when it cannot tell: a button payload (`/greet`), or fewer than MIN_LETTERS letters
    ("ok", "2", an emoji), so that an Arabic speaker's stray "ok" keeps Arabic."""
    if text.startswith("/"):
        return None
    arabic = latin = letters = 0
    arabizi = False
    for word in text.split():
        arabic_letters = sum(1 for c in word if _is_arabic_letter(c))
        latin_letters = sum(
            1 for c in word if c.isalpha() and unicodedata.name(c, "").startswith("LATIN")
        )
        letters += arabic_letters + latin_letters
        if arabic_letters > latin_letters or (latin_letters and is_arabizi(word)):
            arabic += 1
            arabizi = arabizi or bool(latin_letters)
        elif latin_letters:
            latin += 1
    if letters < MIN_LETTERS or (arabic == 0 and latin == 0):
        return None
    return "ar" if arabic >= latin or arabizi else "en"


def is_arabizi(word: str) -> bool:
    """Whether a word in Latin letters is Arabic written in Arabizi ("3ndna", "balaghi")."""
    folded = word.lower().strip(".,!?;:'\"()")
    return bool(_ARABIZI_DIGITS.search(folded)) or folded in ARABIZI_WORDS


def _is_arabic_letter(char: str) -> bool:
    """Arabic letters in any of their Unicode blocks; Arabic-Indic digits are not letters."""
    return char.isalpha() and (
        "\u0600" <= char <= "\u06ff"
        or "\u0750" <= char <= "\u077f"
        or "\ufb50" <= char <= "\ufdff"
        or "\ufe70" <= char <= "\ufefc"
    )
