"""The outbox in the back office: every notification and where its delivery stands.

With the embedded local provider this is where messages "arrive", so staff can see what a
citizen would have received. The list itself is the notifications API's (`message_page`).
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from bot.api.deps import StoreDep
from bot.api.errors import ApiError
from bot.api.notifications import message_page
from bot.digits import strip_number
from bot.notifications.message import MessageFilter
from bot.web.render import PagesDep, render
from bot.web.security import DeskDep

router = APIRouter(prefix="/staff", include_in_schema=False)
PAGE_SIZE = 50


@router.get("/outbox")
async def outbox(
    request: Request,
    pages: PagesDep,
    store: StoreDep,
    user: DeskDep,
    reference: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    filters = MessageFilter(reference=strip_number(reference) or None)
    try:
        page = await message_page(store, filters, PAGE_SIZE, cursor or None)
    except ApiError:
        page = await message_page(store, filters, PAGE_SIZE, None)
    return render(
        request,
        pages,
        "outbox.html",
        user=user,
        messages=page.items,
        reference=reference,
        next_cursor=page.next_cursor,
    )
