"""Citizen phone numbers: stored in E.164, masked wherever they are shown or logged."""

import phonenumbers

from bot.digits import to_ascii_digits

DEFAULT_REGION = "SA"


class InvalidPhone(ValueError):
    """A phone number that cannot be dialled back."""


class PhoneNotServed(InvalidPhone):
    """A valid number in a country the service does not send messages to."""

    def __init__(self, country_codes: frozenset[int]) -> None:
        super().__init__(f"only numbers in {format_countries(country_codes)} are served")
        self.country_codes = country_codes


def format_countries(country_codes: frozenset[int]) -> str:
    return ", ".join(f"+{code}" for code in sorted(country_codes))


def country_code(phone: str) -> int | None:
    """The calling code of an E.164 number (966 for +966…), None if it is not one."""
    try:
        return phonenumbers.parse(phone).country_code
    except phonenumbers.NumberParseException:
        return None


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a number typed in any digits, local (05…) or international."""
    text = to_ascii_digits(raw).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """Keep the country code and the last two digits: enough to recognise, not to dial."""
    if not phone:
        return ""
    visible_head = 4 if phone.startswith("+") else 3
    hidden = max(len(phone) - visible_head - 2, 0)
    return phone[:visible_head] + "•" * hidden + phone[visible_head + hidden :]


def last_four(phone: str) -> str:
    return phone[-4:]
