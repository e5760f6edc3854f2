"""What channel routes ask for, as narrow FastAPI dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from channels.dialogue import DialogueClient


async def get_dialogue(request: Request) -> DialogueClient:
    dialogue: DialogueClient = request.app.state.dialogue
    return dialogue


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
