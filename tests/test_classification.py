from pathlib import Path

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.classification import Classification, classify


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(Path(__file__).parents[1] / "catalogue.yml")


# For each category: Gulf dialect, MSA, English, and mixed Arabic/English as people type them.
REPORTS = {
    "roads": [
        "fe 7ofra kbeera gddam el bait",  # Arabizi
        "فيه حفره كبيرة بالشارع قدام بيتنا وخربت كفر السيارة",
        "توجد حفرة عميقة في الطريق الرئيسي بحي الكوت",
        "There is a big pothole on King Fahd road",
        "الأسفلت متكسر and there are potholes everywhere",
    ],
    "lighting": [
        "el3amood tafi 3ndna mn osbo3",
        "عمود الانارة طافي من اسبوع والشارع ظلمه",
        "نأمل إصلاح أعمدة الإنارة المعطلة في الحي",
        "The street light outside my house has been out for a week",
        "اللمبة في عمود street light خربانة",
    ],
    "waste": [
        "el zbala ma ensha7at mn 3 ayam",
        "الزباله مترسه والحاويه ما فضوها من ثلاث ايام",
        "تراكم النفايات حول الحاويات في حي المزروعية",
        "Garbage has not been collected and the bin is overflowing",
        "الحاوية full of trash من أسبوع",
    ],
    "drainage": [
        "المجاري طافحه في الشارع والريحه ما تنطاق",
        "طفح الصرف الصحي أمام المسجد منذ يومين",
        "Sewage overflow near the mosque, the manhole is open",
        "البيارة overflowing قدام البيت",
    ],
    "animals": [
        "حمام ميت على سطوح البيوت",
        "dead pigeons on the roof of our building",
        "فيه كلاب ضاله كثيره بالحي تهاجم الناس",
        "انتشار الكلاب الضالة في الحي السكني",
        "There are stray dogs in our neighbourhood at night",
        "صراصير وفئران everywhere in the alley",
    ],
    "buildings": [
        "البيت القديم اللي جنبنا متشقق ويخوف",
        "the old building next to us has cracks in the walls",
        "جارنا يبني دور زيادة بدون ترخيص",
        "يوجد مبنى آيل للسقوط في حي الرفعة",
        "My neighbour is doing illegal construction without a permit",
        "بيت مهجور and it looks dilapidated",
    ],
    "parks": [
        "المراجيح في الحديقة خربانة",
        "الأشجار في الحديقة العامة تحتاج إلى تقليم",
        "The swings in the park playground are broken",
        "The grass في الحديقه ميت ما فيه سقي",
    ],
    "food_safety": [
        "المطعم وسخ والاكل فاسد",
        "بيع مواد غذائية منتهية الصلاحية في بقالة الحي",
        "I got food poisoning from a restaurant on Dhahran road",
        "البقالة تبيع expired food",
    ],
    "vehicles": [
        "فيه سياره خربانه مركونه من شهور عند بيتنا",
        "سيارة مهجورة متروكة في الشارع منذ أشهر",
        "There is an abandoned car in front of my house for months",
        "سيارة مهجورة no plates من سنة",
    ],
    "visual": [
        "اللوحة الإعلانية مكسورة وبتطيح على الناس",
        "a broken billboard is hanging over the road",
        "شخابيط وكتابات على جدار المدرسة",
        "انتشار الكتابات على الجدران والتشوه البصري",
        "Someone sprayed graffiti on the wall",
        "فيه graffiti على الجدار",
    ],
    "livestock": [
        "فيه جمل سايب على الطريق السريع",
        "غنم سائبة في الشارع والسيارات توقف",
        "a camel is loose on the road near the roundabout",
        "fe jamal sayeb 3la el 6ree8",
    ],
}


@pytest.mark.parametrize(
    ("text", "category"),
    [(text, category) for category, texts in REPORTS.items() for text in texts],
)
def test_realistic_reports_land_in_their_category(catalogue, text, category):
    result = classify(text, catalogue)
    assert result.category == category, result.reason
    assert result.candidates == (category,)
    assert result.keywords


def test_reason_lists_matched_keywords_and_score(catalogue):
    result = classify("حفرة في الأسفلت and a broken sidewalk", catalogue)
    assert result == Classification(
        category="roads",
        keywords=("حفرة", "اسفلت", "sidewalk"),
        candidates=("roads",),
        reason="matched 'حفرة', 'اسفلت', 'sidewalk' → roads (score 3)",
    )


def test_reason_names_the_runner_up(catalogue):
    result = classify("كلاب ضالة في الحديقة", catalogue)
    assert result.category == "animals"
    assert result.reason == "matched 'كلاب', 'كلاب ضالة' → animals (score 3, next parks 1)"


def test_longer_phrases_weigh_more(catalogue):
    # "street light" (2 words) outweighs "garbage" (1 word).
    result = classify("the street light near the garbage", catalogue)
    assert result.category == "lighting"


def test_spelling_variants_count_once(catalogue):
    result = classify("حفره حفرة حفرة", catalogue)
    assert result.keywords == ("حفرة",)
    assert result.reason == "matched 'حفرة' → roads (score 1)"


def test_tie_is_ambiguous_and_names_the_candidates(catalogue):
    result = classify("صراصير في المطعم", catalogue)
    assert result == Classification(
        category=None,
        keywords=("صراصير", "مطعم"),
        candidates=("animals", "food_safety"),
        reason="ambiguous: score 1 tie between animals ('صراصير'), food_safety ('مطعم')",
    )


@pytest.mark.parametrize(
    "text",
    ["السلام عليكم", "Hello, I want to ask about my application", "", "١٢٣٤٥"],
)
def test_no_keyword_means_no_category(catalogue, text):
    assert classify(text, catalogue) == Classification(None, (), (), "no keyword matched")
