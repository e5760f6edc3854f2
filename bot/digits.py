"""Digits as people type them: Latin, Eastern Arabic (٠-٩) and Persian (۰-۹).

Stdlib only: the Rasa environment (Python 3.10) imports this module too.
"""

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
