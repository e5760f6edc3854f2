"""Open311 GeoReport v2: every endpoint in JSON and XML, shaped like the spec's examples."""

from xml.etree import ElementTree

import httpx
import pytest

from bot.api_keys import create_api_key
from bot.services import Services
from bot.store.base import ComplaintFilter
from bot.types import Role, Status
from tests.conftest import RULES

pytestmark = pytest.mark.parametrize("fmt", ["json", "xml"])
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def parse(response: httpx.Response, fmt: str, root: str, element: str) -> list[dict[str, str]]:
    """Either format as a list of flat dicts (XML values as text, "" for empty)."""
    if fmt == "json":
        assert response.headers["content-type"].startswith("application/json")
        data = response.json()
        assert isinstance(data, list)
        return data
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    tree = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
    assert tree.tag == root
    return [{child.tag: child.text or "" for child in node} for node in tree.findall(element)]


async def api_key(services: Services) -> str:
    plain, _ = await create_api_key(services.store, "test client", "admin")
    return plain


async def post_request(client: httpx.AsyncClient, fmt: str, **fields: str) -> httpx.Response:
    return await client.post(f"/open311/v2/requests.{fmt}", data=fields)


async def test_services_list(client: httpx.AsyncClient, fmt: str) -> None:
    response = await client.get(f"/open311/v2/services.{fmt}?lang=en")
    services = parse(response, fmt, "services", "service")
    assert len(services) == 10
    roads = next(service for service in services if service["service_code"] == "roads")
    assert roads["service_name"] == "Roads and sidewalks"
    assert roads["type"] == "realtime"
    assert str(roads["metadata"]).lower() == "false"
    assert roads["group"] == "Roads Maintenance Department"


async def test_service_names_in_arabic_by_default(client: httpx.AsyncClient, fmt: str) -> None:
    services = parse(await client.get(f"/open311/v2/services.{fmt}"), fmt, "services", "service")
    assert {s["service_name"] for s in services} >= {"الطرق والأرصفة"}


async def test_service_definition(client: httpx.AsyncClient, fmt: str) -> None:
    response = await client.get(f"/open311/v2/services/lighting.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert response.json() == {"service_code": "lighting", "attributes": []}
    else:
        tree = ElementTree.fromstring(response.content)  # noqa: S314
        assert tree.tag == "service_definition"
        assert tree.findtext("service_code") == "lighting"
        assert tree.find("attributes") is not None
    missing = await client.get(f"/open311/v2/services/nothing.{fmt}")
    assert missing.status_code == 404
    (error,) = parse(missing, fmt, "errors", "error")
    assert str(error["code"]) == "404"


async def test_post_a_request_needs_a_valid_key(
    client: httpx.AsyncClient, services: Services, fmt: str
) -> None:
    for key in ("", "b940_nope_nope", "anything"):
        response = await post_request(
            client, fmt, api_key=key, service_code="roads", lat="25.38", long="49.59"
        )
        assert response.status_code == 403
        (error,) = parse(response, fmt, "errors", "error")
        assert str(error["code"]) == "403"
        assert "api_key" in error["description"]


async def test_post_a_request_creates_a_complaint(
    client: httpx.AsyncClient, services: Services, fmt: str
) -> None:
    response = await post_request(
        client,
        fmt,
        api_key=await api_key(services),
        service_code="roads",
        lat="25.3800",
        long="49.5900",
        address_string="King Fahd Road",
        description="Large pothole in the right lane",
        first_name="Ahmed",
        phone="0501234567",
        status="closed",  # not a parameter of the spec: ignored, never applied
    )
    assert response.status_code == 201
    (created,) = parse(response, fmt, "service_requests", "request")
    reference = created["service_request_id"]
    assert created["token"]
    complaint = await services.complaints.get(str(reference))
    assert complaint.channel == "open311"
    assert complaint.category == "roads"
    assert complaint.status != Status.CLOSED
    assert complaint.location
    assert complaint.location.address == "King Fahd Road"


async def test_post_a_request_validates_like_the_spec(
    client: httpx.AsyncClient, services: Services, fmt: str
) -> None:
    key = await api_key(services)
    for fields in (
        {"service_code": "nothing", "lat": "25", "long": "49"},
        {"service_code": "roads"},  # no location
        {"service_code": "roads", "lat": "95", "long": "49"},
        {"service_code": "roads", "lat": "25", "long": "49", "phone": "12"},
    ):
        response = await post_request(client, fmt, api_key=key, **fields)
        assert response.status_code == 400, fields
        (error,) = parse(response, fmt, "errors", "error")
        assert str(error["code"]) == "400"


async def create(client: httpx.AsyncClient, services: Services, fmt: str, code: str) -> str:
    response = await post_request(
        client,
        fmt,
        api_key=await api_key(services),
        service_code=code,
        lat="25.38",
        long="49.59",
        description=f"a {code} problem",
    )
    (created,) = parse(response, fmt, "service_requests", "request")
    return str(created["service_request_id"])


async def test_get_one_request(client: httpx.AsyncClient, services: Services, fmt: str) -> None:
    reference = await create(client, services, fmt, "waste")
    response = await client.get(f"/open311/v2/requests/{reference}.{fmt}?lang=en")
    (request,) = parse(response, fmt, "service_requests", "request")
    assert set(request) == REQUEST_FIELDS
    assert request["status"] == "open"
    assert request["service_code"] == "waste"
    assert request["service_name"] == "Waste and cleanliness"
    assert str(request["lat"]) == "25.38"
    assert str(request["long"]) == "49.59"
    assert request["requested_datetime"].endswith("+00:00")
    missing = await client.get(f"/open311/v2/requests/{RULES.references.reference(99_999)}.{fmt}")
    assert missing.status_code == 404
    assert (await client.get(f"/open311/v2/requests/1234.{fmt}")).status_code == 400


async def test_list_requests_with_the_spec_filters(
    client: httpx.AsyncClient, services: Services, staff_headers, fmt: str
) -> None:
    roads = await create(client, services, fmt, "roads")
    waste = await create(client, services, fmt, "waste")
    closed = await create(client, services, fmt, "parks")
    headers = await staff_headers(Role.SUPERVISOR)
    for status in ("rejected",):
        await client.post(
            f"/api/staff/complaints/{closed}/status",
            json={"status": status, "note": "not ours"},
            headers=headers,
        )

    async def ids(query: str) -> set[str]:
        response = await client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 200, response.text
        return {
            str(r["service_request_id"])
            for r in parse(response, fmt, "service_requests", "request")
        }

    assert await ids("") == {roads, waste, closed}
    assert await ids(f"service_request_id={roads},{waste}") == {roads, waste}
    assert await ids("service_code=waste") == {waste}
    assert await ids("status=open") == {roads, waste}
    assert await ids("status=closed") == {closed}
    assert await ids("start_date=2999-01-01T00:00:00Z") == set()
    assert await ids("end_date=2000-01-01T00:00:00Z") == set()
    bad = await client.get(f"/open311/v2/requests.{fmt}?start_date=yesterday")
    assert bad.status_code == 400
    (request,) = parse(
        await client.get(f"/open311/v2/requests/{closed}.{fmt}?lang=en"),
        fmt,
        "service_requests",
        "request",
    )
    assert request["status"] == "closed"
    assert request["status_notes"] == "Rejected"


async def test_token_gives_the_request_id(
    client: httpx.AsyncClient, services: Services, fmt: str
) -> None:
    response = await post_request(
        client, fmt, api_key=await api_key(services), service_code="animals", lat="25", long="49"
    )
    (created,) = parse(response, fmt, "service_requests", "request")
    found = await client.get(f"/open311/v2/tokens/{created['token']}.{fmt}")
    (item,) = parse(found, fmt, "service_requests", "request")
    assert str(item["service_request_id"]) == str(created["service_request_id"])
    forged = await client.get(f"/open311/v2/tokens/{created['service_request_id']}-AAAA.{fmt}")
    assert forged.status_code == 404


async def test_keywords_are_the_specs_comma_separated_string(
    client: httpx.AsyncClient, fmt: str
) -> None:
    response = await client.get(f"/open311/v2/services.{fmt}?lang=en")
    roads = next(
        s for s in parse(response, fmt, "services", "service") if s["service_code"] == "roads"
    )
    assert isinstance(roads["keywords"], str)
    assert "," in roads["keywords"]
    assert "pothole" in roads["keywords"].split(",")


async def test_media_url_email_and_names_are_kept_and_the_photo_link_shown_to_partners(
    client: httpx.AsyncClient, services: Services, staff_headers, fmt: str
) -> None:
    photo = "https://city.example/photos/pothole-123.jpg"
    response = await post_request(
        client,
        fmt,
        api_key=await api_key(services),
        service_code="roads",
        lat="25.38",
        long="49.59",
        description="Pothole",
        first_name="Ahmed",
        last_name="Al-Harbi",
        email="ahmed@example.com",
        media_url=photo,
    )
    assert response.status_code == 201, response.text
    (created,) = parse(response, fmt, "service_requests", "request")
    reference = created["service_request_id"]
    partner_key, _ = await create_api_key(services.store, "GIS unit", "admin", "partner")
    path = f"/open311/v2/requests/{reference}.{fmt}"
    (public,) = parse(await client.get(path), fmt, "service_requests", "request")
    assert not public["media_url"]  # a photo may show someone's home: partners only
    shown = await client.get(path, headers={"X-Api-Key": partner_key})
    (item,) = parse(shown, fmt, "service_requests", "request")
    assert item["media_url"] == photo
    assert "ahmed" not in shown.text.lower()  # no personal data, even to a partner
    staff = await staff_headers(Role.AGENT)
    detail = (await client.get(f"/api/staff/complaints/{reference}", headers=staff)).json()
    assert (detail["name"], detail["email"]) == ("Ahmed Al-Harbi", "ahmed@example.com")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("description", "x" * 4001, "description is over 4000 characters"),
        ("email", "not an address", "invalid email"),
        ("media_url", "javascript:alert(1)", "media_url must be an http(s) URL"),
    ],
)
async def test_a_field_out_of_the_spec_is_refused_in_the_specs_error_shape(
    client: httpx.AsyncClient, services: Services, fmt: str, field: str, value: str, problem: str
) -> None:
    fields = {"service_code": "roads", "lat": "25.38", "long": "49.59", field: value}
    response = await post_request(client, fmt, api_key=await api_key(services), **fields)
    assert response.status_code == 400
    (error,) = parse(response, fmt, "errors", "error")
    assert str(error["code"]) == "400"
    assert problem in error["description"]
    assert (await services.store.list_complaints(ComplaintFilter(), 5, None)).items == []


async def test_without_a_partner_key_no_residents_words_or_homes(
    client: httpx.AsyncClient, services: Services, fmt: str
) -> None:
    response = await post_request(
        client,
        fmt,
        api_key=await api_key(services),
        service_code="roads",
        lat="25.381234",
        long="49.591876",
        address_string="بيت آل سالم، شارع ١٢",
        description="حفرة أمام بيتي، اتصلوا بي",
        first_name="Ahmed",
        last_name="Al-Salem",
        email="ahmed@example.com",
        phone="0501234567",
    )
    (created,) = parse(response, fmt, "service_requests", "request")
    reference = str(created["service_request_id"])
    complaint = await services.complaints.get(reference)
    await services.store.replace_complaint(
        complaint.model_copy(update={"district": "al_kut", "version": complaint.version + 1}),
        complaint.version,
    )
    reporter_key = await api_key(services)
    partner_key, _ = await create_api_key(services.store, "GIS unit", "admin", "partner")
    public_paths = (
        f"/open311/v2/requests/{reference}.{fmt}",
        f"/open311/v2/requests.{fmt}?service_request_id={reference}",
        f"/open311/v2/requests.{fmt}",
        f"/open311/v2/requests/{reference}.{fmt}?api_key={reporter_key}",
    )
    for path in public_paths:
        answer = await client.get(path)
        assert answer.status_code == 200, path
        (item,) = parse(answer, fmt, "service_requests", "request")
        assert set(item) == REQUEST_FIELDS
        assert not item["description"]
        assert float(item["lat"]) == 25.381
        assert float(item["long"]) == 49.592
        assert item["address"] == "الكوت"  # the district, not the home
        for private in ("بيت", "اتصلوا", "Ahmed", "Salem", "example.com", "501234567"):
            assert private not in answer.text, (path, private)
    for partner in (
        client.get(f"/open311/v2/requests/{reference}.{fmt}?api_key={partner_key}"),
        client.get(f"/open311/v2/requests.{fmt}", headers={"X-Api-Key": partner_key}),
    ):
        answer = await partner
        (item,) = parse(answer, fmt, "service_requests", "request")
        assert item["description"] == "حفرة أمام بيتي، اتصلوا بي"
        assert float(item["lat"]) == 25.381234
        assert item["address"] == "بيت آل سالم، شارع ١٢"
        assert "Ahmed" not in answer.text
        assert "501234567" not in answer.text
    wrong = await client.get(f"/open311/v2/requests.{fmt}?api_key=b940_nope_nope")
    assert wrong.status_code == 403
