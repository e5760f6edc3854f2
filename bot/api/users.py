"""Staff accounts, managed by admins."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from bot.api.auth import Me
from bot.api.deps import AdminDep, CatalogueDep, StaffContactsDep, StoreDep
from bot.api.errors import ApiError
from bot.staff import StaffUser, Username
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
    contacts: dict[str, str]  # by the notification providers' contact field keys
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


class ContactBody(BaseModel):
    """Each registered provider's contact field by its key (`{"phone": "05…",
    "telegram_chat_id": "…"}`), checked and normalised by its provider; null or "" clears
    it, and one left out is cleared too. A field at the top level, as clients wrote it before
    `contacts`, counts as one of them."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | None]

    contacts: dict[str, str | None] = {}
    language: Language = "ar"

    def given(self) -> dict[str, str | None]:
        return {**(self.model_extra or {}), **self.contacts}


@router.put("/{username}/contact")
async def set_contact(
    username: Annotated[str, Path(max_length=40)],
    body: ContactBody,
    store: StoreDep,
    fields: StaffContactsDep,
    _: AdminDep,
) -> StaffAccount:
    """Where the account's notifications go, and in which language; a bad address is 422
    `invalid_contact` naming its field, and changes nothing."""
    try:
        contact = fields.contact(body.given(), body.language)
        user = await set_staff_contact(store, username, contact)
    except UnknownStaffUser:
        raise ApiError(404, "not_found", f"no staff account '{username}'") from None
    return StaffAccount.of(user)
