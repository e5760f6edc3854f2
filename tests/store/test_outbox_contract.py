"""The outbox and SLA-reminder part of the store contract, on every backend."""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import utc_now
from bot.notifications.message import Attempt, MessageCursor, MessageFilter, OutboxMessage
from bot.store.base import OutboxBacklog, Store, VersionConflict
from bot.types import Status
from tests.store.test_contract import HOUR, T0, make_complaint

LEASE = timedelta(minutes=2)


def message(name: str, **fields: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "id": name,
        "channel": "sms",
        "to": "+966551234567",
        "event": "created",
        "language": "ar",
        "reference": "1000000018",
        "body": f"text of {name}",
        "due_at": T0,
        "created_at": T0,
        "updated_at": T0,
        **fields,
    }
    return OutboxMessage.model_validate(values)


async def ids(store: Store, **filters: Any) -> list[str]:
    page = await store.list_messages(MessageFilter(**filters), 200, None)
    return sorted(item.id for item in page.items)


async def every_message(store: Store) -> list[OutboxMessage]:
    """Every message, by id."""
    page = await store.list_messages(MessageFilter(), 200, None)
    return sorted(page.items, key=lambda m: m.id)


async def claim(store: Store, holder: str = "worker-1", limit: int = 10) -> list[OutboxMessage]:
    now = utc_now()
    return await store.claim_messages(now, now + LEASE, holder, limit)


async def finish(
    store: Store, outcome: OutboxMessage, token: str, follow_ups: Sequence[OutboxMessage] = ()
) -> bool:
    (written,) = await store.finish_messages([Attempt(outcome, token, follow_ups)])
    return written


async def sent(store: Store, name: str, provider_id: str) -> OutboxMessage:
    """A message the provider accepted as `provider_id`."""
    await store.insert_messages([message(name)])
    (claimed,) = [m for m in await claim(store) if m.id == name]
    accepted = claimed.model_copy(
        update={"state": "queued", "provider_message_id": provider_id, "claim_token": None}
    )
    assert await finish(store, accepted, "worker-1")
    return accepted


# Written with the complaint


async def test_messages_commit_with_a_new_complaint(store: Store) -> None:
    await store.insert_complaint(make_complaint(1), [message("a"), message("b")])
    assert await ids(store) == ["a", "b"]
    assert (await store.get_message("a")) == message("a")


async def test_a_repeated_idempotency_key_queues_nothing_more(store: Store) -> None:
    await store.insert_complaint(make_complaint(1, idempotency_key="k"), [message("a")])
    result = await store.insert_complaint(make_complaint(2, idempotency_key="k"), [message("b")])
    assert not result.created
    assert await ids(store) == ["a"]


async def test_messages_commit_with_a_change_or_not_at_all(store: Store) -> None:
    complaint = make_complaint(1)
    await store.insert_complaint(complaint)
    changed = complaint.model_copy(update={"status": Status.ASSIGNED, "version": 2})
    await store.replace_complaint(changed, 1, [message("a")])
    stale = changed.model_copy(update={"status": Status.IN_PROGRESS, "version": 3})
    with pytest.raises(VersionConflict):
        await store.replace_complaint(stale, 1, [message("lost")])
    assert await ids(store) == ["a"]


async def test_messages_of_successive_changes_all_arrive(store: Store) -> None:
    complaint = make_complaint(1)
    await store.insert_complaint(complaint, [message("a")])
    second = complaint.model_copy(update={"status": Status.ASSIGNED, "version": 2})
    await store.replace_complaint(second, 1, [message("b")])
    third = second.model_copy(update={"status": Status.IN_PROGRESS, "version": 3})
    await store.replace_complaint(third, 2, [message("c")])
    assert await ids(store) == ["a", "b", "c"]
    assert await store.get_complaint(complaint.reference) == third


async def test_inserting_a_message_twice_keeps_the_first(store: Store) -> None:
    await store.insert_messages([message("a")])
    await store.insert_messages([message("a", body="changed"), message("b")])
    assert await ids(store) == ["a", "b"]
    stored = await store.get_message("a")
    assert stored is not None
    assert stored.body == "text of a"


# Claiming, leases, outcomes


async def test_a_claim_leases_due_messages_soonest_first(store: Store) -> None:
    later = utc_now() + HOUR
    await store.insert_messages(
        [message("second", due_at=T0 + HOUR), message("first"), message("future", due_at=later)]
    )
    claimed = await claim(store, limit=1)
    assert [m.id for m in claimed] == ["first"]
    (first,) = claimed
    assert (first.state, first.attempts, first.claim_token) == ("sending", 1, "worker-1")
    assert first.due_at > utc_now()  # the lease end
    assert [m.id for m in await claim(store, "worker-2")] == ["second"]
    assert await claim(store, "worker-3") == []


async def test_an_expired_lease_comes_back_in_doubt(store: Store) -> None:
    await store.insert_messages([message("a")])
    now = utc_now()
    (first,) = await store.claim_messages(now, now + timedelta(seconds=1), "dead-worker", 10)
    assert not first.in_doubt
    assert await claim(store, "worker-2") == []
    later = now + timedelta(seconds=2)
    (again,) = await store.claim_messages(later, later + LEASE, "worker-2", 10)
    assert (again.in_doubt, again.attempts, again.claim_token) == (True, 2, "worker-2")


async def test_the_backlog_counts_what_waits_and_dates_the_oldest(store: Store) -> None:
    assert await store.outbox_backlog() == OutboxBacklog(depth=0, oldest_created_at=None)
    await store.insert_messages(
        [
            message("old", created_at=T0 - HOUR),
            message("retrying", due_at=utc_now() + HOUR),
            message("new"),
        ]
    )
    await claim(store, limit=1)  # "old" is being sent: still waiting
    backlog = await store.outbox_backlog()
    assert backlog == OutboxBacklog(depth=3, oldest_created_at=T0 - HOUR)
    (leased,) = [m for m in await every_message(store) if m.state == "sending"]
    sent = leased.model_copy(update={"state": "queued", "provider_message_id": "SM1"})
    assert await finish(store, sent, "worker-1")
    assert await store.outbox_backlog() == OutboxBacklog(depth=2, oldest_created_at=T0)


async def test_only_the_lease_holder_writes_the_outcome(store: Store) -> None:
    await store.insert_messages([message("a")])
    (claimed,) = await claim(store)
    outcome = claimed.model_copy(
        update={"state": "queued", "provider": "twilio_sms", "provider_message_id": "SM1"}
    )
    assert not await finish(store, outcome, "someone-else")
    assert (await store.get_message("a")) == claimed
    assert await finish(store, outcome.model_copy(update={"claim_token": None}), "worker-1")
    stored = await store.get_message("a")
    assert stored is not None
    assert (stored.state, stored.provider_message_id, stored.claim_token) == ("queued", "SM1", None)
    assert not await finish(store, outcome, "worker-1")  # no longer leased


async def test_outcomes_are_written_together_each_under_its_own_lease(store: Store) -> None:
    await store.insert_messages([message("a"), message("b"), message("c")])
    a, b, c = sorted(await claim(store), key=lambda m: m.id)
    done = [m.model_copy(update={"state": "delivered", "claim_token": None}) for m in (a, b, c)]
    written = await store.finish_messages(
        [Attempt(done[0], "worker-1"), Attempt(done[1], "lost-lease"), Attempt(done[2], "worker-1")]
    )
    assert written == [True, False, True]
    assert [m.state for m in await every_message(store)] == ["delivered", "sending", "delivered"]


async def test_an_outcome_queues_its_follow_ups(store: Store) -> None:
    await store.insert_messages([message("a", channel="whatsapp")])
    (claimed,) = await claim(store)
    failed = claimed.model_copy(update={"state": "failed", "claim_token": None})
    assert await finish(store, failed, "worker-1", [message("a.sms")])
    assert await ids(store) == ["a", "a.sms"]
    assert [m.id for m in await claim(store)] == ["a.sms"]


async def test_a_retry_waits_until_its_time(store: Store) -> None:
    await store.insert_messages([message("a")])
    (claimed,) = await claim(store)
    retry = claimed.model_copy(
        update={"state": "pending", "due_at": utc_now() + HOUR, "claim_token": None}
    )
    assert await finish(store, retry, "worker-1")
    assert await claim(store) == []


# Provider reports


async def test_provider_reports_only_move_forward(store: Store) -> None:
    await sent(store, "a", "SM1")
    delivered = await store.advance_message("SM1", "delivered", None)
    assert delivered is not None
    assert delivered.state == "delivered"
    assert await store.advance_message("SM1", "sent", None) is None
    assert await store.advance_message("SM1", "failed", "Twilio error 30008") is None
    read = await store.advance_message("SM1", "read", None)
    assert read is not None
    assert read.state == "read"
    assert await store.advance_message("SM-unknown", "delivered", None) is None


async def test_a_failure_report_keeps_its_error_and_queues_follow_ups(store: Store) -> None:
    await sent(store, "a", "SM1")
    failed = await store.advance_message("SM1", "undelivered", "Twilio error 30005", [message("f")])
    assert failed is not None
    assert (failed.state, failed.error) == ("undelivered", "Twilio error 30005")
    assert await ids(store) == ["a", "f"]


async def test_messages_are_found_by_provider_id(store: Store) -> None:
    accepted = await sent(store, "a", "SM1")
    assert await store.get_message_by_provider_id("SM1") == accepted
    assert await store.get_message_by_provider_id("SM2") is None
    assert await store.get_message("missing") is None


# Listing


async def test_listing_filters_and_pages_newest_first(store: Store) -> None:
    await store.insert_messages(
        [message(f"m{n}", created_at=T0 + n * HOUR, to=f"+96655123456{n % 2}") for n in range(5)]
        + [message("hook", channel="webhook", to="wh_1")]
    )
    assert await ids(store, channel="webhook") == ["hook"]
    assert await ids(store, to="+966551234561") == ["m1", "m3"]
    first = await store.list_messages(MessageFilter(channel="sms"), 2, None)
    assert [m.id for m in first.items] == ["m4", "m3"]
    assert first.next_cursor is not None
    second = await store.list_messages(
        MessageFilter(channel="sms"), 10, MessageCursor.decode(first.next_cursor)
    )
    assert [m.id for m in second.items] == ["m2", "m1", "m0"]
    assert second.next_cursor is None


# SLA reminders


async def test_reminders_are_due_once_for_open_unbreached_complaints(store: Store) -> None:
    remind = {"sla_remind_at": T0 + HOUR}
    await store.insert_complaints(
        [
            make_complaint(1, **remind),
            make_complaint(2, sla_remind_at=T0 + 30 * HOUR),
            make_complaint(3, **remind, sla_reminded_at=T0 + 2 * HOUR),
            make_complaint(4, **remind, sla_breached_at=T0 + 2 * HOUR),
            make_complaint(5, **remind, status=Status.RESOLVED),
            make_complaint(6, sla_remind_at=T0 + HOUR / 2, status=Status.IN_PROGRESS),
            make_complaint(7),
        ]
    )
    due = await store.sla_reminders(T0 + 2 * HOUR, limit=10)
    assert [c.reference for c in due] == [make_complaint(n).reference for n in (6, 1)]
    assert len(await store.sla_reminders(T0 + 2 * HOUR, limit=1)) == 1
