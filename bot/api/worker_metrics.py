"""`balagh worker --metrics-port`: the worker's counters for Prometheus, served in a thread.

The worker answers no other requests, so its counters get their own small HTTP server, under
the rule of the service's /metrics (bot/api/metrics.py): with `BALAGH_METRICS_TOKEN`, only
a scrape carrying it; without, only this machine and only in local use. It listens on
`BALAGH_HOST` (loopback unless a deployment says otherwise), and production refuses to start
it without the token rather than open a port that answers nobody.
"""

import socket
import threading
from collections.abc import Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from bot.api.metrics import may_read
from bot.metrics import process_registry
from bot.settings import Settings, UnsafeSettings


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not logged: one every few seconds, forever."""


def serve_worker_metrics(settings: Settings, port: int) -> WSGIServer:
    """Start serving `/metrics` on `BALAGH_HOST`:`port` (0: any free port) in a daemon thread;
    UnsafeSettings in production without a metrics token."""
    if settings.environment != "local" and not settings.metrics_token:
        raise UnsafeSettings(
            [
                "BALAGH_METRICS_TOKEN must be set to serve the worker's metrics in production "
                "(--metrics-port): Prometheus sends it as a bearer token"
            ]
        )
    counters: WSGIApplication = make_wsgi_app(process_registry())

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        authorization = environ.get("HTTP_AUTHORIZATION")
        if not may_read(settings, authorization, environ.get("REMOTE_ADDR", "")):
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"metrics are for Prometheus only\n"]
        return counters(environ, start_response)

    family, _, _, _, address = socket.getaddrinfo(settings.host, port, type=socket.SOCK_STREAM)[0]
    server_class: type[WSGIServer] = type(
        "MetricsServer", (ThreadingWSGIServer,), {"address_family": family}
    )
    server = make_server(str(address[0]), port, guarded, server_class, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
