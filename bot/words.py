"""Every word a citizen or an employee reads or hears, looked up by key in one function.

The words live in gettext catalogues, one per language, in the format translators use
(Poedit opens them): `locales/ar/LC_MESSAGES/balagh.po` and `locales/en/LC_MESSAGES/balagh.po`.
A message id is a key (`report.ask_district`), never an English sentence. A `msgctxt` names a
medium (`voice`, `chat`, `sms`, `web`) only where that medium needs other words than the rest:
a lookup for a medium takes its own entry when there is one, else the entry without a context.
Values fill `{name}` placeholders (`str.format`).

The catalogues are read with Babel once per process, on first use; a catalogue that cannot be
read stops the lookup with the file, the line and the problem. `make locales-check` (and the
test suite) check them further: every key in both languages, none unused, no chat-only words
in the phone's texts.
"""

import io
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Final, Literal, get_args

from babel.messages.pofile import PoFileError, read_po

from bot.types import LANGUAGES, Language

Medium = Literal["voice", "chat", "sms", "web"]
MEDIUMS: Final[tuple[Medium, ...]] = get_args(Medium)
LOCALES_DIR: Final = Path(__file__).resolve().parents[1] / "locales"
DOMAIN: Final = "balagh"
Entries = Mapping[tuple[Medium | None, str], str]  # (medium or None, key) -> text

# One line of a .po file: a keyword with its quoted string, a continued string, a comment.
_PO_LINE = re.compile(
    r'^(?:(?:#~\s*)?(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$'
)


class WordsError(Exception):
    """A catalogue that cannot be used: the file, the line and the problem."""


class MissingWord(LookupError):
    """A key, or a value its text needs, that the catalogue does not have."""


def po_path(language: Language, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_entries(path: Path) -> dict[tuple[Medium | None, str], str]:
    """The translated entries of one catalogue; WordsError for anything a translator must fix."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WordsError(f"{path}: cannot read: {exc.strerror}") from exc
    lines = raw.decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not _PO_LINE.match(stripped):
            raise WordsError(f"{path}:{number}: not a .po line: {stripped[:60]}")
    try:
        catalog = read_po(io.BytesIO(raw), abort_invalid=True)
    except PoFileError as exc:
        raise WordsError(f"{path}: {exc}") from exc
    entries: dict[tuple[Medium | None, str], str] = {}
    seen: dict[tuple[str | None, str], int] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            raise WordsError(f"{path}:{message.lineno}: plural forms are not used here")
        if message.context is not None and message.context not in MEDIUMS:
            raise WordsError(
                f"{path}:{message.lineno}: msgctxt {message.context!r} is not a medium "
                f"({', '.join(MEDIUMS)})"
            )
        seen[(message.context, message.id)] = message.lineno or 0
        if message.string:  # an empty msgstr is not translated yet: a missing word
            entries[(message.context, message.id)] = message.string
    _refuse_duplicates(path, lines, seen)
    return entries


def _refuse_duplicates(
    path: Path, lines: list[str], kept: Mapping[tuple[str | None, str], int]
) -> None:
    """Babel keeps one of two entries with the same key and context; a translator must know."""
    count: dict[tuple[str | None, str], int] = {}
    context: str | None = None
    for number, line in enumerate(lines, 1):
        if line.startswith("msgctxt "):
            context = line[len("msgctxt ") :].strip().strip('"')
        elif line.startswith("msgid "):
            key = (context, line[len("msgid ") :].strip().strip('"'))
            context = None
            count[key] = count.get(key, 0) + 1
            if key[1] and count[key] > 1:
                where = f"context {key[0]!r}, " if key[0] else ""
                raise WordsError(
                    f"{path}:{number}: {key[1]!r} ({where}first at line {kept.get(key, '?')}) "
                    "is in the catalogue twice"
                )


@cache
def entries(language: Language) -> Entries:
    return read_entries(po_path(language))


def text(key: str, language: Language, medium: Medium | None = None, /, **values: object) -> str:
    """The words for `key` in `language` (the medium's own when it has them), values filled in."""
    found = entries(language)
    template = found.get((medium, key)) if medium is not None else None
    if template is None:
        template = found.get((None, key))
    if template is None:
        where = f" (medium {medium})" if medium else ""
        raise MissingWord(f"no words for {key!r} in {po_path(language)}{where}")
    if not values:
        return template
    try:
        return template.format_map(values)
    except (KeyError, IndexError) as exc:
        raise MissingWord(f"{key!r} ({language}) needs the value {exc}") from None


def has(key: str, language: Language, medium: Medium | None = None) -> bool:
    """Whether `text` finds words for `key` in `language` and `medium`."""
    found = entries(language)
    return (None, key) in found or (medium is not None and (medium, key) in found)


def N_(key: str) -> str:  # gettext's name for "a key, looked up later"
    """Marks a key kept in a table so that extraction finds it; returns it unchanged."""
    return key


# Each language's own name for itself, the same in every catalogue: "العربية", "English".
LANGUAGE_NAMES: Final[dict[Language, str]] = {"ar": N_("language.ar"), "en": N_("language.en")}


def language_name(language: Language) -> str:
    """A language as its speakers name it (a language switch, a choice of language)."""
    return text(LANGUAGE_NAMES[language], language)


def with_script_words(script: str, keys: Iterable[str], prefix: str) -> str:
    """A browser script with its words filled in: `{/* words */}` in its source becomes
    `{"ar": {name: words…}, "en": {…}}`, each key by its name after `prefix`, and `other`,
    the name of the other language (what its language switch shows)."""
    words = {
        language: {
            **{key.removeprefix(prefix): text(key, language, "web") for key in keys},
            "other": language_name(next(other for other in LANGUAGES if other != language)),
        }
        for language in LANGUAGES
    }
    return script.replace("{/* words */}", json.dumps(words, ensure_ascii=False))


def check_all() -> None:
    """Read every catalogue now (at start-up), so a broken one stops the service at once."""
    for language in LANGUAGES:
        entries(language)
