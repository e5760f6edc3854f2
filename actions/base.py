"""The shape every custom action shares: bound to the running services, never failing silently.

Actions are plain classes called by rasa_sdk's `ActionExecutor` (registered as functions), so
they depend on the SDK only for the dispatcher and tracker objects it hands them.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from actions.context import Event, TrackerLike, channel, language
from actions.messages import AGENT_OR_MENU, Speaker
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.services import Services

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class BalaghAction(ABC):
    """A custom action: `name` as in the domain, `run` does the work.

    A failure anywhere in `run` is logged with its traceback; the user hears an apology in
    their language with a way forward (an employee, the main menu) instead of silence.
    """

    name: ClassVar[str]

    def __init__(self, services: Services, clock: Clock = utc_now) -> None:
        self.services = services
        self.clock = clock

    @property
    def catalogue(self) -> Catalogue:
        return self.services.catalogue

    async def execute(self, dispatcher: Any, tracker: TrackerLike, domain: Any) -> list[Event]:
        try:
            return await self.run(dispatcher, tracker)
        except Exception:
            logger.exception("action %s failed (conversation %s)", self.name, tracker.sender_id)
            dispatcher.messages.clear()  # no half answers
            self.apologise(self.speaker(dispatcher, tracker))
            return self.after_failure(tracker)

    @abstractmethod
    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]: ...

    def speaker(self, dispatcher: Any, tracker: TrackerLike) -> Speaker:
        """Speaks in the conversation's language and its channel's medium."""
        medium = self.services.channels.medium(channel(tracker))
        return Speaker(dispatcher, language(tracker), medium)

    def apologise(self, speaker: Speaker) -> None:
        speaker.say("dialogue.action_failed", buttons=AGENT_OR_MENU)

    def after_failure(self, tracker: TrackerLike) -> list[Event]:
        """Events that leave the conversation somewhere sensible after a failure."""
        return []
