"""The back office and the portal, driven through their forms as a browser would."""

import csv
import io
import re
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydub.generators import Sine

from bot.announcements import Announcement, list_announcements
from bot.api_keys import ApiKey, check_api_key
from bot.clock import utc_now
from bot.dates import hijri_date
from bot.demo import seed_store
from bot.kpi import TransactionInquiry
from bot.phone import last_four
from bot.services import Services
from bot.tracking_link import tracking_token
from bot.types import Role, Status
from tests.conftest import StaffLogin, new_complaint
from tests.web.conftest import WebLogin, csrf_of, post_form

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


async def test_queue_says_how_it_read_the_search_box(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    """A reference nobody has is searched as a reference (not as words that find nothing)."""
    await new_complaint(services)
    await web_login(Role.AGENT)
    unknown = "4471275368"  # a valid reference no complaint has
    page = await client.get("/staff/queue", params={"q": "447-127-5368"})
    assert 'id="searched-as"' in page.text
    assert "البحث برقم البلاغ" in page.text
    assert unknown in page.text
    assert "لا توجد بلاغات مطابقة" in page.text
    by_phone = await client.get("/staff/queue", params={"q": "00966501234567", "lang": "en"})
    assert "Searching by phone number:" in by_phone.text
    assert "+966501234567" in by_phone.text


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


async def test_a_refused_change_says_the_state_what_is_allowed_and_what_is_missing(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    unclassified = await new_complaint(services, category=None, description="شيء ما هنا")
    assert unclassified.team is None
    await web_login(Role.AGENT)
    page = f"/staff/complaints/{unclassified.reference}"
    no_team = await post_form(client, page, f"{page}/assign", {"assignee": "ali", "note": ""})
    shown = await client.get(no_team.headers["location"] + "&lang=en")
    assert "Not changed: choose a team first. The report is «New» and has no team." in shown.text
    arabic = await client.get(no_team.headers["location"] + "&lang=ar")
    assert "اختر فريقاً أولاً" in arabic.text
    assert "«جديد»" in arabic.text
    wrong_move = await post_form(
        client, page, f"{page}/status", {"status": "resolved", "note": "done"}
    )
    explained = (await client.get(wrong_move.headers["location"] + "&lang=en")).text
    assert "Not changed: the report is «New», and that move is not open to you" in explained
    assert "You can move it to: Assigned to a field team, Rejected, Duplicate of an earlier" in (
        explained
    )


async def test_the_api_names_state_allowed_and_reason_of_a_refusal(
    client: httpx.AsyncClient, services: Services, staff_headers: StaffLogin
) -> None:
    unclassified = await new_complaint(services, category=None, description="شيء ما هنا")
    agent = await staff_headers(Role.AGENT)
    base = f"/api/staff/complaints/{unclassified.reference}"
    no_team = await client.post(f"{base}/assign", json={"assignee": "ali"}, headers=agent)
    assert no_team.status_code == 409
    assert no_team.json()["error"]["details"] == [{"reason": "team_required", "state": "new"}]
    assert "(the complaint is 'new')" in no_team.json()["error"]["message"]
    move = await client.post(
        f"{base}/status", json={"status": "resolved", "note": "x"}, headers=agent
    )
    assert move.json()["error"]["details"] == [
        {"state": "new", "requested": "resolved", "allowed": ["assigned", "rejected", "duplicate"]}
    ]


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
    assert fake.headers["location"].endswith("error=media")


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
    export = await client.get("/staff/kpi.csv", params={"category": "roads"})
    assert export.headers["content-type"].startswith("text/csv")
    assert "section,key,value" in export.text
    assert "by_category,roads,1" in export.text


async def test_kpi_dashboard_defines_every_figure_and_says_no_data(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await new_complaint(services)
    await web_login(Role.SUPERVISOR)
    page = (await client.get("/staff/kpi", params={"lang": "en"})).text
    for figure in ("total", "backlog", "first_response", "resolution", "sla", "reopens"):
        assert f'id="def-{figure}"' in page, figure
    for figure in ("satisfaction", "subscriptions", "calls", "chart.day", "chart.ageing"):
        assert f'id="def-{figure}"' in page, figure
    assert "Every report open today (new, assigned or in progress), whenever" in page
    # Nobody rated and nobody called yet: those say so instead of drawing empty charts.
    assert 'id="no-data-satisfaction"' in page
    assert 'id="no-data-abandoned"' in page
    assert 'id="chart-satisfaction"' not in page
    assert 'id="chart-day"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "The range ends before it starts."),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "longer than a year"),
        ({"from": "1026-03-01", "to": "1026-03-02"}, "before the year 2000"),
        ({"from": "2999-01-01", "to": "2999-01-02"}, "starts after today"),
        ({"from": "9999-12-31"}, "ends before it starts"),
        ({"from": "yesterday"}, "That is not a date."),
    ],
)
async def test_kpi_dashboard_refuses_a_reversed_or_absurd_range(
    client: httpx.AsyncClient, web_login: WebLogin, params: dict[str, str], message: str
) -> None:
    await web_login(Role.SUPERVISOR)
    page = await client.get("/staff/kpi", params={**params, "lang": "en"})
    assert page.status_code == 422
    assert 'id="kpi-refused"' in page.text
    assert message in page.text
    assert 'id="kpi-total"' not in page.text  # no figures of some other range
    assert f'value="{params["from"]}"' in page.text  # what was typed is kept
    arabic = await client.get("/staff/kpi", params={**params, "lang": "ar"})
    assert 'id="kpi-refused"' in arabic.text
    assert message not in arabic.text


async def test_kpi_api_and_csv_give_the_same_numbers(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    async for _ in seed_store(services, 300, seed=3):
        pass
    await web_login(Role.SUPERVISOR)
    figures = (await client.get("/api/staff/kpi")).json()
    rows = list(csv.reader(io.StringIO((await client.get("/staff/kpi.csv")).text.lstrip("\ufeff"))))
    assert rows[0] == ["section", "key", "value"]
    flat = {(section, key): value for section, key, value in rows[1:]}
    assert flat[("total", "")] == str(figures["total"])
    assert flat[("backlog", "")] == str(figures["backlog"])
    assert flat[("calls", "unfinished")] == str(figures["calls"]["unfinished"])
    assert flat[("sla", "compliance")] == str(figures["sla"]["compliance"])
    for day, count in figures["by_day"].items():
        assert flat[("by_day", day)] == str(count)
    for label, count in figures["ageing"].items():
        assert flat[("ageing", label)] == str(count)
    for score, count in figures["satisfaction"]["distribution"].items():
        assert flat[("satisfaction.distribution", score)] == str(count)
    for hour, count in enumerate(figures["by_hour"]):
        assert flat[("by_hour", str(hour))] == str(count)


async def test_the_track_page_shows_the_residents_photos_only(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    response = await post_form(
        client,
        "/report",
        "/report",
        {"description": "حفرة كبيرة", "phone": "0501234567", "submission": "photos-000001"},
        files={"photo": ("hole.png", PNG, "image/png")},
    )
    track = response.headers["location"]
    reference = track.split("/")[2].split("?")[0]
    token = track.split("t=")[1].split("&")[0]
    await web_login(Role.AGENT)  # staff add a photo of their own: not the resident's
    staff_page = f"/staff/complaints/{reference}"
    await post_form(
        client,
        staff_page,
        f"{staff_page}/photo",
        {},
        files={"photo": ("fix.png", PNG, "image/png")},
    )
    page = (await client.get(track)).text
    assert 'id="resident-files"' in page
    assert f'src="/track/{reference}/attachments/0?t={token}"' in page
    assert f"/track/{reference}/attachments/1" not in page
    photo = await client.get(f"/track/{reference}/attachments/0", params={"t": token})
    assert photo.status_code == 200
    assert photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    staff_photo = await client.get(f"/track/{reference}/attachments/1", params={"t": token})
    assert staff_photo.status_code == 404
    wrong_token = await client.get(f"/track/{reference}/attachments/0", params={"t": "nope"})
    assert wrong_token.status_code == 403


async def test_the_track_page_dates_carry_the_hijri_date_in_the_pages_digits(
    client: httpx.AsyncClient, services: Services
) -> None:
    complaint = await new_complaint(services)
    secret = services.settings.secret_key.get_secret_value()
    page = f"/track/{complaint.reference}?t={tracking_token(secret, complaint.reference)}"
    local = complaint.created_at.astimezone(ZoneInfo(services.catalogue.municipality.timezone))
    hijri_ar, hijri_en = hijri_date(local.date(), "ar"), hijri_date(local.date(), "en")
    assert hijri_ar
    assert hijri_en
    arabic = (await client.get(f"{page}&lang=ar")).text
    assert hijri_ar.translate(ARABIC_DIGITS) in arabic  # ٢٤ جمادى الآخرة ١٤٤٨ هـ
    assert hijri_ar not in arabic  # never in Latin digits on an Arabic page
    english = (await client.get(f"{page}&lang=en")).text
    assert hijri_en in english


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
