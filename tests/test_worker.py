"""The worker records SLA breaches once, whatever happens around it."""

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from bot.clock import utc_now
from bot.complaints import Actor, ComplaintService, NewComplaint
from bot.types import Role, Status
from bot.worker import Worker
from tests.conftest import RULES

CITIZEN = Actor("citizen", "citizen")


@pytest.fixture
async def service(store, catalogue):
    return ComplaintService(store, catalogue, rules=RULES)


async def overdue_complaint(service, hours_late=1):
    complaint = (
        await service.create(
            NewComplaint(
                channel="webchat",
                language="en",
                description="street light out",
                district="al_hofuf",
            ),
            CITIZEN,
        )
    ).complaint
    late = complaint.model_copy(
        update={
            "sla_due_at": utc_now() - timedelta(hours=hours_late),
            "version": complaint.version + 1,
        }
    )
    await service.store.replace_complaint(late, expected_version=complaint.version)
    return late


async def test_a_pass_records_each_breach_once(service):
    late = await overdue_complaint(service)
    worker = Worker(service, interval_seconds=30)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    stored = await service.store.get_complaint(late.reference)
    breaches = [entry for entry in stored.history if entry.field == "sla"]
    assert len(breaches) == 1
    assert breaches[0].internal
    assert stored.sla_breached_at is not None
    assert worker.last_pass_at is not None


async def test_a_second_worker_after_a_restart_repeats_nothing(service):
    await overdue_complaint(service)
    assert await Worker(service, 30).run_once() == 1
    assert await Worker(service, 30).run_once() == 0


async def test_resolved_complaints_are_not_breached(service):
    late = await overdue_complaint(service)
    supervisor = Actor("noura", Role.SUPERVISOR)
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        await service.change_status(late.reference, status, supervisor, "done")
    assert await Worker(service, 30).run_once() == 0


async def test_more_breaches_than_one_batch_are_all_recorded(service, monkeypatch):
    monkeypatch.setattr("bot.worker.BATCH", 2)
    for _ in range(5):
        await overdue_complaint(service)
    assert await Worker(service, 30).run_once() == 5


async def test_two_workers_recording_one_breach_at_once_count_it_once(service):
    late = await overdue_complaint(service)
    before = REGISTRY.get_sample_value("balagh_sla_breaches_total") or 0.0
    await asyncio.gather(*(service.record_sla_breach(late.reference) for _ in range(3)))
    assert REGISTRY.get_sample_value("balagh_sla_breaches_total") == before + 1
