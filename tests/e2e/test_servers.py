"""Starting a server for the end-to-end runs and benchmarks: started means the server that was
started answers, not whatever else holds its port."""

import sys

import pytest
from starlette.applications import Starlette

from tests.e2e.servers import _start
from tests.servers import serve_in_a_thread

# what a server does that cannot bind its port: it fails after a moment (Rasa loads its
# model first)
FAILS_TO_BIND = "import time; time.sleep(1.5); raise SystemExit('address already in use')"


def test_a_server_whose_port_another_holds_does_not_start(tmp_path) -> None:
    with (
        serve_in_a_thread(Starlette()) as other,  # answers 404 to everything
        pytest.raises(RuntimeError, match="address already in use"),
    ):
        _start("rasa", [sys.executable, "-c", FAILS_TO_BIND], {}, other, "/status", tmp_path, 30)
