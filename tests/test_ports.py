"""Servers started as processes get ports no outgoing connection can take first."""

import socket

import pytest

from tests import ports
from tests.ports import LOWEST, ephemeral_start, free_port


def test_a_free_port_is_below_the_range_outgoing_connections_are_given() -> None:
    ports = {free_port() for _ in range(20)}
    assert all(LOWEST <= port < ephemeral_start() for port in ports)
    assert len(ports) > 1  # drawn, not a fixed port every concurrent run would share


def test_a_free_port_can_be_listened_on() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()


def test_a_port_is_handed_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = free_port()
    monkeypatch.setattr(ports._choose, "randrange", lambda *_: first)  # the same draw again
    assert free_port() != first  # still free (nothing bound it yet), but promised already
