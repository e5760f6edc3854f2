"""One process of tests/store/test_sqlite_processes.py: reports complaints and adds notes
to one shared complaint, on a SQLite file other processes write at the same time. Prints
`reference <ref>` per complaint and `noted <k>` per note acknowledged (`refused <k>` when the
store answered a version conflict after its retries: a refusal, said as such).

    python -m tests.store.sqlite_process DATABASE SHARED_REFERENCE NAME COUNT
"""

import asyncio
import sys
from pathlib import Path

from bot.catalogue import load_catalogue
from bot.complaints import Actor, ComplaintService, NewComplaint
from bot.settings import ROOT
from bot.store.base import VersionConflict
from bot.store.sqlite import SqliteStore
from bot.types import Role
from tests.conftest import RULES


async def main(database: Path, shared: str, name: str, count: int) -> None:
    store = SqliteStore(database)
    await store.open()
    try:
        complaints = ComplaintService(store, load_catalogue(ROOT / "catalogue.yml"), rules=RULES)
        for n in range(count):
            report = NewComplaint(
                channel="api",
                language="en",
                description=f"street light out, report {n} of {name}",
                district="al_hofuf",
            )
            created = await complaints.create(report, Actor("citizen", "citizen"))
            print("reference", created.complaint.reference, flush=True)
            try:
                await complaints.add_note(shared, Actor(name, Role.AGENT), f"{name} note {n}")
            except VersionConflict:
                print("refused", n, flush=True)
            else:
                print("noted", n, flush=True)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])))
