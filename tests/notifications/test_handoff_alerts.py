"""Who is alerted when a chat user asks for an employee, with what text, and when."""

from datetime import UTC, datetime

import pytest

from bot.catalogue import Catalogue
from bot.handoffs import HandoffRequest
from bot.notifications.handoff import handoff_alerts, next_opening, who_picks_up
from bot.notifications.message import MessageFilter
from bot.notifications.providers.registry import staff_contacts
from bot.staff import StaffUser
from bot.store.sqlite import SqliteStore
from bot.types import Role
from channels.registry import directory

PHONE = "+966551234567"
WEDNESDAY_NOON = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
BASE_URL = "https://balagh.example"


def staff(username: str, role: Role, **fields: object) -> StaffUser:
    return StaffUser.model_validate(
        {
            "username": username,
            "display_name": username,
            "role": role,
            "password_hash": "x",
            "created_at": WEDNESDAY_NOON,
            **fields,
        }
    )


def request(**fields: object) -> HandoffRequest:
    values: dict[str, object] = {
        "channel": "sms",
        "conversation_id": f"sms:{PHONE}",
        "phone": PHONE,
        "requested_at": WEDNESDAY_NOON,
        **fields,
    }
    return HandoffRequest.model_validate(values)


@pytest.mark.parametrize(
    ("asked", "due"),
    [
        (WEDNESDAY_NOON, WEDNESDAY_NOON),
        (datetime(2025, 5, 14, 3, 0, tzinfo=UTC), datetime(2025, 5, 14, 4, 30, tzinfo=UTC)),
        (datetime(2025, 5, 14, 12, 0, tzinfo=UTC), datetime(2025, 5, 15, 4, 30, tzinfo=UTC)),
        (datetime(2025, 5, 15, 11, 30, tzinfo=UTC), datetime(2025, 5, 18, 4, 30, tzinfo=UTC)),
        (datetime(2025, 5, 16, 9, 0, tzinfo=UTC), datetime(2025, 5, 18, 4, 30, tzinfo=UTC)),
    ],
    ids=["within hours", "before start", "after end", "thursday evening", "friday"],
)
def test_an_alert_is_due_when_the_staff_are_on_duty(catalogue: Catalogue, asked, due):
    assert next_opening(catalogue.working_hours, asked) == due


def test_agents_pick_chats_up_and_supervisors_only_when_there_is_no_agent():
    agent = staff("huda", Role.AGENT)
    retired = staff("old.agent", Role.AGENT, active=False)
    supervisor = staff("noura", Role.SUPERVISOR)
    field = staff("crew1", Role.FIELD, team="roads_hofuf")
    assert who_picks_up([agent, retired, supervisor, field]) == [agent]
    assert who_picks_up([retired, supervisor, field]) == [supervisor]
    assert who_picks_up([retired, field]) == []


def test_the_summary_is_in_each_readers_language(catalogue: Catalogue):
    summary = {
        "category": "roads",
        "district": "al_hofuf",
        "description": "حفرة كبيرة " * 30,
        "last_reference": "1000000018",
    }
    asked = request(reason="not_understood", summary=summary)
    readers = [
        staff("huda", Role.AGENT, contacts={"telegram_chat_id": "5551234"}, language="en"),
        staff("salem", Role.AGENT, contacts={"phone": "+966509876543"}),
        staff("twin", Role.AGENT, contacts={"phone": "+966509876543"}),  # told once
    ]
    english, arabic = handoff_alerts(
        asked, "SM1", readers, catalogue, directory(), staff_contacts(), BASE_URL
    )
    roads, hofuf = catalogue.categories["roads"].name, catalogue.districts["al_hofuf"].name
    described = summary["description"][:160]
    assert english.body == (
        "A citizen asks for an employee on SMS (+966•••••••67).\n"
        f"Reason: The assistant did not understand them · Category: {roads.en} · "
        f"District: {hofuf.en} · Description: {described} · Reference: 1000000018\n"
        f"Take it: {BASE_URL}/staff/inbox"
    )
    assert arabic.body.startswith("مواطن يطلب موظفاً عبر رسالة نصية (+966•••••••67).\n")
    assert f"التصنيف: {roads.ar} · الحي: {hofuf.ar}" in arabic.body
    assert (english.channel, arabic.channel) == ("telegram", "sms")
    assert all(PHONE not in alert.body and PHONE not in alert.id for alert in (english, arabic))


async def test_the_same_request_is_queued_once(catalogue: Catalogue, store: SqliteStore):
    readers = [staff("huda", Role.AGENT, contacts={"phone": "+966509876543"})]
    first = handoff_alerts(
        request(), "SM1", readers, catalogue, directory(), staff_contacts(), BASE_URL
    )
    again = handoff_alerts(
        request(), "SM1", readers, catalogue, directory(), staff_contacts(), BASE_URL
    )
    later = handoff_alerts(
        request(), "SM2", readers, catalogue, directory(), staff_contacts(), BASE_URL
    )
    assert [alert.id for alert in first] == [alert.id for alert in again]
    assert first[0].id != later[0].id
    await store.insert_messages(first)
    await store.insert_messages(again)
    page = await store.list_messages(MessageFilter(), 10, None)
    assert [message.id for message in page.items] == [first[0].id]
