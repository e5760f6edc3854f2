"""A system that is down costs the worker one request per pass, not one per resident."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.clock import utc_now
from bot.transactions.demo_system import FAILING, create_app
from bot.transactions.followup import RECORD_KIND, PendingAnswer
from tests.servers import serve

received: list[str] = []


def counted(app: ASGIApp) -> ASGIApp:
    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            received.append(scope["path"])
        await app(scope, receive, send)

    return counting


@pytest.fixture
async def demo_system() -> AsyncIterator[str]:
    received.clear()
    async with serve(counted(create_app())) as url:
        yield url


async def test_one_failure_per_system_and_pass(services):
    now = utc_now()
    for n in range(3):
        await services.transaction_sms.promise(
            PendingAnswer(
                id=f"conversation-{n}",
                kind="shop_licence",
                number=FAILING,
                proof="0123",
                phone=f"+96655000000{n}",
                language="ar",
                channel="whatsapp",
                asked_at=now - timedelta(minutes=1),
                next_try_at=now,
            )
        )
    assert await services.transaction_sms.run_once() == 0
    assert received == [f"/api/transactions/{FAILING}"]
    owed = await services.store.list_records(RECORD_KIND, PendingAnswer)
    assert sorted(item.attempts for item in owed) == [1, 1, 1]  # all asked again later
