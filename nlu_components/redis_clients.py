"""An asyncio twin of the blocking Redis client Rasa builds for a store.

Rasa's Redis stores connect with the synchronous client, made from the endpoint's settings.
The stores here talk to Redis from the replica's event loop instead, to the same server and
database with the same credentials, timeout and TLS settings: they are read off Rasa's client
rather than parsed from the settings a second time.
"""

from __future__ import annotations

import redis
import redis.asyncio

_SETTINGS = ("host", "port", "db", "username", "password", "socket_timeout", "decode_responses")
_TLS_SETTINGS = (
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_check_hostname",
)


def asyncio_twin(client: redis.Redis) -> redis.asyncio.Redis:
    """A client on the event loop it is first used in, connecting as `client` does."""
    pool = client.connection_pool
    tls = issubclass(pool.connection_class, redis.SSLConnection)
    names = _SETTINGS + (_TLS_SETTINGS if tls else ())
    settings = {
        name: pool.connection_kwargs[name] for name in names if name in pool.connection_kwargs
    }
    connection_class = redis.asyncio.SSLConnection if tls else redis.asyncio.Connection
    return redis.asyncio.Redis(
        connection_pool=redis.asyncio.ConnectionPool(connection_class=connection_class, **settings)
    )
