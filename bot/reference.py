"""Complaint reference numbers: ten keypad digits, the last a Damm check digit.

The Damm check digit catches every single-digit error and every adjacent
transposition, so a mistyped number is refused before any lookup (references issued before
the check table was corrected are still read: `_checks`). The nine-digit
body is a keyed permutation of a store-wide sequence number: unique across service
replicas (the store hands out the sequence atomically), telling a caller nothing of how
many reports came before theirs, and impossible to compute without the key (derived from
BALAGH_SECRET_KEY): knowing one's own reference says nothing about anyone else's.

The permutation is an 8-round Feistel network on 30 bits (keyed BLAKE2b rounds) walked in
cycles until it lands inside the 900,000,000 bodies. References issued before it was keyed
(an affine map, `legacy_sequence_of`) stay valid: lookups are by the stored value; a new
reference that happens to equal an old one is skipped (bot/complaints.py).
"""

import hashlib
import hmac

from bot.digits import strip_number
from bot.types import Language
from bot.words import N_, text

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
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
# The table references were checked with before: its first row had 4 and 2 swapped, so it
# missed some single-digit errors. Only legacy references (below) are read with it.
_LEGACY_DAMM = ((0, 3, 1, 7, 5, 9, 8, 6, 2, 4), *_DAMM[1:])

REFERENCE_LENGTH = 10
_BODY_FLOOR = 100_000_000  # bodies never start with 0: "0" is the keypad's agent key
_BODY_SPAN = 900_000_000
_HALF_BITS = 15  # 2**30 > _BODY_SPAN: few cycle-walking steps (1.2 on average)
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 8
_PURPOSE = b"balagh-reference-permutation"
# The affine map references were made with before they were keyed.
_LEGACY_MULTIPLIER = 282_475_249
_LEGACY_OFFSET = 123_456_789
_LEGACY_INVERSE = pow(_LEGACY_MULTIPLIER, -1, _BODY_SPAN)
# References issued before came from the first sequence numbers (years of a municipality's
# reports): a number that decodes beyond these is not one of them.
LEGACY_SEQUENCES = 10_000_000


def damm_digit(digits: str, table: tuple[tuple[int, ...], ...] = _DAMM) -> int:
    """The Damm check digit of a string of Latin digits."""
    interim = 0
    for char in digits:
        interim = table[interim][int(char)]
    return interim


def _checks(digits: str) -> bool:
    """The check digit is right; or, for a reference issued before the table was corrected,
    right by the old table."""
    if damm_digit(digits) == 0:
        return True
    return damm_digit(digits, _LEGACY_DAMM) == 0 and legacy_sequence_of(digits) <= LEGACY_SEQUENCES


class ReferenceKey:
    """The keyed permutation between sequence numbers (1…900,000,000) and references."""

    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()

    def _round(self, number: int, half: int) -> int:
        digest = hashlib.blake2b(
            bytes((number,)) + half.to_bytes(2, "big"), key=self._key, digest_size=2
        ).digest()
        return int.from_bytes(digest, "big") & _HALF_MASK

    def _encrypt(self, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in range(_ROUNDS):
            left, right = right, left ^ self._round(number, right)
        return (left << _HALF_BITS) | right

    def _decrypt(self, value: int) -> int:
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in reversed(range(_ROUNDS)):
            left, right = right ^ self._round(number, left), left
        return (left << _HALF_BITS) | right

    def reference(self, sequence: int) -> str:
        """The reference of the n-th complaint (n from 1); distinct n give distinct references."""
        if not 1 <= sequence <= _BODY_SPAN:
            raise ValueError(f"sequence {sequence} outside 1..{_BODY_SPAN}")
        index = self._encrypt(sequence - 1)
        while index >= _BODY_SPAN:  # cycle walking: stays a permutation of 0.._BODY_SPAN-1
            index = self._encrypt(index)
        body = str(_BODY_FLOOR + index)
        return body + str(damm_digit(body))

    def sequence(self, reference: str) -> int:
        """The sequence number a reference made with this key came from."""
        index = self._decrypt(int(reference[:-1]) - _BODY_FLOOR)
        while index >= _BODY_SPAN:
            index = self._decrypt(index)
        return index + 1


def legacy_sequence_of(reference: str) -> int:
    """The sequence number of a reference issued before references were keyed."""
    body = int(reference[:-1]) - _BODY_FLOOR
    return ((body - _LEGACY_OFFSET) * _LEGACY_INVERSE) % _BODY_SPAN or _BODY_SPAN


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
    if not _checks(digits):
        raise InvalidReference("reference_check_digit", N_("error.reference_check_digit"))
    return digits
