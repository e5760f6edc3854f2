"""API keys for other systems (Open311 clients), issued, listed and revoked by admins."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import AdminDep, StoreDep
from bot.api.errors import ApiError
from bot.api_keys import ApiKey, KeyRole, create_api_key, list_api_keys, revoke_api_key

router = APIRouter(prefix="/api/staff/api-keys", tags=["api keys"])


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: KeyRole = "reporter"  # a partner also reads the residents' words and exact points


class ApiKeyView(BaseModel):
    """A key as listed: never its secret or hash."""

    key_id: str
    name: str
    role: KeyRole
    active: bool
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, key: ApiKey) -> "ApiKeyView":
        return cls.model_validate(key.model_dump(include=set(cls.model_fields)))


class IssuedApiKey(ApiKeyView):
    key: str  # shown once: only its hash is kept


@router.post("", status_code=201)
async def issue(body: NewApiKey, store: StoreDep, admin: AdminDep) -> IssuedApiKey:
    """The plain key is in this answer only; clients send it as Open311's `api_key`."""
    plain, key = await create_api_key(store, body.name.strip(), admin.username, body.role)
    return IssuedApiKey(key=plain, **ApiKeyView.of(key).model_dump())


@router.get("")
async def list_keys(store: StoreDep, _: AdminDep) -> list[ApiKeyView]:
    return [ApiKeyView.of(key) for key in await list_api_keys(store)]


@router.delete("/{key_id}", status_code=204)
async def revoke(key_id: Annotated[str, Path(max_length=40)], store: StoreDep, _: AdminDep) -> None:
    """The key stops working at once; it stays listed as inactive."""
    if not await revoke_api_key(store, key_id):
        raise ApiError(404, "not_found", f"no API key '{key_id}'")
