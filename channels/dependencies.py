"""What channel routes ask for, as narrow FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from bot.api.deps import AttachmentsDep, HttpDep, SettingsDep, StoreDep
from channels.dialogue import DialogueClient
from channels.inbox import Inbox
from channels.recordings import Recordings


async def get_dialogue(request: Request) -> DialogueClient:
    dialogue: DialogueClient = request.app.state.dialogue
    return dialogue


async def get_inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox


async def get_recordings(
    store: StoreDep, attachments: AttachmentsDep, http: HttpDep, settings: SettingsDep
) -> Recordings:
    return Recordings(store, attachments, http, settings)


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
InboxDep = Annotated[Inbox, Depends(get_inbox)]
RecordingsDep = Annotated[Recordings, Depends(get_recordings)]
