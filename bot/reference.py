"""Complaint reference numbers: ten keypad digits, the last a Damm check digit.

The Damm check digit catches every single-digit error and every adjacent
transposition, so a mistyped number is refused before any lookup. The nine-digit
body is an affine permutation of a store-wide sequence number: unique across
service replicas (the store hands out the sequence atomically) without telling
a caller how many reports came before theirs.
"""

from bot.digits import strip_number
from bot.types import Language
from bot.words import N_, text

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 2, 4),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

REFERENCE_LENGTH = 10
_BODY_FLOOR = 100_000_000  # bodies never start with 0: "0" is the keypad's agent key
_BODY_SPAN = 900_000_000
_MULTIPLIER = 282_475_249  # 7**10: coprime with the span (2**8 3**2 5**8), so a bijection
_OFFSET = 123_456_789
_INVERSE = pow(_MULTIPLIER, -1, _BODY_SPAN)


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of Latin digits."""
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return interim


def reference_for_sequence(sequence: int) -> str:
    """The reference of the n-th complaint (n from 1); distinct n give distinct references."""
    if not 1 <= sequence <= _BODY_SPAN:
        raise ValueError(f"sequence {sequence} outside 1..{_BODY_SPAN}")
    body = str(_BODY_FLOOR + (sequence * _MULTIPLIER + _OFFSET) % _BODY_SPAN)
    return body + str(damm_digit(body))


def sequence_of(reference: str) -> int:
    """The sequence number a valid reference was made from (the inverse permutation)."""
    body = int(reference[:-1]) - _BODY_FLOOR
    return ((body - _OFFSET) * _INVERSE) % _BODY_SPAN or _BODY_SPAN


class InvalidReference(ValueError):
    """A reference that cannot be one of ours; `code` for APIs, the words for people."""

    def __init__(self, code: str, words: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.words = words
        self.values = values

    def __str__(self) -> str:
        return self.message("en")

    def message(self, language: Language) -> str:
        return text(self.words, language, **self.values)


def parse_reference(raw: str) -> str:
    """Canonical reference from what a person typed or said: any digits, spaces, dashes."""
    digits = strip_number(raw)
    if digits and not (digits.isascii() and digits.isdigit()):
        raise InvalidReference("reference_not_digits", N_("error.reference_not_digits"))
    if len(digits) != REFERENCE_LENGTH:
        raise InvalidReference(
            "reference_length",
            N_("error.reference_length"),
            length=REFERENCE_LENGTH,
            entered=len(digits),
        )
    if damm_digit(digits) != 0:
        raise InvalidReference("reference_check_digit", N_("error.reference_check_digit"))
    return digits
