"""The back office and the portal, driven through their forms as a browser would."""

import io
import re

import httpx
import pytest
from pydub.generators import Sine

from bot.announcements import Announcement, list_announcements
from bot.api_keys import ApiKey, check_api_key
from bot.clock import utc_now
from bot.kpi import TransactionInquiry
from bot.phone import last_four
from bot.services import Services
from bot.types import Role, Status
from tests.web.conftest import WebLogin, csrf_of, new_complaint, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def test_pages_are_arabic_rtl_by_default_and_switch_to_english(
    client: httpx.AsyncClient,
) -> None:
    arabic = await client.get("/report")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "صوتك مسموع" in arabic.text
    english = await client.get("/report?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text
    assert "Your voice is heard" in english.text
    assert '<html lang="en"' in (await client.get("/track")).text  # remembered


async def test_queue_filters_search_and_sla_state(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    roads = await new_complaint(services, description="حفرة كبيرة أمام المسجد")
    lights = await new_complaint(
        services, category="lighting", description="عمود انارة طافي", phone="0551112222"
    )
    await web_login(Role.AGENT)
    page = await client.get("/staff/queue", params={"category": "lighting"})
    assert lights.reference in page.text
    assert roads.reference not in page.text
    assert "sla-on_time" in page.text
    by_phone = await client.get("/staff/queue", params={"q": "٠٥٥١١١٢٢٢٢"})
    assert lights.reference in by_phone.text
    assert roads.reference not in by_phone.text
    by_text = await client.get("/staff/queue", params={"q": "المسجد"})
    assert roads.reference in by_text.text
    assert lights.reference not in by_text.text
    jump = await client.get("/staff/queue", params={"q": roads.reference.translate(ARABIC_DIGITS)})
    assert jump.headers["location"] == f"/staff/complaints/{roads.reference}"
    breached = await client.get("/staff/queue", params={"sla": "breached"})
    assert roads.reference not in breached.text
    oldest = await client.get("/staff/queue", params={"sort": "oldest"})
    assert oldest.text.index(roads.reference) < oldest.text.index(lights.reference)


async def test_queue_pages_with_a_cursor(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, monkeypatch
) -> None:
    monkeypatch.setattr("bot.web.queue.PAGE_SIZE", 2)
    references = [(await new_complaint(services)).reference for _ in range(3)]
    await web_login(Role.AGENT)
    first = await client.get("/staff/queue")
    next_url = re.search(r'href="(/staff/queue\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert next_url
    second = await client.get(next_url.group(1).replace("&amp;", "&"))
    assert references[0] in second.text
    assert references[2] not in second.text


async def test_staff_change_status_assign_reply_note_and_duplicate(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    original = await new_complaint(services)
    await web_login(Role.SUPERVISOR)
    page = f"/staff/complaints/{complaint.reference}"
    response = await client.get(page)
    assert "لا يوجد موقع على الخريطة" in response.text  # no location, no map
    assert "نموذج رد" in response.text
    assert "شكراً لبلاغك" in response.text

    async def submit(action: str, data: dict[str, str]) -> str:
        result = await post_form(client, page, f"{page}/{action}", data)
        assert result.status_code == 303
        return result.headers["location"]

    assert (await submit("status", {"status": "in_progress", "note": "بدأنا"})).endswith(
        "notice=saved"
    )
    assert (await submit("status", {"status": "closed", "note": "x"})).endswith("error=transition")
    await submit("assign", {"team": "roads_hofuf", "assignee": "ali", "note": ""})
    await submit("reply", {"text": "الفريق في الطريق"})
    await submit("note", {"note": "internal only"})
    await submit("duplicate", {"original": original.reference, "note": "same hole"})
    changed = await services.complaints.get(complaint.reference)
    assert changed.status == Status.DUPLICATE
    assert changed.duplicate_of == original.reference
    assert changed.assignee == "ali"
    fields = [entry.field for entry in changed.history]
    assert {"reply", "note", "assignee", "duplicate_of"} <= set(fields)
    timeline = (await client.get(page)).text
    assert "internal only" in timeline
    assert "الفريق في الطريق" in timeline


async def test_attachments_are_served_only_to_staff_who_may_see_them(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(Role.AGENT)
    page = f"/staff/complaints/{complaint.reference}"
    response = await post_form(
        client, page, f"{page}/photo", {}, files={"photo": ("hole.png", PNG, "image/png")}
    )
    assert response.headers["location"].endswith("notice=saved")
    photo = await client.get(f"{page}/attachments/0")
    assert photo.status_code == 200
    assert photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    assert (await client.get(f"{page}/attachments/5")).status_code == 404
    fake = await post_form(
        client, page, f"{page}/photo", {}, files={"photo": ("x.png", b"<svg/>", "image/png")}
    )
    assert fake.headers["location"].endswith("error=refused")


async def test_field_member_sees_own_tasks_and_marks_one_done_with_a_photo(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    assert complaint.team
    await web_login(Role.FIELD, team=complaint.team)
    tasks = await client.get("/staff/tasks")
    assert complaint.reference in tasks.text
    assert "google.com/maps/dir" not in tasks.text  # no location, no navigate link
    response = await post_form(
        client,
        "/staff/tasks",
        f"/staff/tasks/{complaint.reference}/done",
        {"note": "تم الردم"},
        files={"photo": ("done.png", PNG, "image/png")},
    )
    assert response.headers["location"] == "/staff/tasks?notice=saved"
    done = await services.complaints.get(complaint.reference)
    assert done.status == Status.RESOLVED
    assert len(done.attachments) == 1
    other = await new_complaint(services, category="lighting")
    assert other.team != complaint.team
    assert (await client.get(f"/staff/complaints/{other.reference}")).status_code == 403


async def test_dispatch_board_and_outbox_pages(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(Role.AGENT)
    board = await client.get("/staff/board")
    assert complaint.reference in board.text
    outbox = await client.get("/staff/outbox", params={"reference": complaint.reference})
    assert outbox.status_code == 200


async def test_admin_creates_and_deactivates_a_staff_account(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.ADMIN)
    page = "/staff/admin/users"
    created = await post_form(
        client,
        page,
        page,
        {
            "username": "huda.agent",
            "display_name": "هدى",
            "role": "agent",
            "password": "a long enough password",
        },
    )
    assert created.headers["location"].endswith("notice=saved")
    weak = await post_form(
        client,
        page,
        page,
        {"username": "weak.one", "display_name": "W", "role": "agent", "password": "short"},
    )
    assert weak.headers["location"].endswith("error=refused")
    await post_form(client, page, f"{page}/huda.agent/active", {"active": "false"})
    account = await services.store.get_user("huda.agent")
    assert account is not None
    assert not account.active
    teams = await client.get("/staff/admin/teams")
    assert "roads_hofuf" not in teams.text or "فرق" in teams.text


def spoken_wav() -> bytes:
    """Half a second of silence, a second of tone at 44.1 kHz stereo, silence again."""
    tone = Sine(440).to_audio_segment(duration=1000, volume=-6).set_channels(2)
    silence = tone.silent(duration=500, frame_rate=44100).set_channels(2)
    out = io.BytesIO()
    (silence + tone + silence).export(out, format="wav")
    return out.getvalue()


async def test_admin_announcement_with_audio_converted_for_the_phone(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    from pydub import AudioSegment

    await web_login(Role.ADMIN)
    page = "/staff/admin/announcements"
    response = await post_form(
        client,
        page,
        page,
        {
            "code": "dates_festival",
            "title_ar": "مهرجان التمور",
            "title_en": "Dates festival",
            "text_ar": "يبدأ المهرجان الأسبوع القادم",
            "text_en": "The festival starts next week",
        },
        files={"audio": ("festival.wav", spoken_wav(), "audio/wav")},
    )
    assert response.headers["location"].endswith("notice=saved")
    (announcement,) = await list_announcements(services.store)
    assert isinstance(announcement, Announcement)
    assert announcement.audio_key
    audio = await client.get(f"{page}/dates_festival/audio")
    segment = AudioSegment.from_file(io.BytesIO(audio.content), format="wav")
    assert (segment.channels, segment.frame_rate, segment.sample_width) == (1, 8000, 2)
    assert 900 <= len(segment) <= 1100  # the silences are trimmed
    assert segment.dBFS == pytest.approx(-18, abs=1)
    bad = await post_form(
        client,
        page,
        page,
        {"code": "x1", "title_ar": "ا", "title_en": "a", "text_ar": "ا", "text_en": "a"},
        files={"audio": ("bad.wav", b"not audio", "audio/wav")},
    )
    assert bad.headers["location"].endswith("error=refused")
    await post_form(client, page, f"{page}/dates_festival/delete", {})
    assert await list_announcements(services.store) == []


async def test_admin_issues_and_revokes_an_open311_key(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.ADMIN)
    page = "/staff/admin/api-keys"
    response = await post_form(client, page, page, {"name": "Balady app"})
    key = re.search(r'id="new-key">([^<]+)<', response.text)
    assert key
    checked = await check_api_key(services.store, key.group(1))
    assert isinstance(checked, ApiKey)
    assert checked.name == "Balady app"
    assert key.group(1) not in (await client.get(page)).text  # shown once only
    await post_form(client, page, f"{page}/{checked.key_id}/revoke", {})
    assert await check_api_key(services.store, key.group(1)) is None


async def test_kpi_dashboard_and_csv(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await new_complaint(services)
    inquiry = TransactionInquiry(
        id="conversation-1", kind="shop_licence", outcome="answered", channel="voice", at=utc_now()
    )
    await services.store.record_inquiry(inquiry)
    await web_login(Role.SUPERVISOR)
    page = await client.get("/staff/kpi", params={"lang": "en"})
    assert page.status_code == 200
    assert 'id="chart-day"' in page.text
    assert '"total":1' in page.text
    assert "<dt>Transactions answered without an employee</dt><dd>1</dd>" in page.text
    assert '"by_type":{"shop_licence":1}' in page.text
    assert '"shop_licence": "shop licence"' in page.text  # its name for the chart
    csv = await client.get("/staff/kpi.csv", params={"category": "roads"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "section,key,value" in csv.text
    assert "by_category,roads,1" in csv.text


async def test_portal_report_with_photo_and_map_pin_then_track(
    client: httpx.AsyncClient, services: Services
) -> None:
    response = await post_form(
        client,
        "/report",
        "/report",
        {
            "description": "Street light out near the school",
            "phone": "٠٥٠١٢٣٤٥٦٧",
            "category": "lighting",
            "district": "al_mubarraz",
            "lat": "٢٥٫٤٠٥٠",
            "lng": "49.5800",
            "submission": "portal-test-000001",
        },
        files={"photo": ("light.png", PNG, "image/png")},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert "created=1" in location
    reference = location.split("/")[2].split("?")[0]
    complaint = await services.complaints.get(reference)
    assert complaint.location
    assert complaint.location.lat == pytest.approx(25.405)
    assert complaint.attachments[0].kind == "photo"
    view = await client.get(location)
    assert reference in view.text
    assert 'id="created-reference"' in view.text
    again = await post_form(
        client,
        "/report",
        "/report",
        {"description": "again", "phone": "0501234567", "submission": "portal-test-000001"},
    )
    assert again.headers["location"].split("?")[0] == location.split("?")[0]  # created once


async def test_portal_refuses_a_bad_phone_with_the_form_again(client: httpx.AsyncClient) -> None:
    response = await post_form(
        client,
        "/report",
        "/report",
        {"description": "حفرة", "phone": "12", "submission": "portal-test-000002"},
    )
    assert response.status_code == 422
    assert 'id="report-form"' in response.text


async def test_track_by_reference_and_last_four_digits_in_eastern_arabic(
    client: httpx.AsyncClient, services: Services
) -> None:
    complaint = await new_complaint(services, language="en")
    assert complaint.phone
    response = await post_form(
        client,
        "/track",
        "/track",
        {
            "reference": complaint.reference.translate(ARABIC_DIGITS),
            "digits": last_four(complaint.phone).translate(ARABIC_DIGITS),
        },
    )
    assert response.status_code == 303
    view = await client.get(response.headers["location"])
    assert '<html lang="en" dir="ltr">' in view.text  # the report's own language
    assert "Report received" in view.text
    forged = await client.get(f"/track/{complaint.reference}?t=forged")
    assert forged.status_code == 403


async def test_citizen_confirms_reopens_rates_and_comments(
    client: httpx.AsyncClient, services: Services
) -> None:
    from bot.complaints import SYSTEM
    from bot.tracking_link import tracking_token

    complaint = await new_complaint(services)
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        await services.complaints.change_status(
            complaint.reference, status, SYSTEM.__class__("ali", Role.SUPERVISOR), "done"
        )
    token = tracking_token(services.settings.secret_key.get_secret_value(), complaint.reference)
    page = f"/track/{complaint.reference}?t={token}"
    view = await client.get(page)
    assert 'id="fixed-question"' in view.text

    async def act(action: str, data: dict[str, str]) -> str:
        html = (await client.get(page)).text
        response = await client.post(
            f"/track/{complaint.reference}/{action}",
            data={"csrf_token": csrf_of(html), "t": token, **data},
        )
        return str(response.headers["location"])

    assert (await act("reopen", {"text": "still broken"})).endswith("notice=saved")
    assert (await services.complaints.get(complaint.reference)).status == Status.IN_PROGRESS
    await services.complaints.change_status(
        complaint.reference, Status.RESOLVED, SYSTEM.__class__("ali", Role.SUPERVISOR), "again"
    )
    assert (await act("confirm", {})).endswith("notice=saved")
    assert (await act("rate", {"score": "٥"})).endswith("notice=saved")
    assert (await act("rate", {"score": "4"})).endswith("error=refused")  # once only
    assert (await act("comment", {"text": "شكراً لكم"})).endswith("notice=saved")
    final = await services.complaints.get(complaint.reference)
    assert (final.status, final.satisfaction) == (Status.CLOSED, 5)
    assert "شكراً لكم" in (await client.get(page)).text


async def test_the_map_uses_the_configured_tiles_and_shows_the_pin(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, monkeypatch
) -> None:
    monkeypatch.setattr(
        services.settings, "map_tile_url", "https://tiles.ahsa.gov.sa/{z}/{x}/{y}.png"
    )
    complaint = await new_complaint(services, location={"lat": 25.38, "lng": 49.59})
    await web_login(Role.AGENT)
    page = (await client.get(f"/staff/complaints/{complaint.reference}")).text
    assert 'data-tiles="https://tiles.ahsa.gov.sa/{z}/{x}/{y}.png"' in page
    assert 'data-lat="25.38" data-lng="49.59"' in page
    assert "google.com/maps/dir/?api=1&amp;destination=25.38,49.59" in page
