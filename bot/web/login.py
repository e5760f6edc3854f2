"""Staff sign-in and sign-out pages; attempts are limited as in bot/signin.py."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.auth import set_session_cookie
from bot.api.deps import SESSION_COOKIE, AuthDep, SettingsDep, StoreDep
from bot.client_address import client_address
from bot.signin import SignInLimited, sign_in
from bot.types import Role
from bot.web.render import PagesDep, render
from bot.web.security import CsrfDep, WebStaffDep, safe_next
from bot.words import N_

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/login")
async def login_page(request: Request, pages: PagesDep, next: str = "/staff") -> Response:
    return render(request, pages, "login.html", next=safe_next(next), failure=None)


@router.post("/login")
async def login(
    request: Request,
    pages: PagesDep,
    store: StoreDep,
    auth: AuthDep,
    settings: SettingsDep,
    _: CsrfDep,
    username: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/staff",
) -> Response:
    try:
        issued = await sign_in(store, auth, settings, username, password, client_address(request))
    except SignInLimited as limited:
        page = render(
            request,
            pages,
            "login.html",
            status_code=429,
            next=next,
            failure=N_("login.limited"),
        )
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    if issued is None:
        return render(
            request, pages, "login.html", status_code=401, next=next, failure=N_("login.failed")
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, issued.token, settings.session_absolute_hours)
    return response


@router.post("/logout")
async def logout(request: Request, auth: AuthDep, _: CsrfDep) -> Response:
    """The session is deleted server-side: a copied cookie opens nothing afterwards."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await auth.logout(token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.get("")
async def home(user: WebStaffDep) -> Response:
    """Each role starts where its work is."""
    target = "/staff/tasks" if user.role == Role.FIELD else "/staff/queue"
    return RedirectResponse(target, status_code=303)
