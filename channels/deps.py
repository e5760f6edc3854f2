"""Dependencies every channel router shares."""

from typing import Annotated

from fastapi import Depends

from bot.api.deps import ServicesDep
from bot.services import Services
from channels.dialogue import DialogueClient


def dialogue_client(services: Services) -> DialogueClient:
    settings = services.settings
    return DialogueClient(
        settings.rasa_url, settings.dialogue_timeout_seconds, services.dialogue_http
    )


async def get_dialogue(services: ServicesDep) -> DialogueClient:
    return dialogue_client(services)


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
