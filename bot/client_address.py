"""Who is asking: the client's address, from `X-Forwarded-For` only when a trusted proxy says so.

Behind a load balancer every connection comes from the balancer, and its `X-Forwarded-For`
header names the client. The header is believed only from `BALAGH_TRUSTED_PROXIES`: read from
the right, the first address that is not a trusted proxy is the client (whatever a client puts
on the left is its own claim). Uvicorn's own proxy-header handling is switched off where the
service starts it, so this middleware alone decides, for HTTP and socket.io alike, and every
limit counted per address (sign-in, tracking, reports, uploads) sees the same client.
"""

import ipaddress
from collections.abc import Sequence

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """The client's address: `peer` itself unless it is a trusted proxy; then the rightmost
    address of `X-Forwarded-For` that is not a trusted proxy."""

    def is_trusted(text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in trusted)

    if not forwarded_for or not is_trusted(peer):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if not is_trusted(hop):
            return hop if _address(hop) is not None else peer
    return peer


class TrustedProxies:
    """Rewrites the ASGI scope's client to the one a trusted proxy forwarded for."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            host, port = scope["client"]
            forwarded = HTTPConnection(scope).headers.get("x-forwarded-for", "")
            client = forwarded_client(host, forwarded, self.networks)
            if client != host:
                scope = {**scope, "client": (client, port)}
        await self.app(scope, receive, send)


def client_address(connection: HTTPConnection) -> str:
    """The address limits are counted by (after TrustedProxies)."""
    return connection.client.host if connection.client else UNKNOWN
