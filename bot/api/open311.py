"""Open311 GeoReport v2: the municipality's other systems and apps report and follow here.

Categories are the services; our statuses map to `open`/`closed` with the precise status
in `status_notes`. Reading requests needs no key but shows no resident's words or home: only
a partner key sees the description, the exact point and the photo link (bot/api_keys.py).
Every resource answers in JSON or XML by its extension, errors in the spec's own shape
(`[{code, description}]` / `<errors>`). Creating a request needs an API key (admins issue
them; only their SHA-256 is stored). Requests are created in real time, so the POST answers
with the `service_request_id`; a token is given too, for clients that only know the token
flow.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from xml.etree import ElementTree

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from pydantic import ValidationError

from bot.api.deps import CatalogueDep, ComplaintsDep, SettingsDep, StoreDep
from bot.api.errors import request_language
from bot.api_keys import check_api_key
from bot.catalogue import Catalogue
from bot.channel_directory import OPEN311
from bot.clock import utc_now
from bot.complaint_record import Complaint, Location
from bot.complaints import MAX_DESCRIPTION, Actor, NewComplaint
from bot.digits import strip_number, to_ascii_digits
from bot.phone import InvalidPhone
from bot.reference import InvalidReference, parse_reference
from bot.store.base import MAX_PAGE_SIZE, ComplaintFilter, Cursor, Store
from bot.text import clean_text
from bot.types import OPEN_STATUSES, Language, Status
from bot.workflow import status_label

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Format = Literal["json", "xml"]
Item = dict[str, Any]
DEFAULT_DAYS = 90
MAX_RESULTS = 1000
PUBLIC_DECIMALS = 3  # 0.001° ≈ 110 m of latitude, ≈ 100 m of longitude at Al-Ahsa
API_KEY_HEADER = "X-Api-Key"
_TOKEN_PURPOSE = b"balagh-open311-token:"
MEDIA_URL_SOURCE = "open311_media_url"  # a client's photo link, kept in Complaint.sources
MEDIA_URL = re.compile(r"^https?://[^\s]{1,490}$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, fmt: Format) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.fmt = fmt


def _format(extension: str) -> Format:
    if extension not in ("json", "xml"):
        raise Open311Error(404, "the format must be json or xml", "json")
    return "json" if extension == "json" else "xml"


def _xml_text(value: Any) -> str:
    """Text XML 1.0 can hold: intake cleans free text, and so does this, for older records."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(clean_text(str(item)) for item in value)
    return clean_text(str(value))


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def respond(
    fmt: Format, root: str, element: str, items: Sequence[Item], status: int = 200
) -> Response:
    """The spec's shapes: a JSON array of objects, or `<root><element>…</element></root>`."""
    if fmt == "json":
        body = json.dumps(
            [{key: _json_value(value) for key, value in item.items()} for item in items],
            ensure_ascii=False,
        )
        return Response(body, status_code=status, media_type="application/json; charset=utf-8")
    tree = ElementTree.Element(root)
    for item in items:
        node = ElementTree.SubElement(tree, element)
        for key, value in item.items():
            ElementTree.SubElement(node, key).text = _xml_text(value)
    return _xml_response(tree, status)


def _xml_response(tree: ElementTree.Element, status: int = 200) -> Response:
    body = ElementTree.tostring(tree, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def install_open311_errors(app: FastAPI) -> None:
    @app.exception_handler(Open311Error)
    async def open311_error(_: Request, exc: Open311Error) -> Response:
        error = {"code": exc.status, "description": exc.description}
        return respond(exc.fmt, "errors", "error", [error], status=exc.status)


def service_item(catalogue: Catalogue, code: str, language: Language) -> Item:
    category = catalogue.categories[code]
    department = catalogue.departments[category.department]
    return {
        "service_code": code,
        "service_name": category.name.get(language),
        "description": category.description.get(language),
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(category.keywords.en[:5]),  # the spec's comma-separated string
        "group": department.name.get(language),
    }


def _rounded(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, PUBLIC_DECIMALS)


def request_item(
    catalogue: Catalogue, complaint: Complaint, language: Language, *, partner: bool = False
) -> Item:
    """A request as Open311 shows it; what the resident wrote, the exact point and the photo
    link only to a partner key, otherwise the district and a point rounded to about 100 m.
    Phones, names and e-mails never."""
    category = catalogue.categories.get(complaint.category or "")
    department = catalogue.departments.get(complaint.department)
    district = catalogue.districts.get(complaint.district or "")
    notes = status_label(complaint.status, language)
    if complaint.duplicate_of:
        notes = f"{notes} {complaint.duplicate_of}"
    exact = complaint.location or Location()
    location = (
        exact
        if partner
        else Location(
            lat=_rounded(exact.lat),
            lng=_rounded(exact.lng),
            address=district.name.get(language) if district else None,
        )
    )
    return {
        "service_request_id": complaint.reference,
        "status": "open" if complaint.status in OPEN_STATUSES else "closed",
        "status_notes": notes,
        "service_name": category.name.get(language) if category else None,
        "service_code": complaint.category,
        "description": complaint.description if partner else None,
        "agency_responsible": department.name.get(language) if department else None,
        "service_notice": None,
        "requested_datetime": complaint.created_at,
        "updated_datetime": complaint.updated_at,
        "expected_datetime": complaint.sla_due_at,
        "address": location.address,
        "address_id": None,
        "zipcode": None,
        "lat": location.lat,
        "long": location.lng,
        "media_url": complaint.sources.get(MEDIA_URL_SOURCE) if partner else None,
    }


def open311_token(secret: str, reference: str) -> str:
    digest = hmac.new(secret.encode(), _TOKEN_PURPOSE + reference.encode(), hashlib.sha256)
    signature = base64.urlsafe_b64encode(digest.digest()[:12]).decode().rstrip("=")
    return f"{reference}-{signature}"


@router.get("/services.{extension}")
async def list_services(extension: str, request: Request, catalogue: CatalogueDep) -> Response:
    fmt = _format(extension)
    language = request_language(request)
    items = [service_item(catalogue, code, language) for code in catalogue.categories]
    return respond(fmt, "services", "service", items)


@router.get("/services/{service_code}.{extension}")
async def service_definition(
    service_code: str, extension: str, catalogue: CatalogueDep
) -> Response:
    """No service asks extra questions (`metadata` is false), so the attribute list is empty."""
    fmt = _format(extension)
    if service_code not in catalogue.categories:
        raise Open311Error(404, f"no service with code {service_code}", fmt)
    if fmt == "json":
        body = json.dumps({"service_code": service_code, "attributes": []})
        return Response(body, media_type="application/json; charset=utf-8")
    tree = ElementTree.Element("service_definition")
    ElementTree.SubElement(tree, "service_code").text = service_code
    ElementTree.SubElement(tree, "attributes")
    return _xml_response(tree)


def _coordinate(value: str | None, low: float, high: float, fmt: Format) -> float | None:
    if not value:
        return None
    try:
        number = float(to_ascii_digits(value).replace("٫", "."))
    except ValueError:
        raise Open311Error(400, "lat and long must be decimal degrees", fmt) from None
    if not low <= number <= high:
        raise Open311Error(400, "lat and long must be decimal degrees", fmt)
    return number


@router.post("/requests.{extension}")
async def create_request(
    extension: str,
    request: Request,
    store: StoreDep,
    catalogue: CatalogueDep,
    complaints: ComplaintsDep,
    settings: SettingsDep,
) -> Response:
    fmt = _format(extension)
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    key = await check_api_key(store, fields.get("api_key", "")[:200])
    if key is None:
        raise Open311Error(403, "a valid api_key is required", fmt)
    code = fields.get("service_code", "")
    if code not in catalogue.categories:
        raise Open311Error(400, "service_code is missing or unknown", fmt)
    lat = _coordinate(fields.get("lat"), -90, 90, fmt)
    lng = _coordinate(fields.get("long"), -180, 180, fmt)
    address = fields.get("address_string", "").strip()[:300] or None
    if (lat is None or lng is None) and address is None:
        raise Open311Error(400, "a location is required: lat and long, or address_string", fmt)
    description = fields.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description is over {MAX_DESCRIPTION} characters", fmt)
    name = " ".join(filter(None, (fields.get("first_name"), fields.get("last_name")))).strip()
    sources = {"open311_client": key.key_id}
    media_url = fields.get("media_url", "").strip()
    if media_url and not MEDIA_URL.match(media_url):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 500 characters", fmt)
    if media_url:
        sources[MEDIA_URL_SOURCE] = media_url
    try:
        new = NewComplaint(
            channel=OPEN311,
            language=request_language(request),
            description=description or catalogue.categories[code].name.get("en"),
            category=code,
            location=Location(lat=lat, lng=lng, address=address),
            phone=fields.get("phone") or None,
            name=name[:100] or None,
            email=fields.get("email", "").strip() or None,
            sources=sources,
        )
        result = await complaints.create(new, Actor(f"open311:{key.key_id}", "citizen"))
    except ValidationError as exc:
        fields_wrong = ", ".join(str(error["loc"][0]) for error in exc.errors())
        raise Open311Error(400, f"invalid {fields_wrong}", fmt) from None
    except InvalidPhone:
        raise Open311Error(400, "invalid phone", fmt) from None
    reference = result.complaint.reference
    secret = settings.secret_key.get_secret_value()
    item = {
        "service_request_id": reference,
        "token": open311_token(secret, reference),
        "service_notice": None,
        "account_id": None,
    }
    return respond(fmt, "service_requests", "request", [item], status=201)


def _moment(value: str | None, fmt: Format) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(to_ascii_digits(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(value)
        moment.astimezone(UTC)  # within the calendar in UTC too, or OverflowError
    except (ValueError, OverflowError):
        raise Open311Error(400, "dates must be ISO 8601 with a time zone", fmt) from None
    return moment


def _statuses(value: str | None, fmt: Format) -> tuple[Status, ...]:
    if not value:
        return ()
    wanted = {part.strip() for part in value.split(",")}
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, "status is open, closed or both", fmt)
    chosen = set(OPEN_STATUSES) if "open" in wanted else set()
    if "closed" in wanted:
        chosen |= set(Status) - OPEN_STATUSES
    return tuple(sorted(chosen))


async def _by_ids(store: Store, ids: str, fmt: Format) -> list[Complaint]:
    found = []
    for raw in ids.split(",")[:MAX_PAGE_SIZE]:
        try:
            complaint = await store.get_complaint(parse_reference(raw))
        except InvalidReference:
            raise Open311Error(400, f"invalid service_request_id {raw.strip()}", fmt) from None
        if complaint is not None:
            found.append(complaint)
    return found


async def _partner(store: Store, request: Request, fmt: Format) -> bool:
    """Whether a partner key came (`api_key` or the X-Api-Key header); a wrong key is 403."""
    plain = request.headers.get(API_KEY_HEADER) or request.query_params.get("api_key", "")
    if not plain:
        return False
    key = await check_api_key(store, plain[:200])
    if key is None:
        raise Open311Error(403, "invalid api_key", fmt)
    return key.role == "partner"


@router.get("/requests.{extension}")
async def list_requests(
    extension: str, request: Request, store: StoreDep, catalogue: CatalogueDep
) -> Response:
    """By ids, or by service, dates (default: the last 90 days) and status; at most 1000."""
    fmt = _format(extension)
    query = request.query_params
    language = request_language(request)
    partner = await _partner(store, request, fmt)
    if query.get("service_request_id"):
        found = await _by_ids(store, query["service_request_id"], fmt)
        items = [request_item(catalogue, c, language, partner=partner) for c in found]
        return respond(fmt, "service_requests", "request", items)
    code = query.get("service_code") or None
    if code is not None and code not in catalogue.categories:
        raise Open311Error(400, f"unknown service_code {code}", fmt)
    end = _moment(query.get("end_date"), fmt) or utc_now()
    try:
        start = _moment(query.get("start_date"), fmt) or end - timedelta(days=DEFAULT_DAYS)
    except OverflowError:
        raise Open311Error(400, "end_date is too early to count back from", fmt) from None
    filters = ComplaintFilter(
        category=code,
        status=_statuses(query.get("status"), fmt),
        created_from=start,
        created_to=end,
    )
    complaints: list[Complaint] = []
    cursor: Cursor | None = None
    while len(complaints) < MAX_RESULTS:
        page = await store.list_complaints(filters, MAX_PAGE_SIZE, cursor)
        complaints += page.items
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    items = [
        request_item(catalogue, c, language, partner=partner) for c in complaints[:MAX_RESULTS]
    ]
    return respond(fmt, "service_requests", "request", items)


@router.get("/requests/{service_request_id}.{extension}")
async def get_request(
    service_request_id: str,
    extension: str,
    request: Request,
    store: StoreDep,
    catalogue: CatalogueDep,
) -> Response:
    fmt = _format(extension)
    partner = await _partner(store, request, fmt)
    complaints = await _by_ids(store, service_request_id, fmt)
    if not complaints:
        raise Open311Error(404, f"no service request {strip_number(service_request_id)}", fmt)
    items = [request_item(catalogue, complaints[0], request_language(request), partner=partner)]
    return respond(fmt, "service_requests", "request", items)


@router.get("/tokens/{token}.{extension}")
async def token(token: str, extension: str, settings: SettingsDep) -> Response:
    fmt = _format(extension)
    reference = token.split("-", 1)[0]
    secret = settings.secret_key.get_secret_value()
    if not hmac.compare_digest(open311_token(secret, reference), token):
        raise Open311Error(404, "unknown token", fmt)
    item = {"service_request_id": reference, "token": token}
    return respond(fmt, "service_requests", "request", [item])
