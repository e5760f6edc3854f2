"""Every word a template asks for exists in both languages."""

import re

from bot.web.i18n import TEXT
from bot.web.render import HERE

_KEY = re.compile(r"""\bt\('([a-z0-9_.]+)'\)""")


def test_every_template_key_is_translated() -> None:
    used = {
        key
        for path in (HERE / "templates").glob("*.html")
        for key in _KEY.findall(path.read_text())
    }
    assert used, "no keys found: the pattern is out of date"
    assert sorted(used - set(TEXT)) == []


def test_every_text_has_arabic_and_english() -> None:
    for key, (arabic, english) in TEXT.items():
        assert arabic.strip(), key
        assert english.strip(), key
