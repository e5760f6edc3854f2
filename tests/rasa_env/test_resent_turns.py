"""A turn sent again (channels/dialogue.py) that Rasa already has is answered as it was then,
and nothing runs again; any other turn is Rasa's as before."""

import asyncio
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_components import resent_turns

SENDER = "CA0123"
BUTTONS = [{"title": "بلاغ", "payload": "/report_complaint"}]


def conversation() -> DialogueStateTracker:
    """Two turns, `first` and `second`, each answered."""
    tracker = DialogueStateTracker(SENDER, [])
    for event in (
        UserUttered("/greet", {"name": "greet"}, metadata={"turn_id": "first"}),
        ActionExecuted("action_greet"),
        BotUttered("أهلاً", {"buttons": BUTTONS}),
        BotUttered(None, {"custom": {"expect": "digits"}}),
        ActionExecuted("action_listen"),
        UserUttered("1", {"name": "inform"}, metadata={"turn_id": "second"}),
        BotUttered("اختر الحي"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    return tracker


class Processor:
    """What `answered_again` uses of Rasa's processor: its tracker store."""

    def __init__(self, tracker: DialogueStateTracker | None = None) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        if tracker is not None:
            asyncio.run(self.tracker_store.save(tracker))


def message(**metadata: Any) -> UserMessage:
    return UserMessage("/greet", CollectingOutputChannel(), SENDER, metadata=metadata)


def texts(channel: Any) -> list[tuple[Any, Any, Any]]:
    return [(m.get("text"), m.get("buttons"), m.get("custom")) for m in channel.messages]


@pytest.fixture(autouse=True, scope="module")
def installed() -> None:
    resent_turns.install()


def test_a_resent_turn_the_conversation_has_gets_its_answer_again_and_only_its_own() -> None:
    first = message(turn_id="first", resent=True)
    assert asyncio.run(resent_turns.answered_again(Processor(conversation()), first))
    assert texts(first.output_channel) == [
        ("أهلاً", BUTTONS, None),
        (None, None, {"expect": "digits"}),
    ]
    second = message(turn_id="second", resent=True)
    assert asyncio.run(resent_turns.answered_again(Processor(conversation()), second))
    assert texts(second.output_channel) == [("اختر الحي", None, None)]


@pytest.mark.parametrize(
    "metadata",
    [
        {"turn_id": "third", "resent": True},  # the replica died before saving it
        {"turn_id": "first"},  # not resent: never looked up
        {},
    ],
)
def test_any_other_turn_is_left_to_rasa(metadata: dict[str, Any]) -> None:
    turn = message(**metadata)
    assert not asyncio.run(resent_turns.answered_again(Processor(conversation()), turn))
    assert turn.output_channel.messages == []


def test_a_resent_turn_of_a_new_conversation_is_left_to_rasa() -> None:
    turn = message(turn_id="first", resent=True)
    assert not asyncio.run(resent_turns.answered_again(Processor(), turn))


def test_rasa_answers_a_turn_it_has_without_running_anything() -> None:
    # a processor with no model, no domain, no action endpoint: Rasa's own handling would fail
    processor = object.__new__(MessageProcessor)
    processor.tracker_store = Processor(conversation()).tracker_store
    turn = message(turn_id="second", resent=True)
    answer = asyncio.run(MessageProcessor.handle_message(processor, turn))
    assert answer == [{"recipient_id": SENDER, "text": "اختر الحي"}]
    events = asyncio.run(processor.tracker_store.retrieve(SENDER)).events  # nothing added
    assert len(events) == len(conversation().events)
