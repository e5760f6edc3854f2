"""The Redis lock store of Rasa replicas: one turn of a conversation at a time, on a real Redis.

Each `store()` is what one Rasa replica holds: its own connection to the shared Redis.
"""

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from nlu_components.lock_store import RedisLockStore
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]


Replica = Callable[..., RedisLockStore]


@pytest.fixture
def client(server: RedisServer) -> redis.Redis:
    connection = redis.Redis(port=server.port, db=1)  # Rasa's lock store database
    connection.flushall()
    return connection


@pytest.fixture
def store(server: RedisServer, client: redis.Redis) -> Replica:
    def replica(**options: float) -> RedisLockStore:
        config = EndpointConfig(url="127.0.0.1", port=server.port, key_prefix="test", **options)
        return RedisLockStore(config)

    return replica


def test_replicas_issuing_at_once_never_share_a_ticket(store: Replica) -> None:
    tickets: list[int] = []

    def issue(replica: RedisLockStore) -> None:
        for _ in range(300):
            tickets.append(replica.issue_ticket("c1"))

    threads = [threading.Thread(target=issue, args=(store(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(600))


def test_one_turn_of_a_conversation_at_a_time_across_replicas(
    store: Replica, client: redis.Redis
) -> None:
    """Each replica runs its own event loop in its own thread, as two processes would."""
    spans: list[tuple[float, float]] = []

    def replica_turns(replica: RedisLockStore) -> None:
        async def turns() -> None:
            for _ in range(5):
                async with replica.lock("c1"):
                    started = time.monotonic()
                    await asyncio.sleep(0.02)
                    spans.append((started, time.monotonic()))

        asyncio.run(turns())

    threads = [threading.Thread(target=replica_turns, args=(store(),)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans.sort()
    assert len(spans) == 15
    assert all(end <= following for (_, end), (following, _) in itertools.pairwise(spans))
    assert client.keys() == []  # the last turn's cleanup deleted the lock


def test_a_replica_killed_in_a_turn_holds_the_conversation_one_lifetime_at_most(
    store: Replica,
) -> None:
    dead = store(lock_lifetime=0.5)
    dead.issue_ticket("c1")  # its turn began, then the process was killed: no cleanup
    survivor = store(lock_lifetime=5)

    async def next_turn() -> float:
        started = time.monotonic()
        async with survivor.lock("c1"):
            return time.monotonic() - started

    waited = asyncio.run(next_turn())
    assert 0.3 < waited < 5


def test_a_lock_left_by_dead_replicas_expires_from_redis(
    store: Replica, client: redis.Redis
) -> None:
    store(lock_lifetime=1).issue_ticket("c1")
    assert 0 < client.ttl("test:lock:c1") <= 3


def test_the_production_endpoints_name_this_lock_store(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/rasa/endpoints.yml, read by Rasa as a replica reads it at start-up."""
    from rasa.core.lock_store import LockStore
    from rasa.core.utils import read_endpoints_from_path

    environment = {
        "BALAGH_ACTIONS_URL": "http://service:8000/webhook",
        "BALAGH_ACTIONS_TOKEN": "shared-token",
        "BALAGH_RASA_TRACKER_URL": "mongodb://mongo1,mongo2,mongo3/?replicaSet=rs0",
        "BALAGH_REDIS_HOST": "127.0.0.1",
        "BALAGH_REDIS_PORT": str(server.port),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    endpoints = read_endpoints_from_path(ROOT / "deploy" / "rasa" / "endpoints.yml")
    assert endpoints.action.url == "http://service:8000/webhook"
    # in a header, as the action endpoint requires it (a `token:` would go in the URL)
    assert endpoints.action.headers == {"Authorization": "Bearer shared-token"}
    assert endpoints.action.token is None
    assert endpoints.tracker_store.type == "mongod"
    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, RedisLockStore)
    assert (lock_store.lock_lifetime, lock_store.poll_seconds) == (10, 0.05)
    assert lock_store.issue_ticket("c1") == 0


def test_turns_of_one_conversation_never_overlap_within_and_across_replicas(
    store: Replica, client: redis.Redis
) -> None:
    """Two replicas on one event loop, twenty turns each in flight at once."""
    inside: list[int] = []
    overlaps: list[int] = []

    async def turn(replica: RedisLockStore) -> None:
        async with replica.lock("c1"):
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(len(inside))
            await asyncio.sleep(0.005)
            inside.pop()

    async def busy_moment() -> None:
        replicas = (store(), store())
        await asyncio.gather(*(turn(replicas[n % 2]) for n in range(40)))

    asyncio.run(busy_moment())
    assert overlaps == []
    assert client.keys() == []


def test_rasa_reads_the_lock_as_this_store_keeps_it(store: Replica) -> None:
    replica = store()
    first, second = replica.issue_ticket("c1"), replica.issue_ticket("c1")
    lock = replica.get_lock("c1")  # Rasa's own reading of the stored JSON
    assert lock is not None
    assert (lock.conversation_id, first, second) == ("c1", 0, 1)
    assert lock.now_serving == 0
    assert lock.is_locked(1)
    replica.finish_serving("c1", 0)
    assert not replica.get_lock("c1").is_locked(1)


def test_a_turn_whose_ticket_expired_while_it_waited_is_refused_not_stuck(
    store: Replica,
) -> None:
    store(lock_lifetime=60).issue_ticket("c1")  # a long turn in progress elsewhere
    waiting = store(lock_lifetime=0.3)

    async def next_turn() -> None:
        async with waiting.lock("c1"):
            pass

    with pytest.raises(LockError):  # stuck behind the other turn: TimeoutError
        asyncio.run(asyncio.wait_for(next_turn(), 10))


def test_a_turn_waiting_behind_a_dead_replica_keeps_its_place_past_its_own_lifetime(
    store: Replica,
) -> None:
    """A turn sent again after its replica was killed waits behind the dead ticket, which
    expires a moment before its own would: it is served, not refused."""
    store(lock_lifetime=0.8).issue_ticket("c1")  # killed mid-turn
    waiting = store(lock_lifetime=0.5)

    async def next_turn() -> bool:
        async with waiting.lock("c1"):
            return True

    assert asyncio.run(asyncio.wait_for(next_turn(), 10))
