"""Sign in and out; the session travels as a `__Host-` cookie or a bearer token."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import (
    SESSION_COOKIE,
    AuthDep,
    LanguageDep,
    SettingsDep,
    StaffDep,
    StoreDep,
    session_token,
)
from bot.api.errors import ApiError, TooManyRequests
from bot.client_address import client_address
from bot.signin import SignInLimited, sign_in
from bot.types import Role

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=40)]
    password: Annotated[str, Field(min_length=1, max_length=200)]


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    team: str | None


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: Me


def set_session_cookie(response: Response, token: str, absolute_hours: int) -> None:
    """`__Host-`: Secure, whole site, no Domain; HttpOnly keeps it from scripts."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=absolute_hours * 3600,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )


@router.post("/login")
async def login(
    body: LoginRequest,
    request: Request,
    auth: AuthDep,
    settings: SettingsDep,
    store: StoreDep,
    language: LanguageDep,
    response: Response,
) -> LoginResponse:
    """Attempts are limited per username and per address, as on the sign-in page (429)."""
    try:
        issued = await sign_in(
            store, auth, settings, body.username, body.password, client_address(request)
        )
    except SignInLimited as limited:
        raise TooManyRequests("too_many_attempts", language, limited.retry_after) from None
    if issued is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    set_session_cookie(response, issued.token, settings.session_absolute_hours)
    user = issued.user
    return LoginResponse(
        token=issued.token,
        expires_at=issued.session.expires_at,
        user=Me(
            username=user.username, display_name=user.display_name, role=user.role, team=user.team
        ),
    )


@router.post("/logout", status_code=204)
async def logout(request: Request, auth: AuthDep, response: Response) -> None:
    """Ends the session server-side: the token is useless afterwards, wherever it was copied."""
    token = session_token(request)
    if token:
        await auth.logout(token)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)


@router.get("/me")
async def me(user: StaffDep) -> Me:
    return Me(
        username=user.username, display_name=user.display_name, role=user.role, team=user.team
    )
