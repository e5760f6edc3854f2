from pathlib import Path

import pytest

from bot.catalogue import Catalogue, load_catalogue
from bot.priority import PriorityDecision, assess_priority


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(Path(__file__).parents[1] / "catalogue.yml")


def test_no_urgency_keeps_the_category_default(catalogue):
    assert assess_priority("عمود الانارة طافي", "lighting", catalogue) == PriorityDecision(
        "P3", "category default P3"
    )


def test_live_wire_raises_to_p1(catalogue):
    decision = assess_priority("سلك كهرباء مكشوف عند عمود الانارة", "lighting", catalogue)
    assert decision == PriorityDecision(
        "P1", "urgency 'live electric wire' (سلك كهرباء) raised P3 → P1"
    )


@pytest.mark.parametrize(
    ("text", "category", "priority", "rule"),
    [
        ("الموية دخلت البيوت والشارع غرقان", "drainage", "P1", "flood"),
        ("The building collapsed partly last night", "buildings", "P1", "collapse"),
        ("فيه ريحة غاز قوية جنب البقالة", "food_safety", "P1", "gas leak"),
        ("الحاوية فيها حريق", "waste", "P1", "fire"),
        ("ولد انصاب في الحفرة ورجله تنزف", "roads", "P1", "injury"),
        ("العيال يلعبون عند السيارة الخربانة", "vehicles", "P2", "children at risk"),
        ("graffiti on the school wall", "visual", "P2", "near a school"),
        ("صار حادث بسبب الحفرة", "roads", "P2", "accident"),
        ("الحفرية سادة طريق الحي كامل", "roads", "P2", "blocked road"),
    ],
)
def test_urgency_rules_raise_the_priority(catalogue, text, category, priority, rule):
    decision = assess_priority(text, category, catalogue)
    assert decision.priority == priority
    assert decision.reason.startswith(f"urgency '{rule}'")


def test_the_most_urgent_rule_wins(catalogue):
    text = "سلك كهرباء مكشوف والأطفال يلعبون جنبه"
    decision = assess_priority(text, "lighting", catalogue)
    assert decision == PriorityDecision(
        "P1", "urgency 'live electric wire' (سلك كهرباء) raised P3 → P1"
    )


def test_a_lower_rule_never_lowers_the_default(catalogue):
    decision = assess_priority(
        "the restaurant next to the school is dirty", "food_safety", catalogue
    )
    assert decision == PriorityDecision(
        "P2", "category default P2 kept; urgency 'near a school' (school) is only P2"
    )


def test_a_p1_default_stays_p1(catalogue):
    roads = catalogue.category("roads").model_copy(update={"default_priority": "P1"})
    urgent = catalogue.model_copy(update={"categories": {**catalogue.categories, "roads": roads}})
    decision = assess_priority("حفرة جنب المدرسة", "roads", urgent)
    assert decision.priority == "P1"
    assert decision.reason == "category default P1 kept; urgency 'near a school' (مدرسة) is only P2"


def test_reason_lists_every_matched_word_of_the_rule(catalogue):
    decision = assess_priority("fire and smoke from the bin", "waste", catalogue)
    assert decision.reason == "urgency 'fire' (fire, smoke) raised P3 → P1"


def test_unknown_category_is_refused(catalogue):
    with pytest.raises(KeyError, match="unknown category 'potholes'"):
        assess_priority("حفرة", "potholes", catalogue)
