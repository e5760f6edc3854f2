"""What staff type into the one search box: a reference, a phone number, or words.

Shared by the queue page and `GET /api/staff/complaints`, so both find the same complaints.
A reference is recognised by its ten digits passing the Damm check (any digit form, spaces
and dashes allowed); a phone by parsing as a dialable number (05…, +966…, 00966…, 966…);
anything else is a text search over the descriptions.
"""

from typing import TypedDict

from bot.digits import strip_number
from bot.phone import InvalidPhone, normalise_phone
from bot.reference import REFERENCE_LENGTH, InvalidReference, parse_reference

MIN_PHONE_DIGITS = 9


class SearchFields(TypedDict, total=False):
    """The one `ComplaintFilter` field a search box's text sets."""

    reference: str
    phone: str
    text: str


def search_fields(typed: str) -> SearchFields:
    """The filter a search means; empty when nothing was typed."""
    typed = typed.strip()
    number = strip_number(typed)
    digits = number.removeprefix("+")
    if digits.isascii() and digits.isdigit():
        # References never start with 0 (the keypad's agent key), local phones always do.
        if len(digits) == REFERENCE_LENGTH and number == digits and digits[0] != "0":
            try:
                return {"reference": parse_reference(digits)}
            except InvalidReference:
                pass  # a wrong check digit: maybe a phone number
        if len(digits) >= MIN_PHONE_DIGITS:
            try:
                return {"phone": normalise_phone(number)}
            except InvalidPhone:
                pass
    return {"text": typed} if typed else {}
