"""Creating staff accounts and setting where they are notified, shared by the CLI, the admin
pages, the admin API and the demo data."""

from bot.auth import hash_password
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaints import UnknownCode
from bot.staff import StaffContact, StaffUser
from bot.store.base import Store
from bot.types import Role


class UnknownStaffUser(LookupError):
    """No staff account has that username."""


async def create_staff_user(
    store: Store,
    catalogue: Catalogue,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    team: str | None = None,
    contact: StaffContact | None = None,
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
        **(contact or StaffContact()).model_dump(),
    )
    await store.insert_user(user)
    return user


async def set_staff_contact(store: Store, username: str, contact: StaffContact) -> StaffUser:
    """Replace an account's contacts and language (the checked `contact`: an address left
    out is cleared)."""
    user = await store.get_user(username)
    if user is None:
        raise UnknownStaffUser(username)
    changed = user.model_copy(update=contact.model_dump())
    await store.replace_user(changed)
    return changed


async def set_staff_password(store: Store, username: str, password: str) -> StaffUser:
    """Replace an account's password (the rule of `hash_password` applies) and end the
    account's sessions: whoever had the old password is signed out everywhere."""
    user = await store.get_user(username)
    if user is None:
        raise UnknownStaffUser(username)
    update = {"password_hash": hash_password(password), "password_set_at": utc_now()}
    changed = user.model_copy(update=update)
    await store.replace_user(changed)
    return changed
