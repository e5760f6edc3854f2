"""The catalogues under locales/ kept honest: extraction from the code, and the checks.

`make locales-extract` (`balagh locales extract`) finds every key the code names, writes the
template `locales/balagh.pot` and adds each new key to both catalogues with empty words, for
a translator to fill. `make locales-check` (`balagh locales check`, also run by the tests)
reports, each with the file and the line to fix:

- a catalogue that cannot be read (syntax, a duplicate entry, an unknown medium);
- an entry in one language and not the other, or without words;
- a key the code names that no catalogue has, and a key nothing names any more;
- values (`{name}`) that differ between the languages, or that a medium's words add;
- chat-only words ("type", "button", "اكتب"…) in what the phone says (context `voice`).

The code names a key as the first argument of `text(...)`, `say(...)`, `Button(...)`, of
`N_(...)` for keys kept in tables, and of `_(...)` in the page templates.
"""

import ast
import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.arabic import find_phrases
from bot.types import LANGUAGES, Language
from bot.words import DOMAIN, LOCALES_DIR, WordsError, po_path, read_entries

ROOT: Final = Path(__file__).resolve().parents[1]
TEMPLATE: Final = LOCALES_DIR / f"{DOMAIN}.pot"
KEYWORDS: Final = {"text": None, "say": None, "Button": None, "N_": None, "_": None}
SOURCES: Final = [
    ("bot/**.py", "bot.locales:extract_python"),
    ("channels/**.py", "bot.locales:extract_python"),
    ("actions/**.py", "bot.locales:extract_python"),
    ("bot/web/templates/**.html", "jinja2.ext:babel_extract"),
    ("domain.yml", "bot.locales:extract_domain"),
]
TEMPLATE_OPTIONS: Final = {
    "extensions": "jinja2.ext.i18n",
    "trim_blocks": "1",
    "lstrip_blocks": "1",
}
# Words that make sense only on a screen: the phone's texts (context `voice`) never use them.
CHAT_ONLY_WORDS: Final = (
    "write",
    "type",
    "typing",
    "button",
    "buttons",
    "tap",
    "click",
    "scroll",
    "emoji",
    "share your location",
    "send a photo",
    "اكتب",
    "أكتب",
    "اكتبها",
    "اكتبه",
    "الكتابة",
    "زر",
    "الزر",
    "الأزرار",
    "اضغط على الزر",
    "انقر",
    "شارك موقعك",
    "أرسل صورة",
)
_PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


@dataclass(frozen=True)
class Entry:
    key: str
    context: str | None
    words: str
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{_relative(self.path)}:{self.line}"

    @property
    def name(self) -> str:
        return f"{self.key!r}" + (f" (context {self.context})" if self.context else "")


Catalogues = Mapping[Language, list[Entry]]


def extract_python(
    fileobj: IO[bytes], keywords: Mapping[str, object], comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extraction method for Python, on the syntax tree: Babel's own tokenizer misses a
    keyword call nested in a list or another call (`say(…, buttons=[Button("…")])`)."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        function = node.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        first = node.args[0]
        if name in keywords and isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield node.lineno, str(name), first.value, []


def extract_domain(
    fileobj: IO[bytes], keywords: Mapping[str, object], comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """The words keys of the Rasa domain's responses: `say` and the titles of its `menu`."""
    source = fileobj.read().decode("utf-8")
    domain = yaml.safe_load(source)
    lines = source.splitlines()
    for variations in (domain.get("responses") or {}).values():
        for variation in variations:
            custom = variation.get("custom") or {}
            keys = [custom.get("say"), *(item.get("title") for item in custom.get("menu") or [])]
            for key in keys:
                if isinstance(key, str):
                    line = next((n for n, text in enumerate(lines, 1) if key in text), 0)
                    yield line, "_", key, []


def read_catalogue(path: Path) -> list[Entry]:
    """Every entry of one catalogue, translated or not; WordsError when it cannot be read."""
    read_entries(path)  # the strict checks: syntax, duplicates, media
    with path.open("rb") as file:
        catalog = read_po(file)
    return [
        Entry(str(message.id), message.context, str(message.string), path, message.lineno or 0)
        for message in catalog
        if message.id
    ]


def read_catalogues(locales_dir: Path = LOCALES_DIR) -> Catalogues:
    return {language: read_catalogue(po_path(language, locales_dir)) for language in LANGUAGES}


def keys_in_code(root: Path = ROOT) -> dict[str, list[str]]:
    """Each key the code names, with where (`file:line`)."""
    found: dict[str, list[str]] = {}
    options = {pattern: TEMPLATE_OPTIONS for pattern, method in SOURCES if "jinja2" in method}
    extracted = extract_from_dir(str(root), SOURCES, options, KEYWORDS, comment_tags=())
    for filename, line, message, _, _ in extracted:
        if isinstance(message, str) and message:
            found.setdefault(message, []).append(f"{filename}:{line}")
    return found


def language_gaps(catalogues: Catalogues) -> list[str]:
    """Entries that one language has and another lacks, and entries without words yet."""
    have = {
        language: {(e.context, e.key) for e in entries} for language, entries in catalogues.items()
    }
    problems = []
    for entries in catalogues.values():
        for entry in entries:
            if not entry.words:
                problems.append(f"{entry.where}: {entry.name} has no words yet")
            problems += [
                f"{entry.where}: {entry.name} is missing from the {other} catalogue"
                for other in catalogues
                if (entry.context, entry.key) not in have[other]
            ]
    return problems


def missing_words(used: Mapping[str, list[str]], catalogues: Catalogues) -> list[str]:
    """Keys the code names that a catalogue does not have at all."""
    return [
        f"{places[0]}: {key!r} has no words in the {language} catalogue"
        for language, entries in catalogues.items()
        for key, places in sorted(used.items())
        if key not in {entry.key for entry in entries}
    ]


def unused_words(used: Mapping[str, list[str]], catalogues: Catalogues) -> list[str]:
    """Entries no code names any more."""
    return [
        f"{entry.where}: {entry.name} is used nowhere in the code: delete it"
        for entries in catalogues.values()
        for entry in entries
        if entry.key not in used
    ]


def placeholder_mismatches(catalogues: Catalogues) -> list[str]:
    """Values must be the same in every language; a medium's words may use fewer, not more."""
    problems = []
    by_key: dict[tuple[str | None, str], dict[Language, Entry]] = {}
    for language, entries in catalogues.items():
        for entry in entries:
            by_key.setdefault((entry.context, entry.key), {})[language] = entry
    for (context, key), translations in by_key.items():
        names = {language: _placeholders(entry.words) for language, entry in translations.items()}
        if len({frozenset(found) for found in names.values()}) > 1:
            first = next(iter(translations.values()))
            listed = "; ".join(f"{lang}: {sorted(found)}" for lang, found in names.items())
            problems.append(f"{first.where}: {first.name} has different values ({listed})")
        base = by_key.get((None, key), {})
        for language, entry in translations.items():
            if context is None or language not in base:
                continue
            extra = names[language] - _placeholders(base[language].words)
            if extra:
                problems.append(
                    f"{entry.where}: {entry.name} uses {sorted(extra)}, which the code does "
                    f"not give (the entry without a context has no such value)"
                )
    return problems


def chat_words_on_the_phone(catalogues: Catalogues) -> list[str]:
    """The phone's own words (context `voice`) must not ask a caller to type, tap or click."""
    problems = []
    for entries in catalogues.values():
        for entry in entries:
            if entry.context != "voice":
                continue
            found = find_phrases(entry.words, CHAT_ONLY_WORDS)
            if found:
                problems.append(
                    f"{entry.where}: {entry.name} is said on the phone but has chat-only words "
                    f"({', '.join(found)}): say what a caller does (press, say)"
                )
    return problems


def check(root: Path = ROOT, locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Every problem with the catalogues, each naming the file and line to fix."""
    try:
        catalogues = read_catalogues(locales_dir)
    except WordsError as exc:
        return [str(exc)]
    used = keys_in_code(root)
    return [
        *language_gaps(catalogues),
        *missing_words(used, catalogues),
        *unused_words(used, catalogues),
        *placeholder_mismatches(catalogues),
        *chat_words_on_the_phone(catalogues),
    ]


def extract(root: Path = ROOT, locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Write the template and add the code's new keys to each catalogue; returns the keys added.

    Nothing is removed: an entry no code names any more is reported by `check`.
    """
    used = keys_in_code(root)
    template = Catalog(domain=DOMAIN, project="Balagh 940", fuzzy=False)
    for key, places in sorted(used.items()):
        template.add(key, locations=[_location(place) for place in places])
    with (locales_dir / f"{DOMAIN}.pot").open("wb") as file:
        write_po(file, template, width=100)
    added: list[str] = []
    for language in LANGUAGES:
        path = po_path(language, locales_dir)
        with path.open("rb") as file:
            catalog = read_po(file)
        have = {message.id for message in catalog}
        for key in sorted(set(used) - have):
            catalog.add(key, "")
            added.append(f"{_relative(path)}: {key}")
        with path.open("wb") as file:
            write_po(file, catalog, width=100, include_lineno=False, omit_header=False)
    return added


def _placeholders(words: str) -> set[str]:
    return {match.group(1) for match in _PLACEHOLDER.finditer(words)}


def _location(place: str) -> tuple[str, int]:
    filename, _, line = place.rpartition(":")
    return filename, int(line)


def _relative(path: Path | str) -> str:
    path = Path(path)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)
