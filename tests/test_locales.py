"""The word catalogues (locales/) and the one lookup: each rule of `make locales-check` fails a
test on the shipped catalogues, and is shown to catch what it is for on a broken copy."""

from pathlib import Path

import pytest

from bot import locales
from bot.types import LANGUAGES
from bot.words import MissingWord, WordsError, po_path, read_entries, text

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.fixture(scope="module")
def catalogues() -> locales.Catalogues:
    return locales.read_catalogues()


@pytest.fixture(scope="module")
def used() -> dict[str, list[str]]:
    return locales.keys_in_code()


def catalogue_of(tmp_path: Path, language: str, body: str) -> Path:
    path = po_path(language, tmp_path)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True)
    path.write_text(HEADER + body, encoding="utf-8")
    return path


# ---- the shipped catalogues --------------------------------------------------------------
def test_every_entry_is_in_both_languages_with_words(catalogues):
    assert locales.language_gaps(catalogues) == []


def test_every_key_the_code_names_has_words(used, catalogues):
    assert locales.missing_words(used, catalogues) == []


def test_no_key_is_unused(used, catalogues):
    assert locales.unused_words(used, catalogues) == []


def test_values_agree_between_languages_and_mediums(catalogues):
    assert locales.placeholder_mismatches(catalogues) == []


def test_the_phone_says_no_chat_only_words(catalogues):
    assert locales.chat_words_on_the_phone(catalogues) == []


def test_the_code_names_keys_in_python_templates_and_the_domain(used):
    assert "report.ask_district" in used  # speaker.say(…) in actions/
    assert "call.conventions" in used  # text(…) on the phone line
    assert "queue.title" in used  # _(…) in a page template
    assert "dialogue.goodbye" in used  # a domain response's `say`
    assert "button.fix_phone" in used  # Button(…) nested in a menu list


# ---- the lookup --------------------------------------------------------------------------
def test_a_medium_takes_its_own_words_else_the_common_ones():
    assert text("handoff.transfer", "en", "voice") == text("handoff.transfer", "en")
    assert text("call.no_input", "ar", "voice") == "ما وصلني ردك."
    with pytest.raises(MissingWord, match=r"'call.no_input'.*\(medium chat\)"):
        text("call.no_input", "ar", "chat")


def test_a_missing_key_or_value_is_a_clear_error():
    with pytest.raises(MissingWord, match=r"no words for 'report\.nowhere' in .*ar/LC_MESSAGES"):
        text("report.nowhere", "ar")
    with pytest.raises(MissingWord, match=r"'report.created' \(en\) needs the value 'due'"):
        text("report.created", "en", reference="1234567890")


# ---- each check catches what it is for ----------------------------------------------------
def test_a_syntax_error_names_the_file_and_line(tmp_path):
    path = catalogue_of(tmp_path, "ar", 'msgid "a.b"\nmsgstr "x"\n\nmsgid "c.d\nmsgstr "y"\n')
    with pytest.raises(WordsError, match=rf"{path}:8: not a .po line"):
        read_entries(path)


def test_an_entry_twice_and_an_unknown_medium_are_refused(tmp_path):
    twice = catalogue_of(
        tmp_path / "1", "ar", 'msgid "a.b"\nmsgstr "x"\n\nmsgid "a.b"\nmsgstr "y"\n'
    )
    with pytest.raises(WordsError, match=rf"{twice}:8: 'a.b' \(first at line 5\) .* twice"):
        read_entries(twice)
    fax = catalogue_of(tmp_path / "2", "ar", 'msgctxt "fax"\nmsgid "a.b"\nmsgstr "x"\n')
    with pytest.raises(WordsError, match="msgctxt 'fax' is not a medium"):
        read_entries(fax)


def test_the_checks_catch_a_gap_an_unused_key_a_value_and_chat_words_on_the_phone(tmp_path):
    catalogue_of(
        tmp_path,
        "ar",
        'msgid "a.said"\nmsgstr "قل {x}"\n\n'
        'msgid "a.old"\nmsgstr "قديم"\n\n'
        'msgctxt "voice"\nmsgid "a.said"\nmsgstr "اكتب رقمك {x}"\n',
    )
    catalogue_of(
        tmp_path,
        "en",
        'msgid "a.said"\nmsgstr "say {y}"\n\nmsgctxt "voice"\nmsgid "a.said"\nmsgstr "type {x}"\n',
    )
    catalogues = {
        language: locales.read_catalogue(po_path(language, tmp_path)) for language in LANGUAGES
    }
    used = {"a.said": ["x.py:1"], "a.new": ["x.py:2"]}
    assert [p.split(": ", 1)[1] for p in locales.language_gaps(catalogues)] == [
        "'a.old' is missing from the en catalogue"
    ]
    assert locales.missing_words(used, catalogues) == [
        "x.py:2: 'a.new' has no words in the ar catalogue",
        "x.py:2: 'a.new' has no words in the en catalogue",
    ]
    assert [p.split(": ", 1)[1] for p in locales.unused_words(used, catalogues)] == [
        "'a.old' is used nowhere in the code: delete it"
    ]
    mismatches = locales.placeholder_mismatches(catalogues)
    assert any("'a.said' has different values (ar: ['x']; en: ['y'])" in p for p in mismatches)
    assert any("(context voice) uses ['x'], which the code does not give" in p for p in mismatches)
    phone = locales.chat_words_on_the_phone(catalogues)
    assert len(phone) == 2
    assert "chat-only words (اكتب)" in phone[0]
    assert "chat-only words (type)" in phone[1]
