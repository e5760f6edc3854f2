"""The Rasa replicas' Redis tracker store, on a real Redis: each store is one replica."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
from rasa.core.tracker_store import RedisTrackerStore as RasaRedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_components.redis_tracker_store import RedisTrackerStore
from tests.rasa_env.test_tracker_store import DOMAIN, session_start, turn
from tests.redis_server import RedisServer


@pytest.fixture
def client(server: RedisServer) -> redis.Redis:
    connection = redis.Redis(port=server.port, decode_responses=True)
    connection.flushall()
    return connection


Replica = Callable[..., RedisTrackerStore]


@pytest.fixture
def replica(server: RedisServer, client: redis.Redis) -> Replica:
    def new(**options: Any) -> RedisTrackerStore:
        return RedisTrackerStore(DOMAIN, host="127.0.0.1", port=server.port, **options)

    return new


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """One event loop for a whole scenario, as a Rasa replica has one."""
    asyncio.run(scenario())


async def turns(
    store: RasaRedisTrackerStore, sender: str, *turns: list[Any]
) -> DialogueStateTracker:
    """As Rasa's processor does: get (or create) the tracker, add a turn, save, repeat."""
    tracker = await store.get_or_create_tracker(sender)
    for events in turns:
        tracker = await store.retrieve(sender) or tracker
        for event in events:
            tracker.update(event)
        await store.save(tracker)
    return tracker


def stored_events(client: redis.Redis, sender: str) -> list[dict[str, Any]]:
    value = client.get(f"tracker:{sender}")
    assert value is not None
    events: list[dict[str, Any]] = json.loads(value)["events"]
    return events


def texts(tracker: DialogueStateTracker) -> list[str]:
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


def test_every_event_is_stored_once_as_rasa_stores_it(
    replica: Replica, client: redis.Redis
) -> None:
    async def scenario() -> None:
        tracker = await turns(replica(), "c1", turn("hi", "ar"), turn("again"), turn("more"))
        assert [event["event"] for event in stored_events(client, "c1")] == [
            event.as_dict()["event"] for event in tracker.events
        ]
        assert len(tracker.events) == 11

    run(scenario)


def test_a_replica_hands_out_its_live_tracker_while_nobody_else_wrote(replica: Replica) -> None:
    async def scenario() -> None:
        store = replica()
        saved = await turns(store, "c1", turn("hi"))
        assert await store.retrieve("c1") is saved

    run(scenario)


def test_a_conversation_goes_on_across_replicas(replica: Replica, client: redis.Redis) -> None:
    async def scenario() -> None:
        first, second = replica(), replica()
        await turns(first, "c1", turn("one", "ar"))
        await turns(second, "c1", turn("two", "en"))
        # the first replica's live tracker is stale: it reads the second's turn
        tracker = await first.retrieve("c1")
        assert tracker is not None
        assert texts(tracker) == ["one", "two"]
        assert tracker.get_slot("language") == "en"
        await turns(first, "c1", turn("three"))
        assert [event.get("text") for event in stored_events(client, "c1") if "text" in event] == [
            "one",
            "two",
            "three",
        ]
        assert len(stored_events(client, "c1")) == 1 + 4 + 4 + 3

    run(scenario)


def test_rasa_own_store_and_this_one_read_each_other(replica: Replica, server: RedisServer) -> None:
    async def scenario() -> None:
        rasa_own = RasaRedisTrackerStore(DOMAIN, host="127.0.0.1", port=server.port)
        store = replica()
        await turns(rasa_own, "c1", turn("by rasa", "en"))
        await turns(store, "c1", turn("by us"))
        await turns(rasa_own, "c1", turn("by rasa again"))
        tracker = await store.retrieve("c1")
        assert tracker is not None
        assert texts(tracker) == ["by rasa", "by us", "by rasa again"]
        assert tracker.get_slot("language") == "en"

    run(scenario)


def traffic(client: redis.Redis) -> tuple[int, int]:
    """The bytes Redis has received and sent so far."""
    stats = client.info("stats")
    return stats["total_net_input_bytes"], stats["total_net_output_bytes"]


def test_a_turn_on_the_replica_that_answered_the_last_one_carries_no_conversation(
    replica: Replica, client: redis.Redis
) -> None:
    """Redis compares digests: a long conversation is neither sent back nor sent again."""

    async def scenario() -> None:
        store = replica()
        await turns(store, "c1", *(turn(f"message number {n}", "ar") for n in range(60)))
        size = len(client.get("tracker:c1") or "")
        assert size > 20_000

        before = traffic(client)
        tracker = await store.retrieve("c1")
        assert tracker is not None
        after_read = traffic(client)
        for event in turn("one more"):
            tracker.update(event)
        await store.save(tracker)
        after_save = traffic(client)
        assert after_read[1] - before[1] < size / 4  # the value did not come back
        assert after_save[0] - after_read[0] < size / 4  # nor was it sent whole
        assert len(stored_events(client, "c1")) == 1 + 60 * 4 + 3

        before = traffic(client)
        elsewhere = await replica().retrieve("c1")
        assert traffic(client)[1] - before[1] > size  # another replica reads it whole
        assert elsewhere is not None
        assert texts(elsewhere)[-2:] == ["message number 59", "one more"]

    run(scenario)


def test_a_value_written_another_way_is_appended_to_as_rasa_writes_it(
    replica: Replica, client: redis.Redis
) -> None:
    """An operator's tool may write the same JSON laid out otherwise; nothing is lost."""

    async def scenario() -> None:
        await turns(replica(), "c1", turn("one", "en"))
        events = stored_events(client, "c1")
        client.set(
            "tracker:c1", json.dumps({"name": "c1", "events": events}, separators=(",", ":"))
        )
        store = replica()
        await turns(store, "c1", turn("two"))
        await turns(store, "c1", turn("three"))
        value = client.get("tracker:c1") or ""
        assert value.endswith('], "name": "c1"}')
        assert [event.get("text") for event in stored_events(client, "c1") if "text" in event] == [
            "one",
            "two",
            "three",
        ]
        tracker = await replica().retrieve("c1")
        assert tracker is not None
        assert texts(tracker) == ["one", "two", "three"]
        assert tracker.get_slot("language") == "en"

    run(scenario)


def test_a_write_from_elsewhere_between_read_and_save_is_kept(
    replica: Replica, client: redis.Redis
) -> None:
    """Without the lock store (an operator's edit, a stock replica): nothing is overwritten."""

    async def scenario() -> None:
        first, second = replica(), replica()
        await turns(first, "c1", turn("one"))
        tracker = await first.retrieve("c1")
        assert tracker is not None
        await turns(second, "c1", turn("meanwhile"))
        for event in turn("mine"):
            tracker.update(event)
        await first.save(tracker)
        assert [event.get("text") for event in stored_events(client, "c1") if "text" in event] == [
            "one",
            "meanwhile",
            "mine",
        ]
        again = await first.retrieve("c1")
        assert again is not None
        assert texts(again) == ["one", "meanwhile", "mine"]

    run(scenario)


def test_a_turn_that_never_saved_is_forgotten(replica: Replica, client: redis.Redis) -> None:
    async def scenario() -> None:
        store = replica()
        await turns(store, "c1", turn("hi", "ar"))
        failed = await store.retrieve("c1")
        assert failed is not None
        for event in turn("lost", "en"):
            failed.update(event)
        tracker = await store.retrieve("c1")
        assert tracker is not None
        assert tracker is not failed
        assert tracker.get_slot("language") == "ar"
        assert len(tracker.events) == len(stored_events(client, "c1")) == 5

    run(scenario)


def test_a_new_session_is_stored_after_the_old_and_handed_out_alone(
    replica: Replica, client: redis.Redis
) -> None:
    async def scenario() -> None:
        store = replica()
        await turns(store, "c1", turn("yesterday"))
        # the processor starts the session, saves, then saves again after its predictions
        tracker = await store.retrieve("c1")
        assert tracker is not None
        for event in [*session_start(), UserUttered("today", {"name": "greet"})]:
            tracker.update(event)
        await store.save(tracker)
        for event in [ActionExecuted("utter_greet"), ActionExecuted(ACTION_LISTEN_NAME)]:
            tracker.update(event)
        await store.save(tracker)

        assert len(stored_events(client, "c1")) == len(tracker.events) == 9
        for reader in (store, replica()):  # live, and parsed by another replica
            current = await reader.retrieve("c1")
            assert current is not None
            assert [type(event) for event in current.events][:2] == [ActionExecuted, SessionStarted]
            assert len(current.events) == 5
            full = await reader.retrieve_full_tracker("c1")
            assert full is not None
            assert texts(full) == ["yesterday", "today"]
        await turns(store, "c1", turn("later"))
        assert len(stored_events(client, "c1")) == 12

    run(scenario)


def test_conversations_expire_as_configured(replica: Replica, client: redis.Redis) -> None:
    async def scenario() -> None:
        await turns(replica(record_exp=60), "c1", turn("hi"))
        assert 0 < client.pttl("tracker:c1") <= 60_000
        await turns(replica(), "c2", turn("hi"))
        assert client.pttl("tracker:c2") == -1

    run(scenario)


def test_evicted_conversations_are_read_back(replica: Replica, client: redis.Redis) -> None:
    async def scenario() -> None:
        store = replica(max_cached=1)
        for text in ("one", "two", "three"):
            await turns(store, "a", turn(text))
            await turns(store, "b", turn(text, "en"))
        assert len(stored_events(client, "a")) == len(stored_events(client, "b")) - 3 == 10
        tracker = await store.retrieve("b")
        assert tracker is not None
        assert tracker.get_slot("language") == "en"

    run(scenario)
