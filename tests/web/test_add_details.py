"""The SMS link after a phone report: a photo and a map pin added once, before it expires."""

from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from bot.add_link import ADD_LINK_LIFETIME, add_url
from bot.clock import utc_now
from bot.services import Services
from tests.conftest import new_complaint
from tests.web.conftest import post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # what the upload check takes for a PNG


def link(services: Services, reference: str, ago: timedelta = timedelta(0)) -> str:
    secret = services.settings.secret_key.get_secret_value()
    url = urlsplit(add_url("https://balagh.example", secret, reference, utc_now() - ago))
    return f"{url.path}?{url.query}"


def fields(path: str) -> dict[str, str]:
    query = dict(part.split("=", 1) for part in path.split("?", 1)[1].split("&"))
    return {"e": query["e"], "t": query["t"]}


@pytest.mark.parametrize(
    ("language", "lead", "done"),
    [
        ("ar", "أضف صورة للمشكلة", "شكراً لك، أضفنا ما أرسلته إلى بلاغك."),
        ("en", "Add a photo of the problem", "Thank you: what you sent is now on your report."),
    ],
)
async def test_a_photo_and_a_pin_are_added_to_the_report_once(
    client: httpx.AsyncClient, services: Services, language: str, lead: str, done: str
) -> None:
    complaint = await new_complaint(services, channel="voice", language=language)
    page = link(services, complaint.reference)
    form = await client.get(page)
    assert form.status_code == 200
    assert lead in form.text
    added = await post_form(
        client,
        page,
        f"/add/{complaint.reference}",
        {**fields(page), "lat": "٢٥٫٣٨٠٠", "lng": "49.5900"},
        files={"photo": ("hole.png", PNG, "image/png")},
    )
    assert added.status_code == 200, added.text
    assert done in added.text
    now = await services.complaints.get(complaint.reference)
    assert [a.kind for a in now.attachments] == ["photo"]
    assert now.location is not None
    assert (now.location.lat, now.location.lng) == (25.38, 49.59)
    assert {"attachment", "location"} <= {entry.field for entry in now.history}
    again = await post_form(
        client,
        page,
        f"/add/{complaint.reference}",
        fields(page),
        files={"photo": ("hole.png", PNG, "image/png")},
    )
    assert again.status_code == 403
    assert len((await services.complaints.get(complaint.reference)).attachments) == 1


async def test_an_expired_forged_or_empty_link_changes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    complaint = await new_complaint(services, channel="voice", language="en")
    other = await new_complaint(services, channel="voice")
    expired = link(services, complaint.reference, ago=ADD_LINK_LIFETIME + timedelta(minutes=1))
    assert (await client.get(expired)).status_code == 403
    forged = link(services, other.reference).replace(other.reference, complaint.reference)
    refused = await client.get(forged)
    assert refused.status_code == 403
    assert "هذا الرابط غير صالح أو انتهت مدته." in refused.text
    page = link(services, complaint.reference)
    nothing = await post_form(client, page, f"/add/{complaint.reference}", fields(page))
    assert nothing.status_code == 422
    assert "Choose a photo or mark the place on the map." in nothing.text
    unchanged = await services.complaints.get(complaint.reference)
    assert (unchanged.attachments, unchanged.location) == ([], None)
