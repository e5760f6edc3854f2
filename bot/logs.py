"""Logging set-up: every record passes a filter that masks phone numbers.

Channels log caller ids and message bodies; masking at the handler means no code path
can leak a citizen's number into the logs, whatever it formats.
"""

import logging
import re

from bot.phone import mask_phone

# International (+966…, or %2B966… inside a logged URL) or Saudi local mobile (05…) numbers;
# references (10 digits starting with 1-9, no plus) stay readable: staff need them in the logs.
_PHONE = re.compile(r"(?:\+|%2B)\d{8,15}|(?<!\d)05\d{8}(?!\d)")


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)


class PhoneMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_phones(record.getMessage())
        record.args = None
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PhoneMaskingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
