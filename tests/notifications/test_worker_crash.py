"""Worker processes sharing the outbox, one killed with SIGKILL mid-batch: nothing lost,
nothing sent twice.

Real processes (`balagh worker`) on one shared SQLite file, sending SMS through
twilio-python to a fake Twilio that counts every message it accepts.
"""

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.complaints import Actor, NewComplaint
from bot.notifications.message import IN_FLIGHT
from bot.store.sqlite import SqliteStore
from tests.e2e.servers import BALAGH
from tests.notifications.conftest import (
    SMS_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    all_messages,
    notifying_service,
)
from tests.notifications.fakes import FakeTwilio
from tests.servers import serve

REPORTS = 30


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float) -> None:
    """Poll the other processes' effects (a shared file, a fake server): no event to await."""
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 - the change happens in another process
            await asyncio.sleep(0.05)


async def start_worker(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("w") as output:
        return await asyncio.create_subprocess_exec(
            str(BALAGH), "worker", env=env, cwd=log.parent, stdout=output, stderr=output
        )


async def queue_reports(database: Path, catalogue, count: int) -> SqliteStore:
    """`count` reports, each queueing an SMS to its citizen; the store stays open."""
    store = SqliteStore(database)
    await store.open()
    service = notifying_service(store, catalogue)
    for n in range(count):
        report = NewComplaint(
            channel="voice",
            language="ar",
            description="عمود انارة طافي",
            district="al_hofuf",
            phone=f"0551234{n:03d}",
            phone_verified=True,  # the caller id
        )
        await service.create(report, Actor("citizen", "citizen"))
    return store


def worker_env(database: Path, twilio_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "BALAGH_STORE_URL": f"sqlite:///{database}",
        "BALAGH_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "BALAGH_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "BALAGH_TWILIO_SMS_FROM": SMS_FROM,
        "BALAGH_TWILIO_API_BASE_URL": twilio_url,
        "BALAGH_NOTIFICATION_LEASE_SECONDS": "2",
        "BALAGH_PROVIDER_TIMEOUT_SECONDS": "1",
        "BALAGH_NOTIFICATION_BATCH": "10",
        "BALAGH_NOTIFICATION_CONCURRENCY": "5",
        "BALAGH_NOTIFICATION_POLL_SECONDS": "0.1",
        "BALAGH_NOTIFICATION_BACKOFF_SECONDS": "0.1",
    }


async def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(tmp_path, catalogue):
    database = tmp_path / "shared.db"
    store = await queue_reports(database, catalogue, REPORTS)
    twilio = FakeTwilio(delay=0.3)  # accepts, then answers a little later

    async def sms_done() -> bool:
        sms = await all_messages(store, channel="sms")
        return all(message.state not in IN_FLIGHT for message in sms)

    async def accepted_some() -> bool:
        return len(twilio.accepted) >= 8

    try:
        async with serve(twilio.app()) as base:
            env = worker_env(database, base)
            first = await start_worker(env, tmp_path / "first.log")
            await wait_until(accepted_some, within=60)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            leased = [m for m in await all_messages(store, channel="sms") if m.state == "sending"]
            assert leased, "the worker was killed between batches, not in one"

            second = await start_worker(env, tmp_path / "second.log")
            try:
                await wait_until(sms_done, within=60)
            finally:
                second.kill()
                await second.wait()
    finally:
        sms = await all_messages(store, channel="sms")
        await store.close()

    counts = twilio.sent_counts()
    assert len(counts) == REPORTS, (tmp_path / "second.log").read_text()
    assert set(counts.values()) == {1}
    assert {m.state for m in sms} == {"queued"}
    assert {m.provider_message_id for m in sms} == {sent["sid"] for sent in twilio.accepted}
    assert any(m.attempts > 1 for m in sms)  # the killed worker's batch was taken again
    assert twilio.list_requests > 0  # accepted but unanswered: found at Twilio, not re-sent


async def test_workers_sharing_the_outbox_send_each_message_once(tmp_path, catalogue):
    """Two workers at once, one of them killed and started again meanwhile."""
    database = tmp_path / "shared.db"
    store = await queue_reports(database, catalogue, 3 * REPORTS)
    twilio = FakeTwilio(delay=0.05)

    async def sms_done() -> bool:
        sms = await all_messages(store, channel="sms")
        return all(message.state not in IN_FLIGHT for message in sms)

    async def accepted_some() -> bool:
        return len(twilio.accepted) >= 20

    workers = []
    try:
        async with serve(twilio.app()) as base:
            env = worker_env(database, base)
            for name in ("a", "b"):
                workers.append(await start_worker(env, tmp_path / f"{name}.log"))
            await wait_until(accepted_some, within=60)
            workers[0].send_signal(signal.SIGKILL)
            await workers[0].wait()
            workers.append(await start_worker(env, tmp_path / "a-again.log"))
            await wait_until(sms_done, within=90)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        sms = await all_messages(store, channel="sms")
        await store.close()

    counts = twilio.sent_counts()
    assert len(counts) == 3 * REPORTS
    assert set(counts.values()) == {1}
    assert {m.state for m in sms} == {"queued"}
    tokens = {m.claim_token for m in sms}
    assert tokens == {None}
    log_b = (tmp_path / "b.log").read_text()
    assert "queued" in log_b  # both workers did part of the work
