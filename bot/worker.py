"""The worker: timed jobs that must happen whether or not anyone is looking.

Today it records SLA breaches. It keeps no state of its own: what is due is read from
the store on every pass, so a restart loses nothing and two workers only repeat a no-op.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from bot.clock import utc_now
from bot.complaints import ComplaintService

log = logging.getLogger(__name__)
BATCH = 200


class Worker:
    def __init__(self, complaints: ComplaintService, interval_seconds: float) -> None:
        self.complaints = complaints
        self.interval_seconds = interval_seconds
        self.last_pass_at: datetime | None = None

    async def run_once(self) -> int:
        """One pass over everything due now; returns how many complaints it changed."""
        changed = 0
        while True:
            due = await self.complaints.store.sla_breaches(utc_now(), BATCH)
            for complaint in due:
                await self.complaints.record_sla_breach(complaint.reference)
            changed += len(due)
            if len(due) < BATCH:
                break
        self.last_pass_at = utc_now()
        return changed

    async def run_forever(self) -> None:
        while True:
            try:
                breached = await self.run_once()
            except Exception:
                log.exception("worker pass failed; retrying in %ss", self.interval_seconds)
            else:
                if breached:
                    log.info("recorded %d SLA breaches", breached)
            await asyncio.sleep(self.interval_seconds)


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
