"""Which language a message is in: the one rule the dialogue core and the channels share.

Stdlib only and Python 3.10-compatible: the Rasa environment imports this module too (its NLU
detects the language of every message with it, nlu_components/arabic.py).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

ScriptLanguage = Literal["ar", "en"]

MIN_LETTERS = 3  # "ok", "no", digits: too short to tell; the conversation keeps its language

# How people name each language, in either script: "English please", "ابي عربي". The NLU's
# lookup tables (data/nlu/lookups.yml) and its language detector both take them from here.
LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "ar": ("عربي", "العربي", "العربية", "بالعربي", "عربية", "عربيه", "Arabic", "arabi", "3arabi"),
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
        "English",
        "englsh",
        "engilsh",
        "inglish",
        "inglizi",
    ),
}


def script_language(text: str) -> ScriptLanguage | None:
    """The language most words of a text are written in ("ar" or "en"; a tie is Arabic), or
    None when it cannot tell: a button payload (`/greet`), or fewer than MIN_LETTERS letters
    ("ok", "2", an emoji), so that an Arabic speaker's stray "ok" keeps Arabic."""
    if text.startswith("/"):
        return None
    arabic = latin = letters = 0
    for word in text.split():
        arabic_letters = sum(1 for c in word if _is_arabic_letter(c))
        latin_letters = sum(
            1 for c in word if c.isalpha() and unicodedata.name(c, "").startswith("LATIN")
        )
        letters += arabic_letters + latin_letters
        if arabic_letters > latin_letters:
            arabic += 1
        elif latin_letters:
            latin += 1
    if letters < MIN_LETTERS or (arabic == 0 and latin == 0):
        return None
    return "ar" if arabic >= latin else "en"


def _is_arabic_letter(char: str) -> bool:
    """Arabic letters in any of their Unicode blocks; Arabic-Indic digits are not letters."""
    return char.isalpha() and (
        "\u0600" <= char <= "\u06ff"
        or "\u0750" <= char <= "\u077f"
        or "\ufb50" <= char <= "\ufdff"
        or "\ufe70" <= char <= "\ufefc"
    )
