"""Back-office forms that notify: a staff reply reaches the citizen through the outbox, and
admins set where each staff member's own notifications go."""

import httpx

from bot.complaint_record import Complaint
from bot.notifications.message import MessageFilter, OutboxMessage
from bot.services import Services
from bot.types import Role
from tests.conftest import new_complaint
from tests.notifications.conftest import deliver_all
from tests.web.conftest import WebLogin, post_form

TELEGRAM_CHAT = "555000111"


async def outbox_of(services: Services, reference: str, event: str) -> list[OutboxMessage]:
    page = await services.store.list_messages(MessageFilter(reference=reference), 50, None)
    return [message for message in page.items if message.event == event]


async def reply(client: httpx.AsyncClient, complaint: Complaint, **form: str) -> str:
    page = f"/staff/complaints/{complaint.reference}"
    response = await post_form(client, page, f"{page}/reply", form)
    assert response.status_code == 303
    return str(response.headers["location"])


async def test_a_reply_template_goes_to_the_citizen_in_their_language_on_their_channel(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(
        services,
        channel="telegram",
        language="en",
        phone=None,
        sources={"telegram_chat_id": TELEGRAM_CHAT},
    )
    await web_login(Role.AGENT)  # the page itself is in Arabic
    page = await client.get(f"/staff/complaints/{complaint.reference}")
    assert 'data-text="A field team has been sent to the location.' in page.text

    outcome = await reply(client, complaint, template="team_on_the_way", text="")
    assert outcome.endswith("notice=saved")
    changed = await services.complaints.get(complaint.reference)
    entry = changed.history[-1]
    assert (entry.field, entry.internal) == ("reply", False)
    assert entry.reason.startswith("A field team has been sent to the location.")
    (message,) = await outbox_of(services, complaint.reference, "reply")
    assert (message.channel, message.to, message.language) == ("telegram", TELEGRAM_CHAT, "en")
    assert message.body == f"Balagh 940, about your report {complaint.reference}: {entry.reason}"
    assert message.template_variables == [complaint.reference, entry.reason]
    # The idempotency key is the write that carried it: the same write never queues it twice.
    assert message.id == f"{complaint.reference}.{changed.version}.0"

    await deliver_all(services.dispatcher, services.store)
    outbox = await client.get("/staff/outbox", params={"reference": complaint.reference})
    assert "A field team has been sent to the location." in outbox.text
    assert TELEGRAM_CHAT in outbox.text
    assert "وصلت" in outbox.text  # delivered by the local provider: the embedded default


async def test_an_edited_reply_is_sent_as_written_by_sms_in_arabic(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)  # portal, Arabic, phone 0501234567
    await web_login(Role.SUPERVISOR)
    await reply(client, complaint, template="fixed", text="تم ردم الحفرة صباح اليوم.")
    (message,) = await outbox_of(services, complaint.reference, "reply")
    assert (message.channel, message.to, message.language) == ("sms", "+966501234567", "ar")
    assert (
        message.body
        == f"بلاغ ٩٤٠، بخصوص بلاغك رقم {complaint.reference}: تم ردم الحفرة صباح اليوم."
    )


async def test_a_bad_reply_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(Role.AGENT)
    refusals = (
        ({"text": "  ", "template": ""}, "error=change.reply_empty"),
        ({"text": "", "template": "no_such_template"}, "error=refused"),
    )
    for form, outcome in refusals:
        assert (await reply(client, complaint, **form)).endswith(outcome)
    assert (await services.complaints.get(complaint.reference)).history == complaint.history
    assert await outbox_of(services, complaint.reference, "reply") == []


async def test_internal_notes_are_not_sent_to_the_citizen(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    complaint = await new_complaint(services)
    await web_login(Role.AGENT)
    page = f"/staff/complaints/{complaint.reference}"
    await post_form(client, page, f"{page}/note", {"note": "الحفرة قرب خط الغاز"})
    page_messages = await services.store.list_messages(
        MessageFilter(reference=complaint.reference), 50, None
    )
    assert all("خط الغاز" not in message.body for message in page_messages.items)


async def test_admin_sets_a_staff_members_contact_and_notices_follow_it(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.ADMIN)
    await post_form(
        client,
        "/staff/admin/users",
        "/staff/admin/users",
        {"username": "omar.crew", "display_name": "Omar", "role": "agent", "password": "x" * 12},
    )
    action = "/staff/admin/users/omar.crew/contact"
    saved = await post_form(
        client,
        "/staff/admin/users",
        action,
        {"phone": "٠٥٥٩٨٧٦٥٤٣", "telegram_chat_id": "", "language": "en"},
    )
    assert saved.headers["location"].endswith("notice=saved")
    account = await services.store.get_user("omar.crew")
    assert account is not None
    assert (account.contacts, account.language) == ({"phone": "+966559876543"}, "en")
    page = await client.get("/staff/admin/users")
    assert 'value="+966559876543"' in page.text

    complaint = await new_complaint(services)
    agent_page = f"/staff/complaints/{complaint.reference}"
    await post_form(client, agent_page, f"{agent_page}/assign", {"assignee": "omar.crew"})
    notices = await outbox_of(services, complaint.reference, "assignment")
    (notice,) = [message for message in notices if message.channel != "local"]  # not the desk
    assert (notice.to, notice.language) == ("+966559876543", "en")
    assert notice.body.startswith(f"New report {complaint.reference} (Roads and sidewalks")

    telegram = await post_form(
        client,
        "/staff/admin/users",
        action,
        {"phone": "", "telegram_chat_id": "٧٧٧٨٨٨", "language": "ar"},
    )
    assert telegram.headers["location"].endswith("notice=saved")
    account = await services.store.get_user("omar.crew")
    assert account is not None
    assert (account.contacts, account.language) == ({"telegram_chat_id": "777888"}, "ar")


async def test_bad_contact_details_are_refused_and_change_nothing(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin
) -> None:
    await web_login(Role.ADMIN, "admin.contact")
    before = await services.store.get_user("admin.contact")
    action = "/staff/admin/users/admin.contact/contact"
    shown = []
    for form, query in (
        ({"phone": "12345", "telegram_chat_id": "", "language": "ar"}, "error=contact&field=phone"),
        (
            {"phone": "", "telegram_chat_id": "@omar", "language": "ar"},
            "error=contact&field=telegram_chat_id",
        ),
        ({"phone": "", "telegram_chat_id": "", "language": "fr"}, "error=contact"),
    ):
        refused = await post_form(client, "/staff/admin/users", action, form)
        assert refused.headers["location"].endswith(f"/staff/admin/users?{query}"), form
        shown.append((await client.get(refused.headers["location"])).text)
    assert await services.store.get_user("admin.contact") == before
    assert "لم يُحفظ شيء: قيمة «الجوال (رسائل نصية)» غير صحيحة." in shown[0]
    assert "لم يُحفظ شيء: قيمة «معرّف محادثة تيليجرام» غير صحيحة." in shown[1]
    assert "لم تُحفظ بيانات التواصل" in shown[2]
    unknown = await post_form(
        client, "/staff/admin/users", "/staff/admin/users/nobody.here/contact", {"phone": ""}
    )
    assert unknown.headers["location"].endswith("error=refused")
