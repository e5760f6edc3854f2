"""Open reports of the same problem near a new one: "is it one of these?".

Offered when a resident pins a place (the portal, a chat) and when a caller names a district
and a category (the phone). Choosing one subscribes the resident to it instead of filing a
duplicate (`ComplaintService.subscribe`). What is shown of someone else's report is only its
category, how far it is, when it was made and its status: never its words, photos or phone.
"""

import math
from dataclasses import dataclass

from bot.complaint_record import Complaint
from bot.store.base import ComplaintFilter, GeoBox, Store
from bot.types import OPEN_STATUSES

NEARBY_METERS = 300
MAX_SUGGESTIONS = 3
CANDIDATES = 50  # read from the store's box before the nearest are kept
_EARTH_METERS = 6_371_000
_METERS_PER_DEGREE = math.pi * _EARTH_METERS / 180


@dataclass(frozen=True)
class NearbyReport:
    complaint: Complaint
    meters: int | None  # None when matched by district (the phone)


def distance_meters(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_METERS * math.asin(math.sqrt(a))


def box_around(lat: float, lng: float, meters: float) -> GeoBox:
    dlat = meters / _METERS_PER_DEGREE
    dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
    return GeoBox(south=lat - dlat, west=lng - dlng, north=lat + dlat, east=lng + dlng)


async def open_reports_near(
    store: Store, category: str, lat: float, lng: float, meters: float = NEARBY_METERS
) -> list[NearbyReport]:
    """The nearest open reports of `category` within `meters`, nearest first."""
    found = []
    for complaint in await store.open_in_box(category, box_around(lat, lng, meters), CANDIDATES):
        pin = complaint.location
        if pin is None or pin.lat is None or pin.lng is None:
            continue
        distance = distance_meters(lat, lng, pin.lat, pin.lng)
        if distance <= meters:
            found.append(NearbyReport(complaint, round(distance)))
    found.sort(key=lambda report: (report.meters, report.complaint.reference))
    return found[:MAX_SUGGESTIONS]


async def open_reports_in_district(
    store: Store, category: str, district: str
) -> list[NearbyReport]:
    """The newest open reports of `category` in `district` (a caller gives no pin)."""
    filters = ComplaintFilter(category=category, district=district, status=tuple(OPEN_STATUSES))
    page = await store.list_complaints(filters, MAX_SUGGESTIONS, None)
    return [NearbyReport(complaint, None) for complaint in page.items]
