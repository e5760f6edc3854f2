"""Arabic-aware text normalisation and keyword matching.

People write the same word many ways: with or without hamza and diacritics, ة or ه, Eastern
digits, and with و / ب / ال glued to the front. Messages and keywords both pass through here so
that "بالحفره" finds the keyword "حفرة" and "الكلاب" finds "كلاب".

Stdlib only and Python 3.10-compatible: the Rasa environment imports this module too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.digits import to_ascii_digits

_FOLD: dict[int, str | None] = {
    **dict.fromkeys(range(0x064B, 0x0660)),  # harakat, shadda, sukun, hamza marks
    0x0670: None,  # superscript alef
    0x0640: None,  # tatweel
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\ufeff")),  # invisible marks
    **dict.fromkeys(map(ord, "أإآٱ"), "ا"),
    ord("ة"): "ه",
    ord("ى"): "ي",
    ord("ؤ"): "و",
    ord("ئ"): "ي",
}
_WORD = re.compile(r"\w+")

# Longest first; a word may carry two (و + بال). Only the front is stripped: suffixes change
# meaning too often, so keyword lists spell out the suffixed forms people use.
_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_MIN_STEM = 2
# Arabizi (Arabic in Latin letters, digits for the sounds Latin lacks: 3 = ع, 7 = ح) glues the
# article too: "el7awya", "al3amood". Only a word with such a digit is taken for Arabizi, so
# English words ("allow", "elbow") keep their first letters.
_ARABIZI_ARTICLE = re.compile(r"^(?:el|al)(?=[a-z0-9]*[235679])[a-z0-9]{3,}$")


def normalise(text: str) -> str:
    """One spelling per word: no diacritics or tatweel, folded alef/ta marbuta/ya, Latin digits.

    Arabic punctuation (، ؟ ؛) is kept; Latin letters are lowercased; whitespace collapsed.
    """
    folded = to_ascii_digits(text.translate(_FOLD)).lower()
    return " ".join(folded.split())


def tokens(text: str) -> list[str]:
    """The normalised words of a text, punctuation dropped, prefixes still attached."""
    return _WORD.findall(normalise(text))


@lru_cache(maxsize=16384)
def readings(word: str) -> frozenset[str]:
    """A normalised word and what it can read as without clitic prefixes or an English plural -s.

    "وبالحفره" reads as itself, "بالحفره", "الحفره" and "حفره". Every reading is kept rather than
    guessing one stem, because "بالوعه" (drain) must stay whole while "بالحفره" must lose "بال".
    """
    found = {word}
    for prefix in _PREFIXES:
        stem = word[len(prefix) :]
        if word.startswith(prefix) and len(stem) >= _MIN_STEM:
            found |= readings(stem)
    if word.isascii() and len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        found.add(word[:-1])
    if _ARABIZI_ARTICLE.match(word):  # "el3amood" reads as "3amood" too
        found.add(word[2:])
    return frozenset(found)


def find_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    """The phrases that occur in the text, in the order given, one per normalised spelling.

    A phrase matches consecutive words of the text; each text word may carry clitic prefixes.
    Spelling variants of one phrase ("حفرة", "حفره") count once: the first listed is returned.
    """
    words = _text_readings(text)
    index = _phrase_index(tuple(phrases))
    found: dict[tuple[str, ...], tuple[int, str]] = {}
    for start, choices in enumerate(words):
        for reading in choices:
            for key, order, phrase in index.get(reading, ()):
                if key not in found and _occurs_at(key, words, start):
                    found[key] = (order, phrase)
    return [phrase for _, phrase in sorted(found.values())]


@lru_cache(maxsize=256)
def _text_readings(text: str) -> tuple[frozenset[str], ...]:
    return tuple(readings(word) for word in tokens(text))


@lru_cache(maxsize=256)
def _phrase_index(
    phrases: tuple[str, ...],
) -> dict[str, list[tuple[tuple[str, ...], int, str]]]:
    """Phrases by their first normalised word, so a text is scanned once, not once per phrase."""
    index: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
    seen: set[tuple[str, ...]] = set()
    for order, phrase in enumerate(phrases):
        key = tuple(tokens(phrase))
        if key and key not in seen:
            seen.add(key)
            index.setdefault(key[0], []).append((key, order, phrase))
    return index


def _occurs_at(phrase: tuple[str, ...], words: tuple[frozenset[str], ...], start: int) -> bool:
    if start + len(phrase) > len(words):
        return False
    return all(phrase[offset] in words[start + offset] for offset in range(1, len(phrase)))
