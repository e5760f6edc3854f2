"""FastAPI dependencies as `Annotated` aliases: services, the language, the signed-in staff."""

from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from bot.api.errors import ApiError, request_language
from bot.attachments import AttachmentStorage
from bot.auth import Authenticator
from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.complaints import Actor, ComplaintService
from bot.notifications.providers.contact import StaffContacts
from bot.services import Services
from bot.settings import Settings
from bot.staff import StaffUser
from bot.store.base import Store
from bot.types import Language, Role
from bot.worker import Worker

SESSION_COOKIE = "__Host-balagh_session"
_bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    # Dependencies are `async def` although they never wait: FastAPI runs a plain `def`
    # dependency in a worker thread, a hop there and back on every request.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


# Narrow dependencies: a handler asks for what it uses.
async def get_store(services: ServicesDep) -> Store:
    return services.store


async def get_settings(services: ServicesDep) -> Settings:
    return services.settings


async def get_catalogue(services: ServicesDep) -> Catalogue:
    return services.catalogue


async def get_complaints(services: ServicesDep) -> ComplaintService:
    return services.complaints


async def get_attachments(services: ServicesDep) -> AttachmentStorage:
    return services.attachments


async def get_auth(services: ServicesDep) -> Authenticator:
    return services.auth


async def get_channels(services: ServicesDep) -> ChannelDirectory:
    return services.channels


async def get_worker(services: ServicesDep) -> Worker:
    return services.worker


async def get_http(services: ServicesDep) -> httpx.AsyncClient:
    return services.http


async def get_staff_contacts(services: ServicesDep) -> StaffContacts:
    return services.staff_contacts


async def get_provider_labels(services: ServicesDep) -> Mapping[str, str]:
    return services.provider_labels


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
ComplaintsDep = Annotated[ComplaintService, Depends(get_complaints)]
AttachmentsDep = Annotated[AttachmentStorage, Depends(get_attachments)]
AuthDep = Annotated[Authenticator, Depends(get_auth)]
ChannelsDep = Annotated[ChannelDirectory, Depends(get_channels)]
WorkerDep = Annotated[Worker, Depends(get_worker)]
HttpDep = Annotated[httpx.AsyncClient, Depends(get_http)]
StaffContactsDep = Annotated[StaffContacts, Depends(get_staff_contacts)]
ProviderLabelsDep = Annotated[Mapping[str, str], Depends(get_provider_labels)]


async def get_language(request: Request) -> Language:
    return request_language(request)


LanguageDep = Annotated[Language, Depends(get_language)]


def session_token(request: Request) -> str | None:
    """The staff session a request carries: a bearer token, else the session cookie."""
    scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
    return credentials if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE)


async def get_staff(
    request: Request,
    auth: AuthDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    token = bearer.credentials if bearer else request.cookies.get(SESSION_COOKIE)
    user = await auth.resolve(token) if token else None
    if user is None:
        raise ApiError(401, "unauthenticated", "sign in to continue")
    return user


StaffDep = Annotated[StaffUser, Depends(get_staff)]


def actor_of(user: StaffUser) -> Actor:
    return Actor(user.username, user.role, user.team)


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, StaffUser]]:
    """A dependency that lets only the given roles through (403 for the others)."""

    async def check(user: StaffDep) -> StaffUser:
        if user.role not in roles:
            raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)}")
        return user

    return check


DeskStaffDep = Annotated[StaffUser, Depends(require_roles(Role.AGENT, Role.SUPERVISOR, Role.ADMIN))]
ManagerDep = Annotated[StaffUser, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]
AdminDep = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
