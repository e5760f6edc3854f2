"""What Balagh needs of a system of record: one transaction's fields, by its number.

A connector answers with Balagh's field names (`stage`, `changed_at`, and the proof fields a
transaction type asks for: `national_id`, `phone`), each a string, whatever the system calls
them; or it raises one of the errors below. It never decides what the resident hears.
"""

from collections.abc import Mapping
from typing import Final, Protocol

# The fields every answer carries; proof fields come on top, as the types need them.
STAGE: Final = "stage"
CHANGED_AT: Final = "changed_at"
REQUIRED_FIELDS: Final = frozenset({STAGE, CHANGED_AT})


class TransactionError(Exception):
    """The system could not give the transaction's fields."""


class TransactionNotFound(TransactionError):
    """The system has no transaction with this number."""


class SystemUnavailable(TransactionError):
    """The system did not answer in time, or answered with an error: try again later."""


class MalformedAnswer(TransactionError):
    """The system answered, but not in the shape its configuration describes."""


class Connector(Protocol):
    fields: frozenset[str]  # the Balagh fields its answers carry

    async def fetch(self, number: str) -> Mapping[str, str]:
        """Balagh's fields of transaction `number`, or a TransactionError."""
        ...
