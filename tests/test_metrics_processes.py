"""/metrics across processes: two service replicas and a worker on one host, one
PROMETHEUS_MULTIPROC_DIR. Any replica answers a scrape with every process's counts, and a
replica killed with SIGKILL keeps its counts in the sum."""

import asyncio
import os
import signal

import httpx

from tests.api.test_probes import counted
from tests.e2e.servers import BALAGH, start_service
from tests.notifications.test_worker_crash import queue_reports
from tests.ports import free_port


def metric(scrape: str, name: str, *labels: str) -> float:
    for line in scrape.splitlines():
        if line.startswith(name) and all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_any_replica_reports_every_processs_counts(tmp_path, catalogue):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "BALAGH_EMBEDDED_WORKER": "false"}
    store = await queue_reports(tmp_path / "balagh.db", catalogue, 4)
    queued = (await store.outbox_backlog()).depth
    await store.close()
    replicas = [
        await asyncio.to_thread(start_service, tmp_path, free_port(), env=env, name=f"service{n}")
        for n in (1, 2)
    ]
    worker_env = {
        **os.environ,
        **env,
        "BALAGH_STORE_URL": f"sqlite:///{tmp_path / 'balagh.db'}",
        "BALAGH_NOTIFICATION_POLL_SECONDS": "0.1",
    }
    with (tmp_path / "worker.log").open("w") as log:
        worker = await asyncio.create_subprocess_exec(
            str(BALAGH), "worker", env=worker_env, stdout=log, stderr=log
        )
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            for replica, times in zip(replicas, (3, 5), strict=True):
                for _ in range(times):
                    assert (await http.get(f"{replica.url}/health/live")).status_code == 200

            async def scrape(replica: int) -> str:
                return (await http.get(f"{replicas[replica].url}/metrics")).text

            async with asyncio.timeout(60):
                while "balagh_outbox_depth 0.0" not in await scrape(0):  # noqa: ASYNC110
                    await asyncio.sleep(0.2)  # the worker, another process, sends them
            seen_by_first, seen_by_second = await scrape(0), await scrape(1)
            # the start-up checks also asked for /health/live: count from what both report
            for seen in (seen_by_first, seen_by_second):
                assert counted(seen, "/health/live", "2xx") >= 8
                sent = 'balagh_notifications_total{outcome="sent",provider="local"}'
                assert metric(seen, sent) == queued  # counted in the worker's process
            assert counted(seen_by_first, "/health/live", "2xx") == counted(
                seen_by_second, "/health/live", "2xx"
            )
            before = counted(seen_by_first, "/health/live", "2xx")

            replicas[1].process.send_signal(signal.SIGKILL)
            replicas[1].process.wait()
            after = await scrape(0)
            assert counted(after, "/health/live", "2xx") == before
    finally:
        worker.kill()
        await worker.wait()
        for replica in replicas:
            replica.stop()
