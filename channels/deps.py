"""Dependencies every channel router shares."""

from typing import Annotated

from fastapi import Depends

from bot.api.deps import ServicesDep
from channels.dialogue import DialogueClient


def get_dialogue(services: ServicesDep) -> DialogueClient:
    settings = services.settings
    return DialogueClient(settings.rasa_url, settings.dialogue_timeout_seconds, services.http)


DialogueDep = Annotated[DialogueClient, Depends(get_dialogue)]
