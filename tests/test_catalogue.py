import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalogue import Bilingual, Catalogue, CatalogueError, load_catalogue

SHIPPED = Path(__file__).parents[1] / "catalogue.yml"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(SHIPPED)


@pytest.fixture(scope="module")
def shipped_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(path: Path) -> tuple[str, ...]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return caught.value.problems


# The shipped catalogue


def test_shipped_catalogue_has_the_ten_categories_in_menu_order(catalogue):
    assert tuple(catalogue.categories) == (
        "roads",
        "lighting",
        "waste",
        "drainage",
        "animals",
        "buildings",
        "parks",
        "food_safety",
        "vehicles",
        "visual",
    )


def test_shipped_keywords_are_rich_in_both_languages(catalogue):
    for category in catalogue.categories.values():
        assert 15 <= len(category.keywords.ar) <= 40, category.code
        assert 15 <= len(category.keywords.en) <= 40, category.code


def test_shipped_districts_cover_hofuf_mubarraz_and_villages(catalogue):
    assert len(catalogue.districts) >= 20
    assert catalogue.district("al_hofuf").name.ar == "الهفوف"
    assert catalogue.district("al_mubarraz").name.ar == "المبرز"
    assert catalogue.district("al_uqair").name.en == "Al Uqair"


def test_shipped_coverage_leaves_some_pairs_to_the_department_queue(catalogue):
    assert catalogue.teams_serving("roads", "al_uqair") == []
    assert catalogue.teams_serving("parks", "al_jafr") == []


def test_shipped_entries_know_their_codes(catalogue):
    assert catalogue.category("roads").code == "roads"
    assert catalogue.teams["roads_hofuf"].code == "roads_hofuf"
    assert catalogue.department("roads_works").code == "roads_works"


def test_shipped_departments_each_name_a_supervisor(catalogue):
    for department in catalogue.departments.values():
        assert len(department.supervisors) >= 1, department.code
    assert catalogue.department("roads_works").supervisors == ("roads.supervisor",)


def test_shipped_practical_settings(catalogue):
    assert catalogue.municipality.phone_line == "940"
    assert catalogue.municipality.timezone == "Asia/Riyadh"
    assert catalogue.reopen_days == 7
    assert catalogue.intake_department in catalogue.departments
    numbers = {code: entry.number for code, entry in catalogue.emergency_numbers.items()}
    assert numbers["civil_defense"] == "998"
    assert numbers["police"] == "999"
    assert numbers["red_crescent"] == "997"
    assert numbers["unified_emergency"] == "911"


def test_sla_hours_are_indexed_by_priority(catalogue):
    hours = catalogue.category("drainage").sla_hours
    assert list(hours) == ["P1", "P2", "P3", "P4"]
    assert hours["P1"] < hours["P4"]


def test_bilingual_get():
    text = Bilingual(ar="الطرق", en="Roads")
    assert text.get("ar") == "الطرق"
    assert text.get("en") == "Roads"


def test_lookups_name_the_unknown_code(catalogue):
    with pytest.raises(KeyError, match="unknown category 'potholes'"):
        catalogue.category("potholes")
    with pytest.raises(KeyError, match="unknown district 'al_xyz'"):
        catalogue.district("al_xyz")
    with pytest.raises(KeyError, match="unknown district 'al_xyz'"):
        catalogue.teams_serving("roads", "al_xyz")


def test_teams_serving_by_district(catalogue):
    assert [team.code for team in catalogue.teams_serving("roads", "al_kut")] == ["roads_hofuf"]
    assert [team.code for team in catalogue.teams_serving("waste", "al_kut")] == [
        "waste_hofuf",
        "waste_rapid_response",
    ]


def test_teams_serving_an_unknown_district_only_lists_teams_for_all(catalogue):
    assert [team.code for team in catalogue.teams_serving("waste", None)] == [
        "waste_rapid_response"
    ]
    assert catalogue.teams_serving("roads", None) == []


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2025, 3, 2, 4, 30, tzinfo=UTC), True),  # Sunday 07:30 in Riyadh
        (datetime(2025, 3, 6, 11, 29, tzinfo=UTC), True),  # Thursday 14:29
        (datetime(2025, 3, 6, 11, 30, tzinfo=UTC), False),  # Thursday 14:30
        (datetime(2025, 3, 2, 4, 29, tzinfo=UTC), False),  # Sunday 07:29
        (datetime(2025, 3, 7, 6, 0, tzinfo=UTC), False),  # Friday 09:00
    ],
)
def test_working_hours_in_riyadh_time(catalogue, moment, is_open):
    assert catalogue.working_hours.is_open(moment) is is_open


# Validation: every problem names the file, the key path and the problem


def _set(*keys: str | int, value: Any):
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(*keys: str):
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


def _share_keyword(data: dict[str, Any]) -> None:
    """Graffiti as a category of its own, its first keyword still also visual's."""
    graffiti = copy.deepcopy(data["categories"]["visual"])
    graffiti["name"] = {"ar": "الكتابة على الجدران", "en": "Wall writing"}
    graffiti["keywords"] = {"ar": ["كتابات"], "en": ["scrawl"]}
    data["categories"]["graffiti"] = graffiti


def _keyword_names_a_district(data: dict[str, Any]) -> None:
    data["categories"]["parks"]["keywords"]["en"].append("Al Kut")


def _add_bad_district(data: dict[str, Any]) -> None:
    data["districts"]["Al-Xyz"] = {"name": {"ar": "س", "en": "X"}}


def _steal_alias(data: dict[str, Any]) -> None:
    data["districts"]["al_kut"]["aliases"]["en"].append("Hofuf")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            _set("categories", "roads", "sla_hours", "P1", value=0),
            "categories.roads.sla_hours.P1: Input should be greater than 0",
        ),
        (
            _set("categories", "roads", "sla_hours", "P1", value=100),
            "categories.roads.sla_hours: must not decrease from P1 to P4, "
            "got P1=100, P2=24, P3=72, P4=168",
        ),
        (
            _delete("categories", "roads", "sla_hours", "P3"),
            "categories.roads.sla_hours: missing P3",
        ),
        (
            _set("categories", "roads", "default_priority", value="P5"),
            "categories.roads.default_priority: Input should be 'P1', 'P2', 'P3' or 'P4'",
        ),
        (
            _set("teams", "roads_hofuf", "districts", 2, value="al_xyz"),
            "teams.roads_hofuf.districts[2]: unknown district 'al_xyz'",
        ),
        (
            _set("teams", "roads_hofuf", "districts", 0, value=7),
            "teams.roads_hofuf.districts[0]: Input should be a valid string",
        ),
        (
            _set("teams", "roads_hofuf", "districts", value="everywhere"),
            "teams.roads_hofuf.districts: must be 'all' or a list of district codes",
        ),
        (
            _set("teams", "roads_hofuf", "categories", value=["roads", "potholes"]),
            "teams.roads_hofuf.categories[1]: unknown category 'potholes'",
        ),
        (
            _set("teams", "roads_hofuf", "department", value="roads"),
            "teams.roads_hofuf.department: unknown department 'roads'",
        ),
        (
            _set("teams", "roads_hofuf", "daily_capacity", value=0),
            "teams.roads_hofuf.daily_capacity: Input should be greater than 0",
        ),
        (
            _set("teams", "roads_hofuf", "colour", value="red"),
            "teams.roads_hofuf.colour: Extra inputs are not permitted",
        ),
        (
            _set("teams", "roads_hofuf", "code", value="roads_x"),
            "teams: entry roads_hofuf sets 'code'; its key is its code",
        ),
        (
            _set("categories", "lighting", "department", value="electricity"),
            "categories.lighting.department: unknown department 'electricity'",
        ),
        (
            _set("intake_department", value="reception"),
            "intake_department: unknown department 'reception'",
        ),
        (
            _set("categories", value={}),
            "categories: Dictionary should have at least 1 item after validation, not 0",
        ),
        (
            _share_keyword,
            # (written back sorted, graffiti comes first)
            "categories.visual.keywords.ar[0]: 'كتابات' is also in category 'graffiti' "
            "(categories.graffiti.keywords.ar[0]): a report using it would tie between the two "
            "and stay unclassified; keep it in one of them",
        ),
        (
            _keyword_names_a_district,
            "categories.parks.keywords.en[20]: 'Al Kut' names district 'al_kut': the bot would "
            "take the district for the category; remove it here or from the district",
        ),
        (
            _set("district_menu", 1, value="al_xyz"),
            "district_menu[1]: unknown district 'al_xyz'",
        ),
        (
            _set("district_menu", value=["al_hofuf", "al_kut", "al_oyun", "al_omran", "al_rifaa"]),
            "district_menu: Tuple should have at most 4 items after validation, not 5",
        ),
        (
            _set("categories", "roads", "keywords", "ar", 3, value="؟!"),
            "categories.roads.keywords.ar[3]: '؟!' has no letters or digits",
        ),
        (
            _set("categories", "roads", "keywords", "en", value=[]),
            "categories.roads.keywords.en: Tuple should have at least 1 item after validation,"
            " not 0",
        ),
        (
            _set("urgency", 0, "priority", value="P3"),
            "urgency[0].priority: Input should be 'P1' or 'P2'",
        ),
        (
            _add_bad_district,
            "districts.Al-Xyz[key]: String should match pattern '^[a-z][a-z0-9_]*$'",
        ),
        (
            _steal_alias,
            "districts.al_kut.aliases.en[2]: 'Hofuf' already names district 'al_hofuf'",
        ),
        (
            _set("working_hours", "timezone", value="Asia/Hofuf"),
            "working_hours.timezone: unknown timezone 'Asia/Hofuf'",
        ),
        (
            _set("working_hours", "start", value="15:00"),
            "working_hours: start must be before end",
        ),
        (
            _set("working_hours", "days", value=["sunday", "someday"]),
            "working_hours.days[1]: Input should be 'sunday', 'monday', 'tuesday', 'wednesday',"
            " 'thursday', 'friday' or 'saturday'",
        ),
        (
            _set("emergency_numbers", "police", "number", value=999),
            "emergency_numbers.police.number: Input should be a valid string",
        ),
        (_set("reopen_days", value=0), "reopen_days: Input should be greater than 0"),
        (
            _set("departments", "roads_works", "supervisors", 0, value="Roads Lead"),
            "departments.roads_works.supervisors[0]: 'Roads Lead' is not a staff username "
            "(3 to 40 of a-z 0-9 . _ -)",
        ),
        (
            _set("teams", "roads_hofuf", "supervisors", value=["sara.h", "omar", "sara.h"]),
            "teams.roads_hofuf.supervisors[2]: 'sara.h' is listed twice",
        ),
        (
            _set("departments", "lighting", "supervisors", value="lighting.supervisor"),
            "departments.lighting.supervisors: Input should be a valid tuple",
        ),
        (_delete("municipality"), "municipality: Field required"),
    ],
)
def test_each_problem_names_file_key_and_problem(tmp_path, shipped_data, change, problem):
    data = copy.deepcopy(shipped_data)
    change(data)
    path = write(tmp_path, data)
    assert f"{path}: {problem}" in problems_of(path)


def test_every_reference_problem_is_reported_at_once(tmp_path, shipped_data):
    data = copy.deepcopy(shipped_data)
    data["teams"]["roads_hofuf"]["districts"][0] = "al_one"
    data["teams"]["roads_mubarraz"]["districts"][1] = "al_two"
    path = write(tmp_path, data)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert caught.value.problems == (
        f"{path}: teams.roads_hofuf.districts[0]: unknown district 'al_one'",
        f"{path}: teams.roads_mubarraz.districts[1]: unknown district 'al_two'",
    )
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "catalogue.yml"
    path.write_text("municipality:\n  name: {ar: أمانة, en: [x}\nreopen_days: 7\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: line 2, column ")
    assert "invalid YAML" in problem


def test_duplicate_keys_are_refused_not_overwritten(tmp_path):
    path = tmp_path / "catalogue.yml"
    path.write_text("districts:\n  al_kut: {}\n  al_kut: {}\n")
    assert problems_of(path) == (f"{path}: line 3, column 3: invalid YAML: duplicate key 'al_kut'",)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yml"
    assert problems_of(path) == (f"{path}: cannot read: No such file or directory",)


def test_top_level_must_be_a_mapping(tmp_path):
    path = tmp_path / "catalogue.yml"
    path.write_text("- roads\n- lighting\n")
    assert problems_of(path) == (f"{path}: expected a mapping of sections at the top level",)
