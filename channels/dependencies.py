"""What channel routes ask for, as narrow FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from bot.api.deps import ServicesDep
from bot.services import Services
from channels.dialogue import DialogueClient
from channels.inbox import Inbox
from channels.recordings import Recordings


async def get_dialogue(request: Request) -> DialogueClient:
    dialogue: DialogueClient = request.app.state.dialogue
    return dialogue


async def get_inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


def recordings_of(services: Services) -> Recordings:
    return Recordings(services.store, services.attachments, services.http, services.settings)


async def get_recordings(services: ServicesDep) -> Recordings:
    """Built from the services in one dependency: FastAPI spends more solving a dependency
    (for each request) than the getters behind it spend."""
    return recordings_of(services)


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
InboxDep = Annotated[Inbox, Depends(get_inbox)]
RecordingsDep = Annotated[Recordings, Depends(get_recordings)]
