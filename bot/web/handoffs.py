"""Chat hand-offs in the back office: the chat users waiting for an employee, oldest first.

An agent takes one (and then calls or writes to the user); the list shows who took what
for a day. The request's key travels in the form body, never the URL: it holds the phone.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import ServicesDep
from bot.clock import utc_now
from bot.handoffs import list_handoffs, summary_lines, take_handoff
from bot.web.render import page_labels, render
from bot.web.security import CsrfDep, DeskDep

router = APIRouter(prefix="/staff", include_in_schema=False)
OUTCOMES = {"taken": "notice=taken", "already_taken": "error=taken", "not_found": "error=gone"}


@router.get("/handoffs")
async def handoffs(request: Request, services: ServicesDep, user: DeskDep) -> Response:
    listing = await list_handoffs(services.store, utc_now())
    language = page_labels(request, services).language
    return render(
        request,
        services,
        "handoffs.html",
        user=user,
        waiting=listing.waiting,
        taken=listing.taken,
        summaries={
            item.key: summary_lines(item.reason, item.summary, services.catalogue, language)
            for item in (*listing.waiting, *listing.taken)
        },
    )


@router.post("/handoffs/take")
async def take(
    services: ServicesDep,
    user: DeskDep,
    _: CsrfDep,
    key: Annotated[str, Form(max_length=200)],
) -> Response:
    outcome = await take_handoff(services.store, key, user.username, utc_now())
    return RedirectResponse(f"/staff/handoffs?{OUTCOMES[outcome]}", status_code=303)
