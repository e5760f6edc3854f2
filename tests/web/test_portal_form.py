"""A portal report that cannot be accepted comes back as the same page, never as JSON.

In the page's language, filled in as the resident sent it (a good photo kept too), with
each problem beside its field.
"""

from pathlib import Path

import httpx
import pytest

from bot.services import Services
from bot.settings import Settings
from bot.upload_claims import RECORD_KIND as UPLOADS
from bot.upload_claims import UnclaimedUpload
from tests.web.conftest import page_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIMIT = 2000  # the largest photo accepted, in bytes, for these tests
GOOD = {
    "description": "Street light out near the school",
    "phone": "0501234567",
    "category": "lighting",
    "district": "al_mubarraz",
    "name": "Huda",
    "address": "King Fahd Road",
    "lat": "25.405",
    "lng": "49.58",
    "submission": "portal-form-000001",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        rasa_url="http://127.0.0.1:9",
        attachments_dir=tmp_path / "attachments",
        max_upload_bytes=LIMIT,
    )


async def send(
    client: httpx.AsyncClient, fields: dict[str, str], lang: str = "en", **kwargs: object
) -> httpx.Response:
    token = await page_token(client, f"/report?lang={lang}")
    return await client.post(
        "/report",
        data={"csrf_token": token, **fields},
        headers={"Accept": "text/html"},
        **kwargs,  # type: ignore[arg-type]
    )


def assert_page(response: httpx.Response, lang: str) -> None:
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}"' in response.text
    assert 'id="report-form"' in response.text


async def test_wrong_fields_come_back_filled_in_with_the_problem_beside_each(
    client: httpx.AsyncClient,
) -> None:
    fields = {**GOOD, "description": "x", "phone": "12345"}
    response = await send(client, fields)
    assert_page(response, "en")
    page = response.text
    assert 'id="error-description"' in page
    assert "Describe the problem (at least three characters)." in page
    assert 'id="error-phone"' in page
    assert "Enter it like 0501234567" in page
    assert 'value="12345"' in page  # kept, so it can be corrected
    assert 'value="Huda"' in page
    assert 'value="King Fahd Road"' in page
    assert '<option value="lighting" selected>' in page
    assert 'data-lat="25.405"' in page  # the pin stays on the map
    assert 'value="portal-form-000001"' in page  # a resend is still one report


async def test_an_arabic_page_comes_back_in_arabic(client: httpx.AsyncClient) -> None:
    response = await send(client, {**GOOD, "phone": ""}, lang="ar")
    assert_page(response, "ar")
    assert "اكتب رقم جوالك" in response.text
    assert "Enter your mobile number" not in response.text


async def test_a_file_that_is_not_a_photo_is_refused_beside_the_photo(
    client: httpx.AsyncClient,
) -> None:
    response = await send(client, GOOD, files={"photo": ("notes.png", b"%PDF-1.4", "image/png")})
    assert_page(response, "en")
    assert 'id="error-photo"' in response.text
    assert "not a photo we accept" in response.text
    assert "Street light out near the school</textarea>" in response.text


async def test_a_too_large_photo_is_refused_beside_the_photo(client: httpx.AsyncClient) -> None:
    big = PNG + b"\x00" * LIMIT
    response = await send(client, GOOD, files={"photo": ("big.png", big, "image/png")})
    assert_page(response, "en")
    assert "The photo is larger than allowed" in response.text
    assert "Street light out near the school</textarea>" in response.text


async def test_a_body_too_large_to_read_gets_a_page_not_json(client: httpx.AsyncClient) -> None:
    huge = PNG + b"\x00" * (3 * LIMIT)
    response = await send(client, GOOD, lang="ar", files={"photo": ("huge.png", huge, "image/png")})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "أكبر من الحجم المسموح" in response.text


async def test_a_good_photo_is_kept_while_another_field_is_corrected(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await send(
        client, {**GOOD, "phone": "nope"}, files={"photo": ("light.png", PNG, "image/png")}
    )
    assert_page(first, "en")
    assert 'id="photo-kept"' in first.text
    # kept as unclaimed until a report takes it: a form left there does not keep it forever
    (waiting,) = await services.store.list_records(UPLOADS, UnclaimedUpload)
    photo_token = first.text.split('name="photo_token" value="')[1].split('"')[0]
    fixed = await send(client, {**GOOD, "photo_token": photo_token})
    assert fixed.status_code == 303
    reference = fixed.headers["location"].split("/")[2].split("?")[0]
    complaint = await services.complaints.get(reference)
    assert [attachment.kind for attachment in complaint.attachments] == ["photo"]
    assert complaint.attachments[0].storage_key == waiting.storage_key
    assert await services.store.list_records(UPLOADS, UnclaimedUpload) == []
    forged = await send(client, {**GOOD, "submission": "another-form-0001", "photo_token": "x.y"})
    assert forged.status_code == 303
    other = forged.headers["location"].split("/")[2].split("?")[0]
    assert (await services.complaints.get(other)).attachments == []
