"""Copies of the embedded store, taken and put back while it is in use (`balagh backup/restore`).

SQLite's online backup API copies a live database as one consistent moment while writers go
on (with WAL they are not even paused). A copy is written beside its target under a
temporary name, checked (`PRAGMA integrity_check`, and it must be a Balagh store of a schema
this code knows), then renamed into place: a failed backup leaves no half file behind.

A restore checks the backup the same way first, then copies it into the store with the same
API, which commits it as one transaction: every connection of every process sees either the
store as it was or the restored one, never a mix. What was written after the backup is gone;
stop the service and workers first unless that is the point.
"""

import sqlite3
from pathlib import Path

from bot.store.sqlite import BUSY_TIMEOUT_MS, MIGRATIONS

PAGES_PER_STEP = 1024  # writers may commit between steps


class BackupError(Exception):
    """A copy that is not a sound Balagh store; nothing was replaced."""


def check(path: Path) -> int:
    """Raise BackupError unless `path` is an intact Balagh store; its number of complaints."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path}: damaged: {'; '.join(problems[:5])}")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if not 1 <= version <= len(MIGRATIONS):
                raise BackupError(f"{path}: not a Balagh store this version knows ({version})")
            return int(db.execute("SELECT COUNT(*) FROM complaints").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a SQLite database: {exc}") from None


def _copy(source: Path, target: Path) -> None:
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        reader.backup(writer, pages=PAGES_PER_STEP)
    finally:
        reader.close()
        writer.close()


def backup(store: Path, target: Path) -> int:
    """Copy the live store to `target`; the number of complaints in the copy."""
    check(store)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(store, partial)
        complaints = check(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return complaints


def restore(copy: Path, store: Path) -> int:
    """Replace the store's content with the checked `copy`; the number of complaints."""
    complaints = check(copy)
    _copy(copy, store)
    return complaints
