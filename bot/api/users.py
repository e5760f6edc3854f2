"""Staff accounts, managed by admins."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from bot.api.auth import Me
from bot.api.deps import AdminDep, CatalogueDep, StoreDep
from bot.api.errors import ApiError
from bot.staff import StaffContact, StaffUser, Username
from bot.staff_accounts import UnknownStaffUser, create_staff_user, set_staff_contact
from bot.types import Language, Role

router = APIRouter(prefix="/api/staff/users", tags=["staff"])


class NewStaffUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    password: Annotated[str, Field(min_length=10, max_length=200)]
    team: Annotated[str, Field(max_length=40)] | None = None


class StaffAccount(Me):
    """An account as admins see it, with where its notifications go."""

    active: bool
    phone: str | None
    telegram_chat_id: str | None
    language: Language

    @classmethod
    def of(cls, user: StaffUser) -> "StaffAccount":
        return cls.model_validate(user.model_dump(include=set(cls.model_fields)))


@router.post("", status_code=201)
async def create_user(
    body: NewStaffUser, store: StoreDep, catalogue: CatalogueDep, _: AdminDep
) -> Me:
    user = await create_staff_user(
        store,
        catalogue,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        team=body.team,
    )
    return Me(
        username=user.username, display_name=user.display_name, role=user.role, team=user.team
    )


@router.put("/{username}/contact")
async def set_contact(
    username: Annotated[str, Path(max_length=40)],
    body: StaffContact,
    store: StoreDep,
    _: AdminDep,
) -> StaffAccount:
    """Phone (any digits, local or E.164), Telegram chat id and language of notifications;
    null clears a way of reaching the account."""
    try:
        user = await set_staff_contact(store, username, body)
    except UnknownStaffUser:
        raise ApiError(404, "not_found", f"no staff account '{username}'") from None
    return StaffAccount.of(user)
