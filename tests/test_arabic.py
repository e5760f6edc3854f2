import ast
import sys
from pathlib import Path

import pytest

from bot import arabic
from bot.arabic import find_phrases, normalise, readings, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("حُفْرَةٌ", "حفره", id="harakat-and-tanween"),
        pytest.param("شدّة", "شده", id="shadda"),
        pytest.param("الرحمٰن", "الرحمن", id="superscript-alef"),
        pytest.param("حفـــرة", "حفره", id="tatweel"),
        pytest.param("أسفلت إنارة آبار ٱلحي", "اسفلت اناره ابار الحي", id="alef-forms"),
        pytest.param("طافحة", "طافحه", id="ta-marbuta"),
        pytest.param("مبنى", "مبني", id="alef-maqsura"),
        pytest.param("مؤسسة", "موسسه", id="waw-hamza"),
        pytest.param("بيئة", "بييه", id="ya-hamza"),
        pytest.param("بلاغ ١٢٣٤ و ۵۶۷", "بلاغ 1234 و 567", id="eastern-and-persian-digits"),
        pytest.param("وين الحفرة؟ هنا، بالشارع؛", "وين الحفره؟ هنا، بالشارع؛", id="ar-punctuation"),
        pytest.param("Street LIGHT", "street light", id="latin-lowercase"),
        pytest.param("  حفرة \t\n  كبيرة  ", "حفره كبيره", id="whitespace"),
        pytest.param("\u200fحفرة\u200e", "حفره", id="direction-marks"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_tokens_are_normalised_words_without_punctuation():
    assert tokens("الحُفرة، وين؟ Pothole!") == ["الحفره", "وين", "pothole"]


@pytest.mark.parametrize(
    ("word", "reading"),
    [
        ("بالحفره", "حفره"),
        ("الكلاب", "كلاب"),
        ("والحفر", "حفر"),
        ("وبالحفره", "حفره"),
        ("للحديقه", "حديقه"),
        ("فالشارع", "شارع"),
        ("كالمجاري", "مجاري"),
        ("وحاويه", "حاويه"),
        ("potholes", "pothole"),
    ],
)
def test_readings_strip_clitic_prefixes_and_english_plural(word, reading):
    assert reading in readings(word)
    assert word in readings(word)


def test_readings_keep_words_whole_when_the_stem_would_be_too_short():
    assert readings("الم") == {"الم"}


def test_readings_do_not_singularise_double_s_or_short_words():
    assert readings("glass") == {"glass"}
    assert readings("gas") == {"gas"}


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("فيه حفرة بالحفره", "حفرة"),
        ("بالحفره اللي قدام البيت", "حفرة"),
        ("الكلاب منتشرة", "كلاب"),
        ("البالوعة مسدودة", "بالوعة"),
        ("بالوعه مسدوده", "بالوعة"),
        ("والأسفلت متكسّر", "اسفلت"),
        ("The potholes are huge", "pothole"),
    ],
)
def test_find_phrases_matches_through_prefixes_and_spelling(text, keyword):
    assert find_phrases(text, [keyword]) == [keyword]


def test_find_phrases_needs_phrase_words_consecutive():
    assert find_phrases("الكلاب الضالة", ["كلاب ضالة"]) == ["كلاب ضالة"]
    assert find_phrases("كلاب كثيرة ضالة", ["كلاب ضالة"]) == []


def test_find_phrases_counts_spelling_variants_once_keeping_the_first_listed():
    assert find_phrases("حفره وحفرة", ["حفره", "حفرة", "مطب"]) == ["حفره"]


def test_find_phrases_keeps_the_given_order_across_languages():
    text = "الحفرة in the asphalt"
    assert find_phrases(text, ["asphalt", "حفرة", "sidewalk"]) == ["asphalt", "حفرة"]


def test_find_phrases_ignores_phrases_without_words():
    assert find_phrases("؟؟", ["؟", ""]) == []


def test_find_phrases_does_not_match_inside_longer_words():
    assert find_phrases("parked car", ["park"]) == []


def test_module_stays_importable_by_the_python_310_rasa_env():
    source = Path(arabic.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 10))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    foreign = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and name != "bot.digits"
    }
    assert foreign == set()
