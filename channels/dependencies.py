"""What channel routes ask for, as narrow FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from bot.api.deps import ServicesDep
from channels.dialogue import DialogueClient
from channels.recordings import Recordings


async def get_dialogue(request: Request) -> DialogueClient:
    dialogue: DialogueClient = request.app.state.dialogue
    return dialogue


async def get_recordings(services: ServicesDep) -> Recordings:
    return Recordings(services.store, services.attachments, services.http, services.settings)


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
RecordingsDep = Annotated[Recordings, Depends(get_recordings)]
