"""`balagh backup` and `balagh restore` on the embedded store, as an operator runs them."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from bot.store.sqlite import SqliteStore
from tests.store.test_contract import make_complaint

runner = CliRunner()


def use_store(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BALAGH_STORE_URL", url)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fresh_settings():
    yield
    get_settings.cache_clear()


def complaints_in(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0])


async def fill(path: Path, first: int, count: int) -> None:
    store = SqliteStore(path)
    await store.open()
    try:
        for sequence in range(first, first + count):
            await store.insert_complaint(make_complaint(sequence))
    finally:
        await store.close()


def test_a_backup_taken_while_writes_go_on_is_whole_and_restores(tmp_path, monkeypatch):
    live = tmp_path / "balagh.db"
    asyncio.run(fill(live, 1, 50))
    use_store(monkeypatch, f"sqlite:///{live}")
    writer = threading.Thread(target=asyncio.run, args=(fill(live, 51, 300),))
    writer.start()
    try:
        result = runner.invoke(app, ["backup", str(tmp_path / "copy.db")])
    finally:
        writer.join()
    assert result.exit_code == 0, result.output
    copied = complaints_in(tmp_path / "copy.db")
    assert 50 <= copied <= 350
    assert f"backed up {copied} complaints" in result.output
    assert complaints_in(live) == 350

    result = runner.invoke(app, ["restore", str(tmp_path / "copy.db"), "--yes"])
    assert result.exit_code == 0, result.output
    assert complaints_in(live) == copied
    asyncio.run(fill(live, 1000, 1))  # the restored store is in use again at once
    assert complaints_in(live) == copied + 1


def test_a_copy_that_is_not_a_sound_store_is_refused_and_changes_nothing(tmp_path, monkeypatch):
    live = tmp_path / "balagh.db"
    asyncio.run(fill(live, 1, 3))
    use_store(monkeypatch, f"sqlite:///{live}")
    (tmp_path / "notes.db").write_bytes(b"shopping list" * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    for copy in ("notes.db", "other.db", "missing.db"):
        result = runner.invoke(app, ["restore", str(tmp_path / copy), "--yes"])
        assert result.exit_code == 1
        assert "not restored, the store is unchanged" in result.output
    assert complaints_in(live) == 3


def test_mongodb_is_backed_up_with_its_own_tools(monkeypatch, tmp_path):
    use_store(monkeypatch, "mongodb://db.example/balagh")
    result = runner.invoke(app, ["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 1
    assert "mongodump" in result.output
    assert not (tmp_path / "copy.db").exists()
