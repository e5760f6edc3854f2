"""Creating staff accounts, shared by the CLI and the admin API."""

from bot.auth import hash_password
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaints import UnknownCode
from bot.staff import StaffUser
from bot.store.base import Store
from bot.types import Role


async def create_staff_user(
    store: Store,
    catalogue: Catalogue,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    team: str | None = None,
) -> StaffUser:
    """A new active account; field staff must belong to a catalogue team."""
    if role == Role.FIELD and team is None:
        raise UnknownCode("field staff need a team")
    if team is not None and team not in catalogue.teams:
        raise UnknownCode(f"unknown team '{team}'")
    user = StaffUser(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        team=team,
        created_at=utc_now(),
    )
    await store.insert_user(user)
    return user
