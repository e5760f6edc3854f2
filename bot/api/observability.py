"""Every HTTP request gets a request id (logged, answered in `X-Request-ID`) and is timed.

The id comes from the load balancer when it sends one (deploy/haproxy.cfg sets it), else it
is made here. The time goes to `balagh_http_request_duration_seconds` under the route's
template (`/api/complaints/{reference}`, never the reference itself), so the webhooks'
latency is there by route; mounted applications (socket.io's long polls, static files) are
not timed.
"""

import time

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.logs import REQUEST_ID_HEADER, new_request_id, request_id, valid_request_id
from bot.metrics import HTTP_SECONDS

_HEADER = REQUEST_ID_HEADER.lower().encode()


class RequestObservation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(_HEADER, b"").decode("latin-1")
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = current
            await send(message)

        started = time.perf_counter()
        with request_id(valid_request_id(given) or new_request_id()) as current:
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                if route is not None and not isinstance(route, Mount):
                    HTTP_SECONDS.labels(
                        getattr(route, "path", "?"), scope["method"], f"{status // 100}xx"
                    ).observe(time.perf_counter() - started)
