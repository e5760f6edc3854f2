"""The worker: timed jobs that must happen whether or not anyone is looking.

SLA timers (breaches recorded, reminders due) run every interval; the notification
dispatcher delivers the outbox continuously beside them. It keeps no state of its own:
what is due is read from the store on every pass, so a restart loses nothing and two
workers only repeat a no-op.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.complaints import ComplaintService
from bot.notifications.dispatcher import Dispatcher

log = logging.getLogger(__name__)
BATCH = 200


class Worker:
    def __init__(
        self,
        complaints: ComplaintService,
        interval_seconds: float,
        dispatcher: Dispatcher | None = None,
        follow_ups: Sequence[Callable[[], Awaitable[int]]] = (),
    ) -> None:
        """`follow_ups` finish what channels left for later (the phone's recordings and
        voicemails); each returns how much it did."""
        self.complaints = complaints
        self.interval_seconds = interval_seconds
        self.dispatcher = dispatcher
        self.follow_ups = follow_ups
        self.last_pass_at: datetime | None = None

    async def run_once(self) -> int:
        """One pass of the SLA timers and the follow-ups; returns how much it did (complaints
        changed, follow-up jobs finished).

        Breaches first: a complaint found already overdue gets no late reminder.
        """
        store = self.complaints.store
        changed = await _drain(store.sla_breaches, self.complaints.record_sla_breach)
        changed += await _drain(store.sla_reminders, self.complaints.record_sla_reminder)
        for follow_up in self.follow_ups:
            changed += await follow_up()
        self.last_pass_at = utc_now()
        return changed

    async def run_forever(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._timers_forever())
            if self.dispatcher is not None:
                group.create_task(self.dispatcher.run_forever())

    async def _timers_forever(self) -> None:
        while True:
            try:
                changed = await self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying in %ss", self.interval_seconds)
            else:
                if changed:
                    log.info("worker pass: %d SLA reminders, breaches and follow-ups", changed)
            await asyncio.sleep(self.interval_seconds)


async def _drain(
    due: Callable[[datetime, int], Awaitable[list[Complaint]]],
    record: Callable[[str], Awaitable[Complaint]],
) -> int:
    """Record every complaint `due` returns, batch after batch, until none is left."""
    changed = 0
    while True:
        batch = await due(utc_now(), BATCH)
        for complaint in batch:
            await record(complaint.reference)
        changed += len(batch)
        if len(batch) < BATCH:
            return changed


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    """The worker as a background task of the current event loop (embedded mode)."""
    task = asyncio.create_task(worker.run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
