"""Staff accounts, managed by admins."""

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.api.auth import Me
from bot.api.deps import AdminDep, ServicesDep
from bot.staff import Username
from bot.staff_accounts import create_staff_user
from bot.types import Role

router = APIRouter(prefix="/api/staff/users", tags=["staff"])


class NewStaffUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    password: Annotated[str, Field(min_length=10, max_length=200)]
    team: Annotated[str, Field(max_length=40)] | None = None


@router.post("", status_code=201)
async def create_user(body: NewStaffUser, services: ServicesDep, _: AdminDep) -> Me:
    user = await create_staff_user(
        services.store,
        services.catalogue,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        team=body.team,
    )
    return Me(
        username=user.username, display_name=user.display_name, role=user.role, team=user.team
    )
