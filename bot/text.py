"""Free text from outside, made safe to keep, show and export.

Removed: C0 control characters except newline and tab (a carriage return becomes a newline),
the bidirectional embedding, override and isolate characters (U+202A-U+202E, U+2066-U+2069:
they can make a staff page show words in another order than they were written), lone
surrogates and the non-characters U+FFFE/U+FFFF (neither can be written as UTF-8 XML). The
direction marks Arabic text uses (U+200E, U+200F, U+061C) stay.

`CleanText` applies it where text enters the domain (new complaints, their locations, every
history entry: comments, notes, replies), so every channel's text passes through it once.
"""

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 controls but tab (09), newline (0a), return (0d)
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ud800-\udfff\ufffe\uffff]"  # lone surrogates, non-characters
)


def clean_text(text: str) -> str:
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _cleaned(value: object) -> object:
    return clean_text(value) if isinstance(value, str) else value


# Cleaned before it is checked, so length limits count what is kept.
CleanText = Annotated[str, BeforeValidator(_cleaned)]
