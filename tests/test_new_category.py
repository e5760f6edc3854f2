"""Adding a category is an edit of catalogue.yml and nothing else: from a temporary catalogue
with "graffiti" (its words moved out of `visual`, as the catalogue check asks), it is in the
report menu, the NLU's lookup tables, Open311's services and the KPIs."""

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import ValidateComplaintForm
from bot.settings import ROOT, Settings
from bot.types import Role
from nlu_components import lookups
from tests.actions.conftest import entity, make_tracker, payloads
from tests.conftest import PASSWORD, StaffLogin
from tests.web.conftest import post_form

GRAFFITI_WORDS = {
    "ar": ["كتابات", "كتابة على الجدران", "بخاخ", "شخابيط"],
    "en": ["graffiti", "spray paint", "writing on walls", "tagging"],
}


def with_graffiti(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    visual = data["categories"]["visual"]
    graffiti = copy.deepcopy(visual)
    graffiti["name"] = {"ar": "الكتابة على الجدران", "en": "Graffiti"}
    graffiti["description"] = {"ar": "كتابات ورسومات على الجدران", "en": "Writing on walls"}
    graffiti["keywords"] = GRAFFITI_WORDS
    for language, words in GRAFFITI_WORDS.items():
        visual["keywords"][language] = [w for w in visual["keywords"][language] if w not in words]
    data["categories"]["graffiti"] = graffiti
    return data


@pytest.fixture
def catalogue_data() -> dict[str, Any]:
    return with_graffiti(yaml.safe_load((ROOT / "catalogue.yml").read_text(encoding="utf-8")))


@pytest.fixture
def settings(tmp_path: Path, catalogue_data: dict[str, Any]) -> Settings:
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(catalogue_data, allow_unicode=True, sort_keys=False))
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        catalogue_path=path,
        rasa_url="http://127.0.0.1:9",
    )


async def test_the_report_menu_offers_it(app: FastAPI) -> None:
    """Its button is on the category menu's last page, before "other"."""
    action = ValidateComplaintForm(app.state.services)
    offered: list[str] = []
    for page in (1, 2, 3):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            '/inform{"choice": "more"}',
            entities=[entity("choice", "more")],
            slots={"menu_page": page - 1 or 3},
            form="complaint_form",
            requested_slot="category",
        )
        await action.execute(dispatcher, tracker, {})
        offered += payloads(dispatcher.messages[0])
    assert '/inform{"category": "graffiti"}' in offered
    assert offered.index('/inform{"category": "graffiti"}') < offered.index(
        '/inform{"choice": "other"}'
    )


def test_the_nlu_lookups_name_it(catalogue_data: dict[str, Any]) -> None:
    generated = lookups.build(catalogue_data)
    assert "- synonym: graffiti\n" in generated
    assert "- شخابيط\n" in generated


async def test_open311_lists_it_as_a_service(client: httpx.AsyncClient) -> None:
    services = (await client.get("/open311/v2/services.json")).json()
    graffiti = next(s for s in services if s["service_code"] == "graffiti")
    assert graffiti["service_name"] == "الكتابة على الجدران"


async def test_the_kpis_count_its_reports_and_filter_by_it(
    client: httpx.AsyncClient, staff_headers: StaffLogin
) -> None:
    report = {"description": "شخابيط بخاخ على جدار المدرسة", "phone": "0501234567"}
    assert (await client.post("/api/complaints", json=report)).status_code == 201
    headers = await staff_headers(Role.SUPERVISOR)  # the account "supervisor.user"
    figures = (await client.get("/api/staff/kpi", headers=headers)).json()
    assert figures["by_category"] == {"graffiti": 1}
    only = await client.get("/api/staff/kpi", params={"category": "graffiti"}, headers=headers)
    assert only.json()["total"] == 1
    form = {"username": "supervisor.user", "password": PASSWORD, "next": "/staff"}
    assert (await post_form(client, "/staff/login", "/staff/login", form)).status_code == 303
    page = await client.get("/staff/kpi", params={"category": "graffiti"})
    assert '<option value="graffiti" selected>الكتابة على الجدران</option>' in page.text
