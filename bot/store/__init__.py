"""Store backends, chosen by the URL scheme of `BALAGH_STORE_URL`."""

from pathlib import Path

from bot.store.base import Store


class UnsupportedStoreUrl(ValueError):
    pass


def sqlite_path(url: str) -> Path | None:
    """The file of an embedded store's URL; None for any other URL."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def create_store(url: str, timezone: str = "UTC") -> Store:
    """`sqlite:///relative/path.db`, `sqlite:////absolute/path.db` or `mongodb://…`.

    `timezone` is the municipality's: the KPIs count days and hours in it.
    """
    path = sqlite_path(url)
    if path is not None:
        from bot.store.sqlite import SqliteStore

        return SqliteStore(path, timezone)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from bot.store.mongo import MongoStore

        return MongoStore.from_url(url, timezone)
    raise UnsupportedStoreUrl(
        f"BALAGH_STORE_URL must start with sqlite:/// or mongodb://, got {url.split(':')[0]}:…"
    )
