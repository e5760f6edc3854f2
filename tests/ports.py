"""Free localhost ports for servers started as processes of their own.

Such a server binds its port a moment after the port is chosen. A port from the kernel's
ephemeral range (the one `bind(0)` picks from) can meanwhile become the local end of an
outgoing connection (a Redis client's, a health check's), and the server then fails with
"address already in use": `make bench-scale` did, once in a few runs. Ports are chosen below
that range, where the kernel never places outgoing connections, and checked free by binding.
A port is handed out once per process: two servers given the same port before either bound it
would race for it (a `make bench-scale` run lost a Rasa replica so, to its stand-in for
Twilio's API).

Standard library only: the Rasa environment's tests use it too.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10_000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL_START = 32_768  # where the range starts unless configured otherwise
ATTEMPTS = 200

_choose = random.SystemRandom()  # not the tests' seeded generator: two runs draw apart
_handed_out: set[int] = set()


def ephemeral_start() -> int:
    """The first port the kernel may give an outgoing connection."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return LINUX_EPHEMERAL_START


def free_port() -> int:
    """A localhost port nothing is bound to, outside the range of outgoing connections, not
    handed out before by this process."""
    top = ephemeral_start()
    for _ in range(ATTEMPTS if top > LOWEST else 0):  # else outgoing connections use them all
        port = _choose.randrange(LOWEST, top)
        if port not in _handed_out and _bindable(port):
            _handed_out.add(port)
            return port
    while True:  # any the kernel gives
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
