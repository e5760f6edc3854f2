"""An in-memory stand-in for the slice of `pymongo.AsyncMongoClient` that MongoStore uses.

Each call is delegated to mongomock, so query operators, unique indexes
(`DuplicateKeyError`), `$inc` and aggregation stages behave as the server's do; this
module only gives them PyMongo's async shape (awaitable calls, `await aggregate()`,
cursors with `to_list`).
"""

from typing import Any

import mongomock


class AsyncCommandCursorDouble:
    """`await aggregate()` result: read with `to_list` or `async for`."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        documents = list(self._cursor)
        return documents if length is None else documents[:length]

    async def __aiter__(self):
        for document in self._cursor:
            yield document


class AsyncCursorDouble(AsyncCommandCursorDouble):
    """`find()` result: also chainable like `AsyncCursor`."""

    def sort(self, key_or_list: Any, direction: Any = None) -> "AsyncCursorDouble":
        self._cursor = self._cursor.sort(key_or_list, direction)
        return self

    def skip(self, count: int) -> "AsyncCursorDouble":
        self._cursor = self._cursor.skip(count)
        return self

    def limit(self, count: int) -> "AsyncCursorDouble":
        self._cursor = self._cursor.limit(count)
        return self


class AsyncCollectionDouble:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    async def insert_one(self, document, **kwargs):
        return self._collection.insert_one(document, **kwargs)

    async def insert_many(self, documents, **kwargs):
        return self._collection.insert_many(documents, **kwargs)

    async def find_one(self, *args, **kwargs):
        return self._collection.find_one(*args, **kwargs)

    def find(self, *args, **kwargs) -> AsyncCursorDouble:
        return AsyncCursorDouble(self._collection.find(*args, **kwargs))

    async def count_documents(self, *args, **kwargs):
        return self._collection.count_documents(*args, **kwargs)

    async def find_one_and_update(self, *args, **kwargs):
        return self._collection.find_one_and_update(*args, **kwargs)

    async def replace_one(self, *args, **kwargs):
        return self._collection.replace_one(*args, **kwargs)

    async def update_one(self, *args, **kwargs):
        return self._collection.update_one(*args, **kwargs)

    async def delete_one(self, *args, **kwargs):
        return self._collection.delete_one(*args, **kwargs)

    async def create_index(self, keys, **kwargs):
        return self._collection.create_index(keys, **kwargs)

    async def aggregate(self, pipeline, **kwargs) -> AsyncCommandCursorDouble:
        return AsyncCommandCursorDouble(self._collection.aggregate(pipeline, **kwargs))


class AsyncDatabaseDouble:
    def __init__(self, database: Any) -> None:
        self._database = database

    def __getitem__(self, name: str) -> AsyncCollectionDouble:
        return AsyncCollectionDouble(self._database[name])

    async def command(self, command: str, **kwargs):
        return self._database.command(command, **kwargs)


class AsyncMongoClientDouble:
    """Timezone-aware like the client `MongoStore.from_url` builds (`tz_aware=True`)."""

    def __init__(self) -> None:
        self._client: Any = mongomock.MongoClient(tz_aware=True)
        self.admin = AsyncDatabaseDouble(self._client.admin)

    def __getitem__(self, name: str) -> AsyncDatabaseDouble:
        return AsyncDatabaseDouble(self._client[name])

    async def close(self) -> None:
        self._client.close()
