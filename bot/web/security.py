"""What keeps the web pages safe: CSRF tokens, the staff session, roles, response headers.

CSRF: a random nonce lives in a `__Host-` cookie (HttpOnly, SameSite=Strict); every form
carries HMAC(secret, nonce + the session's token hash). A forged form from another site
can read neither, and a token stops working when the session changes (sign-in, sign-out).
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.deps import SESSION_COOKIE, AuthDep, SettingsDep
from bot.auth import token_hash
from bot.staff import StaffUser
from bot.types import Role
from bot.words import N_

CSRF_COOKIE = "__Host-balagh_csrf"
CSRF_FIELD = "csrf_token"
DESK = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
FIELD = (Role.FIELD, Role.SUPERVISOR, Role.ADMIN)


class LoginRequired(Exception):
    """A staff page was asked for without a live session."""


class PageForbidden(Exception):
    """A signed-in user whose role may not open this page."""


class CsrfRefused(Exception):
    """A form without the token of this browser and session."""


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: str, nonce: str, session_token: str | None) -> str:
    bound = f"{nonce}|{token_hash(session_token) if session_token else ''}"
    digest = hmac.new(secret.encode(), b"csrf:" + bound.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def set_csrf_cookie(response: Response, nonce: str) -> None:
    response.set_cookie(CSRF_COOKIE, nonce, path="/", secure=True, httponly=True, samesite="strict")


async def require_csrf(request: Request, settings: SettingsDep) -> None:
    """Refuse a form post whose token does not match this browser's nonce and session."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    nonce = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not nonce:
        raise CsrfRefused
    secret = settings.secret_key.get_secret_value()
    expected = csrf_token(secret, nonce, request.cookies.get(SESSION_COOKIE))
    if not hmac.compare_digest(expected, sent):
        raise CsrfRefused


CsrfDep = Annotated[None, Depends(require_csrf)]


async def web_staff(request: Request, auth: AuthDep) -> StaffUser:
    token = request.cookies.get(SESSION_COOKIE)
    user = await auth.resolve(token) if token else None
    if user is None:
        raise LoginRequired
    return user


WebStaffDep = Annotated[StaffUser, Depends(web_staff)]


def web_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, StaffUser]]:
    async def check(user: WebStaffDep) -> StaffUser:
        if user.role not in roles:
            raise PageForbidden
        return user

    return check


DeskDep = Annotated[StaffUser, Depends(web_roles(*DESK))]
ManagerPageDep = Annotated[StaffUser, Depends(web_roles(*MANAGERS))]
FieldDep = Annotated[StaffUser, Depends(web_roles(*FIELD))]
AdminPageDep = Annotated[StaffUser, Depends(web_roles(Role.ADMIN))]


def safe_next(target: str | None, default: str = "/staff") -> str:
    """Only a path on this site: never `//other.site` or `https://other.site`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/staff/login?next={quote(here)}", status_code=303)


def tile_origin(tile_url: str) -> str:
    """The origin map tiles load from, for the Content-Security-Policy (`{s}.` → `*.`)."""
    parts = urlsplit(tile_url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# FastAPI's own documentation pages load Swagger UI / ReDoc from their CDN.
CSP_EXEMPT = ("/docs", "/redoc")


HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Headers every HTML page gets: a strict CSP, no framing, no sniffing, no referrer leaks;
    and in production, HSTS on every answer (browsers then never use plain HTTP here)."""

    def __init__(self, app: ASGIApp, tile_url: str, hsts: bool = False) -> None:
        self.app = app
        self.hsts = [HSTS] if hsts else []
        self.policy = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {tile_origin(tile_url)}; media-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        ).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exempt = scope["path"].startswith(CSP_EXEMPT)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *self.hsts]
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and not exempt:
                    headers += [
                        (b"content-security-policy", self.policy),
                        (b"x-frame-options", b"DENY"),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"same-origin"),
                        (b"cache-control", b"no-store"),
                    ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_web_handlers(app: FastAPI, forbidden: Callable[[Request, str], Response]) -> None:
    """Web failures answer with pages and redirects, not the API's JSON."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(PageForbidden)
    async def page_forbidden(request: Request, _: PageForbidden) -> Response:
        return forbidden(request, N_("error.forbidden"))

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        return forbidden(request, N_("error.csrf"))
