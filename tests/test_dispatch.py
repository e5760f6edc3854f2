from pathlib import Path

import pytest

from bot.catalogue import Bilingual, Catalogue, Team, load_catalogue
from bot.dispatch import DispatchDecision, choose_team


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(Path(__file__).parents[1] / "catalogue.yml")


def team(code: str, capacity: int, districts: tuple[str, ...] | str = ("al_kut",)) -> Team:
    return Team(
        code=code,
        name=Bilingual(ar=code, en=code),
        department="roads_works",
        categories=("roads",),
        districts=districts,
        daily_capacity=capacity,
    )


def with_teams(catalogue: Catalogue, *teams: Team) -> Catalogue:
    return catalogue.model_copy(update={"teams": {t.code: t for t in teams}})


def test_least_load_for_capacity_wins_over_least_absolute_load(catalogue):
    roads = with_teams(catalogue, team("big", 20), team("small", 5))
    decision = choose_team("roads", "al_kut", roads, {"big": 6, "small": 2})
    assert decision == DispatchDecision(
        "roads_works",
        "big",
        "big has the lowest open load for its daily capacity (big 6/20, small 2/5)",
    )


def test_equal_ratio_goes_to_the_lower_absolute_load(catalogue):
    roads = with_teams(catalogue, team("a_large", 10), team("b_small", 4))
    decision = choose_team("roads", "al_kut", roads, {"a_large": 5, "b_small": 2})
    assert decision.team == "b_small"


def test_full_tie_goes_to_the_first_code(catalogue):
    roads = with_teams(catalogue, team("zulu", 10), team("alpha", 10))
    assert choose_team("roads", "al_kut", roads, {"zulu": 3, "alpha": 3}).team == "alpha"


def test_a_team_missing_from_the_workload_has_none_open(catalogue):
    roads = with_teams(catalogue, team("busy", 10), team("idle", 10))
    decision = choose_team("roads", "al_kut", roads, {"busy": 1})
    assert decision.team == "idle"
    assert decision.reason.endswith("(idle 0/10, busy 1/10)")


def test_teams_outside_the_district_are_not_considered(catalogue):
    roads = with_teams(catalogue, team("here", 10), team("elsewhere", 10, ("al_jafr",)))
    assert choose_team("roads", "al_kut", roads, {"here": 9}).team == "here"


def test_unknown_district_only_uses_teams_for_all_districts(catalogue):
    roads = with_teams(catalogue, team("local", 10), team("roaming", 10, "all"))
    decision = choose_team("roads", None, roads, {"roaming": 9})
    assert decision.team == "roaming"


def test_no_team_falls_back_to_the_department_queue(catalogue):
    decision = choose_team("roads", "al_uqair", catalogue, {})
    assert decision == DispatchDecision(
        "roads_works",
        None,
        "no field team serves roads in al_uqair; queued to department roads_works",
    )


def test_unknown_district_without_a_team_for_all_falls_back(catalogue):
    decision = choose_team("roads", None, catalogue, {})
    assert decision == DispatchDecision(
        "roads_works",
        None,
        "no field team serves roads in an unknown district; queued to department roads_works",
    )


def test_shipped_waste_coverage_prefers_the_relatively_idle_team(catalogue):
    decision = choose_team(
        "waste", "al_kut", catalogue, {"waste_hofuf": 18, "waste_rapid_response": 5}
    )
    assert decision.team == "waste_rapid_response"
    assert decision.reason == (
        "waste_rapid_response has the lowest open load for its daily capacity "
        "(waste_rapid_response 5/10, waste_hofuf 18/30)"
    )
    assert decision.department == "cleanliness"


def test_department_is_the_chosen_teams(catalogue):
    decision = choose_team("visual", "al_kut", catalogue, {"visual_quality": 8})
    assert decision.team == "removals_crew"
    assert decision.department == "removals"


def test_unknown_district_code_is_refused(catalogue):
    with pytest.raises(KeyError, match="unknown district 'al_xyz'"):
        choose_team("roads", "al_xyz", catalogue, {})
