"""Staff sign-in and sign-out pages, with attempts limited per username and per address."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.auth import set_session_cookie
from bot.api.deps import SESSION_COOKIE, ServicesDep
from bot.ratelimit import Limit, RateLimiter
from bot.services import Services
from bot.types import Role
from bot.web.render import render
from bot.web.security import CsrfDep, WebStaffDep, safe_next
from bot.words import N_

router = APIRouter(prefix="/staff", include_in_schema=False)
LOGIN_WINDOW = timedelta(minutes=15)


def login_limits(services: Services) -> tuple[Limit, Limit]:
    settings = services.settings
    return (
        Limit("login-user", settings.login_attempts_per_user, LOGIN_WINDOW),
        Limit("login-ip", settings.login_attempts_per_ip, LOGIN_WINDOW),
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
async def login_page(request: Request, services: ServicesDep, next: str = "/staff") -> Response:
    return render(request, services, "login.html", next=safe_next(next), failure=None)


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    _: CsrfDep,
    username: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/staff",
) -> Response:
    username = username.strip().lower()
    per_user, per_ip = login_limits(services)
    limiter = RateLimiter(services.store)
    keys = ((per_user, username), (per_ip, client_address(request)))
    for limit, key in keys:
        if await limiter.blocked(limit, key):
            return render(
                request,
                services,
                "login.html",
                status_code=429,
                next=next,
                failure=N_("login.limited"),
            )
    issued = await services.auth.login(username, password)
    if issued is None:
        for limit, key in keys:
            await limiter.failed(limit, key)
        return render(
            request, services, "login.html", status_code=401, next=next, failure=N_("login.failed")
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, issued.token, services.settings.session_absolute_hours)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, _: CsrfDep) -> Response:
    """The session is deleted server-side: a copied cookie opens nothing afterwards."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await services.auth.logout(token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.get("")
async def home(user: WebStaffDep) -> Response:
    """Each role starts where its work is."""
    target = "/staff/tasks" if user.role == Role.FIELD else "/staff/queue"
    return RedirectResponse(target, status_code=303)
