"""The portal under abuse: reports limited, a typed phone proven with its code on the tracking
page, a report's files only to staff who may see it or to the resident holding its link."""

import httpx
import pytest

from bot.services import Services
from bot.tracking_link import tracking_token
from bot.types import Role
from tests.conftest import new_complaint
from tests.web.conftest import WebLogin, csrf_of, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def report_form(submission: str, phone: str = "0501234567") -> dict[str, str]:
    return {"description": "حفرة في الشارع", "phone": phone, "submission": submission}


async def test_reports_from_one_address_are_limited_with_a_page_in_arabic(
    client: httpx.AsyncClient, settings
) -> None:
    for n in range(settings.reports_per_address_per_hour):
        phone = f"05012345{n:02d}"
        made = await post_form(client, "/report", "/report", report_form(f"portal-{n:08d}", phone))
        assert made.status_code == 303, made.text
    limited = await post_form(client, "/report", "/report", report_form("portal-limited-01"))
    assert limited.status_code == 429
    assert "وصلتنا بلاغات كثيرة منك" in limited.text
    assert 'id="report-form"' in limited.text
    assert "حفرة في الشارع" in limited.text  # what they typed is kept for later
    assert int(limited.headers["retry-after"]) > 0


async def test_a_foreign_number_is_refused_on_the_form(client: httpx.AsyncClient) -> None:
    refused = await post_form(
        client, "/report", "/report", report_form("portal-foreign-1", "+447911123456")
    )
    assert refused.status_code == 422
    assert 'id="error-phone"' in refused.text  # beside the phone field
    assert "+966" in refused.text


async def test_the_tracking_page_takes_the_code_in_any_digits(
    client: httpx.AsyncClient, services: Services
) -> None:
    made = await post_form(client, "/report", "/report", report_form("portal-code-0001"))
    page = made.headers["location"]
    reference = page.split("/")[2].split("?")[0]
    view = await client.get(page)
    assert 'id="phone-verification"' in view.text
    assert "+966•••••••67" in view.text
    token = tracking_token(services.settings.secret_key.get_secret_value(), reference)

    async def enter(code: str) -> str:
        html = (await client.get(page)).text
        response = await client.post(
            f"/track/{reference}/verify",
            data={"csrf_token": csrf_of(html), "t": token, "code": code},
        )
        return str(response.headers["location"])

    wrong = await enter("000000")
    assert wrong.endswith("error=code_wrong")
    assert "رمز التحقق غير صحيح. تأكد منه وأعد إدخاله." in (await client.get(wrong)).text
    code = services.complaints.rules.phone_codes.code(reference)
    eastern = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    verified = await enter(f"{eastern[:3]} {eastern[3:]}")
    assert verified.endswith("notice=phone_verified")
    after = await client.get(verified)
    assert "تم التحقق من رقم جوالك" in after.text
    assert 'id="phone-verification"' not in after.text
    forged = await client.post(
        f"/track/{reference}/verify",
        data={"csrf_token": csrf_of(after.text), "t": "x", "code": code},
    )
    assert forged.status_code == 403


@pytest.mark.parametrize("kind", ["photo", "voice"])
async def test_a_reports_files_reach_only_who_may_see_it(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, kind: str
) -> None:
    key = await services.attachments.save(PNG, "image/png")
    attachment = {"kind": kind, "media_type": "image/png", "size": len(PNG), "storage_key": key}
    complaint = await new_complaint(services, attachments=[attachment])
    token = tracking_token(services.settings.secret_key.get_secret_value(), complaint.reference)
    resident = f"/track/{complaint.reference}/attachments/0"
    staff = f"/staff/complaints/{complaint.reference}/attachments/0"

    assert (await client.get(resident)).status_code == 403
    assert (await client.get(f"{resident}?t=forged")).status_code == 403
    mine = await client.get(f"{resident}?t={token}")
    assert mine.content == PNG
    assert mine.headers["cache-control"].startswith("private")
    assert (
        f"{resident}?t={token}"
        in (await client.get(f"/track/{complaint.reference}?t={token}")).text
    )
    assert (await client.get(staff)).status_code == 303  # to the sign-in page
    await web_login(Role.FIELD, team="lighting_south")  # another team's crew
    assert (await client.get(staff)).status_code == 403
    await web_login(Role.FIELD, username="roads.crew", team=complaint.team)
    assert (await client.get(staff)).content == PNG
