"""nlu_components/speedups.py: what Rasa computes again and again, kept, with the same result."""

import asyncio
import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

import nlu_components  # noqa: F401 - installs the fixes

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  category:
    type: text
    mappings: [{type: custom}]
forms:
  report_form:
    required_slots: [category]
"""
)


def user(intent: str) -> UserUttered:
    return UserUttered(f"/{intent}", {"name": intent, "confidence": 1.0})


def rasa_applied(tracker: DialogueStateTracker) -> list[Event]:
    return DialogueStateTracker.applied_events.__wrapped__(tracker)  # type: ignore[attr-defined]


def test_applied_events_are_rasas_after_every_event_whatever_callers_do_with_them() -> None:
    script: list[Event] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        user("greet"),
        ActionExecuted("utter_greet"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("inform"),
        ActionExecuted("report_form"),
        ActiveLoop("report_form"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("inform"),
        ActionExecuted("report_form"),  # the loop again: undoes what came between
        SlotSet("category", "roads"),
        ActionExecuted("utter_wrong"),
        ActionReverted(),
        user("greet"),
        UserUtteranceReverted(),
        Restarted(),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("greet"),
    ]
    tracker = DialogueStateTracker("caller", DOMAIN.slots)
    for event in script:
        tracker.update(event, DOMAIN)
        applied = tracker.applied_events()
        assert applied == rasa_applied(tracker)
        applied.clear()  # a caller changing its list changes nothing for the next
        assert tracker.applied_events() == rasa_applied(tracker)


def test_a_tracker_keeping_only_its_latest_events_is_never_answered_from_before() -> None:
    tracker = DialogueStateTracker("caller", DOMAIN.slots, max_event_history=3)
    for intent in ("greet", "inform", "greet", "inform", "greet"):
        tracker.update(user(intent), DOMAIN)
        assert tracker.applied_events() == rasa_applied(tracker)


def test_an_empty_domain_is_told_from_a_full_one_as_rasa_does() -> None:
    for domain in (DOMAIN, Domain.empty()):
        expected = Domain.is_empty.__wrapped__(domain)  # type: ignore[attr-defined]
        assert domain.is_empty() is expected
        assert domain.is_empty() is expected
    assert not DOMAIN.is_empty()
    assert Domain.empty().is_empty()


def test_an_action_call_body_is_the_same_json_value() -> None:
    import asyncio
    import json

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from tests.aiohttp_servers import serving

    received: list[bytes] = []
    content_types: set[str] = set()

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.read())
        content_types.add(request.content_type)
        return web.json_response({"events": []})

    async def call(payloads: list[object]) -> None:
        async with serving("/webhook", webhook) as url:
            endpoint = EndpointConfig(f"{url}/webhook")
            for payload in payloads:
                assert await endpoint.request(json=payload, method="post") == {"events": []}

    payloads: list[object] = [
        {"text": "في حفرة / pothole", "timestamp": 1733312345.123456, "n": [1, None, True]},
        {"big": 2**70, 1: float("inf"), "lone surrogate": "\ud800", "nested": ({"a": ()},)},
    ]
    asyncio.run(call(payloads))
    assert [body.decode() for body in received] == [
        json.dumps(payload, separators=(",", ":")) for payload in payloads
    ]
    assert content_types == {"application/json"}


def test_a_kept_session_is_the_one_rasa_makes_for_the_endpoint() -> None:
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    async def sessions() -> None:
        endpoint = EndpointConfig(
            "http://127.0.0.1:1/webhook",
            headers={"X-Token": "t"},
            basic_auth={"username": "rasa", "password": "secret"},
        )
        rasa = EndpointConfig.session.__wrapped__(endpoint)  # type: ignore[attr-defined]
        async with endpoint.session() as kept, rasa:
            assert (kept.headers, kept.auth, kept.timeout) == (
                rasa.headers,
                rasa.auth,
                rasa.timeout,
            )
            async with endpoint.session() as again:
                assert again is kept
        await kept.close()

    asyncio.run(sessions())


def test_a_connection_the_server_has_just_closed_is_never_written_to() -> None:
    """The server closes idle connections after `IDLE_SECONDS` and a little more; Rasa's loop,
    busy meanwhile, has not read the close when it calls again."""
    import asyncio
    import time

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from nlu_components.speedups import IDLE_SECONDS
    from tests.aiohttp_servers import serving_in_a_thread

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"events": []})

    async def calls(url: str) -> None:
        endpoint = EndpointConfig(f"{url}/webhook")
        body = {"tracker": {"events": [{"event": "user", "text": "حفرة"}] * 500}}
        assert await endpoint.request(json=body) == {"events": []}
        # blocking on purpose, as a busy Rasa: the server closes the connection meanwhile
        time.sleep(IDLE_SECONDS + 1.0)  # noqa: ASYNC251
        assert await endpoint.request(json=body) == {"events": []}
        async with endpoint.session() as kept:
            await kept.close()

    with serving_in_a_thread("/webhook", webhook, keep_alive=IDLE_SECONDS + 0.5) as url:
        asyncio.run(calls(url))


MODEL = Path(__file__).resolve().parents[2] / "models" / "balagh.tar.gz"
MESSAGES = ("في حفرة في الشارع", "the street light is out", "ابي اكلم موظف", "status of 7045")


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model: make dialogue-checks")
def test_a_model_built_and_traced_without_autograph_predicts_what_rasa_built_predicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    async def parses(agent: Agent) -> list[list[tuple[str, float]]]:
        return [
            [(intent["name"], intent["confidence"]) for intent in parsed["intent_ranking"]]
            for parsed in [await agent.parse_message(text) for text in MESSAGES]
        ]

    fast = asyncio.run(parses(Agent.load(str(MODEL))))
    rasa_load = RasaModel.load.__func__.__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setattr(RasaModel, "load", classmethod(rasa_load))
    monkeypatch.setattr(RasaModel, "_rasa_predict", RasaModel._rasa_predict.__wrapped__)  # type: ignore[attr-defined]
    reference = asyncio.run(parses(Agent.load(str(MODEL))))

    assert [[name for name, _ in ranking] for ranking in fast] == [
        [name for name, _ in ranking] for ranking in reference
    ]
    for ranking, expected in zip(fast, reference, strict=True):
        assert [confidence for _, confidence in ranking] == pytest.approx(
            [confidence for _, confidence in expected], abs=1e-6
        )


def test_a_slot_copies_as_pythons_generic_copy_copies_it() -> None:
    """A shallow copy: the same type and attributes, its value object shared, reset alone."""
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    for slot in domain.slots:
        value = ["a list"]
        slot.value = value
        duplicate = copy.copy(slot)
        assert type(duplicate) is type(slot)
        assert duplicate is not slot
        assert duplicate.__dict__ == slot.__dict__
        assert duplicate.value is value
        duplicate.reset()
        assert slot.value is value


def test_the_active_form_in_a_trackers_state_is_what_rasa_writes_and_its_own_copy() -> None:
    trigger = {
        "intent": {"name": "inform", "confidence": 0.93},
        "entities": [{"entity": "category", "value": "roads", "start": 7, "end": 28}],
        "text": "/inform",
        "metadata": {"channel": "voice", "media": [], "sources": {"CallSid": "CA1"}, "n": None},
        "intent_ranking": [{"name": "inform", "confidence": 0.93}],
        "span": (1, 2),
        "flags": {True, False},
    }
    tracker = DialogueStateTracker.from_events("c1", [user("greet")], DOMAIN.slots)
    assert tracker.current_state(EventVerbosity.ALL)["active_loop"] == {}
    tracker.update(UserUttered("/inform", dict(trigger["intent"]), parse_data=trigger))
    tracker.update(ActiveLoop("report_form"))

    state = tracker.current_state(EventVerbosity.ALL)["active_loop"]
    assert state == dataclasses.asdict(tracker.active_loop)
    assert list(state) == [field.name for field in dataclasses.fields(tracker.active_loop)]
    state["trigger_message"]["entities"][0]["value"] = "lights"
    state["trigger_message"]["metadata"]["media"].append("changed")
    state["trigger_message"]["flags"].add("changed")
    assert (
        tracker.active_loop.trigger_message
        == dataclasses.asdict(tracker.active_loop)["trigger_message"]
    )
    assert tracker.active_loop.trigger_message["entities"][0]["value"] == "roads"
    assert tracker.active_loop.trigger_message["metadata"]["media"] == []
    assert tracker.active_loop.trigger_message["flags"] == {True, False}


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model: make dialogue-checks")
def test_the_rules_kept_per_tail_are_those_rasa_finds_however_long_the_conversation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RulePolicy

    kept = RulePolicy._get_possible_keys
    compared: list[bool] = []

    def both(self: RulePolicy, lookup: dict[str, str], states: list[Any]) -> set[str]:
        answer = kept(self, lookup, states)
        compared.append(answer == kept.__wrapped__(self, lookup, states))  # type: ignore[attr-defined]
        return answer

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", both)
    agent = Agent.load(str(MODEL))
    turns = ["/greet", "/report_complaint", '/inform{"category":"roads"}', "/deny", "/goodbye"]

    async def converse() -> None:
        for sender in ("short", "long"):
            for _ in range(1 if sender == "short" else 3):  # the same tails, longer histories
                for text in turns:
                    await agent.handle_text(text, sender_id=sender)

    asyncio.run(converse())
    policy = next(
        node._component
        for node in agent.processor.graph_runner._instantiated_nodes.values()  # type: ignore[union-attr]
        if isinstance(getattr(node, "_component", None), RulePolicy)
    )
    answers = sum(len(tails) for _, _, tails in policy._balagh_kept_rule_keys.values())
    assert len(compared) > answers > 0  # some predictions were answered from what was kept
    assert all(compared)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model: make dialogue-checks")
def test_a_loaded_model_is_out_of_the_collectors_sight_and_young_collections_are_rarer() -> None:
    import gc

    from rasa.core.agent import Agent

    from bot.collector import YOUNG_COLLECTION_EVERY

    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # Python's own
    Agent.load(str(MODEL))
    assert gc.get_freeze_count() > 100_000  # the model's objects
    assert gc.get_threshold() == (YOUNG_COLLECTION_EVERY, 10, 10)


def test_debug_lines_arguments_are_copied_only_when_debug_lines_are_written() -> None:
    import importlib
    import logging
    import re

    from nlu_components.speedups import DEBUG_COPYING_MODULES

    for name in DEBUG_COPYING_MODULES:
        module = importlib.import_module(name)
        source = Path(module.__file__).read_text(encoding="utf-8")  # type: ignore[arg-type]
        uses = re.findall(r"\bcopy\.\w+\(", source)
        assert uses, name
        assert len(uses) == len(re.findall(r"=copy\.deepcopy\(", source)), name
        value = {"states": [{"intent": "greet"}]}
        logger = logging.getLogger(name)
        level = logger.level
        try:
            logger.setLevel(logging.INFO)
            assert module.copy.deepcopy(value) is value
            logger.setLevel(logging.DEBUG)
            copied = module.copy.deepcopy(value)
            assert copied == value
            assert copied is not value
        finally:
            logger.setLevel(level)


def test_rasas_graph_validation_reads_the_rule_policys_load_as_before() -> None:
    """`rasa train` validates each component's `load` by its parameters and annotations."""
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.validation import _get_parameter_information

    assert RulePolicy.load.__func__ is not MemoizationPolicy.load.__func__  # type: ignore[attr-defined]
    assert _get_parameter_information(RulePolicy, "load") == _get_parameter_information(
        MemoizationPolicy, "load"
    )
