"""Where an outbound webhook may go: in production, only to public internet addresses.

Loopback, private, link-local, shared, reserved and multicast addresses (the service's own
network, a cloud's metadata endpoint at 169.254.169.254) are refused unless
`BALAGH_WEBHOOK_ALLOWED_NETWORKS` names them. The host is resolved when each delivery is made,
every address it resolves to must pass, and the request goes to the address that was checked
(the Host header and the TLS server name stay the subscription's host), so a DNS answer that
changes between the check and the connection cannot send the delivery elsewhere. Redirects
are never followed. In local use nothing is refused: receivers run on this machine.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(ValueError):
    """A webhook URL that leads somewhere deliveries must not go."""


@dataclass(frozen=True)
class Target:
    """How to make one delivery: the URL to request and what keeps the host's name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def _unwrapped(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


@dataclass(frozen=True)
class WebhookTargets:
    guarded: bool  # production: refuse every address that is not on the public internet
    allowed: Sequence[Network] = ()

    def check(self, address: Address) -> None:
        if any(address in network for network in self.allowed):
            return
        plain = _unwrapped(address)
        if not plain.is_global or plain.is_multicast:
            raise TargetRefused(f"refused: webhook address {address} is not a public one")

    def check_url(self, url: str) -> None:
        """At subscription: a URL naming a non-public address or localhost is refused."""
        if not self.guarded:
            return
        host = (urlsplit(url).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetRefused("refused: webhooks cannot go to localhost")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return  # a name: checked again at every delivery, once resolved
        self.check(address)

    async def target(self, url: str) -> Target:
        """Resolve and check the URL's host now; the Target connects to what was checked."""
        if not self.guarded:
            return Target(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise TargetRefused(f"refused: {host} does not resolve ({exc})") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
        if not addresses:
            raise TargetRefused(f"refused: {host} does not resolve")
        for address in addresses:
            self.check(address)
        chosen = addresses[0]
        literal = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        host_header = f"{host}:{parts.port}" if parts.port else host
        return Target(
            urlunsplit(parts._replace(netloc=netloc)),
            headers={"Host": host_header},
            extensions={"sni_hostname": host} if parts.scheme == "https" else {},
        )


def webhook_targets(settings: Settings) -> WebhookTargets:
    """Guarded in production, with the configured allow-list."""
    return WebhookTargets(
        guarded=settings.environment == "production", allowed=settings.webhook_allowed_networks
    )
