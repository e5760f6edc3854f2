"""Seventeen Rasa 3.6 runtime fixes, installed when the Rasa process imports `nlu_components`.

All but the eleventh keep Rasa's behaviour and only remove work whose result Rasa throws
away; the eleventh keeps a turn from going silent:

1. Action responses. Rasa validates every action server response with
   `jsonschema.validate(result, schema)`, which first checks the constant schema against the
   JSON Schema metaschema, every time: with jsonschema 4.17 that costs tens of milliseconds,
   about 80 % of the CPU of a turn with a custom action. Validators are built once from the
   same schema; a response that fails goes to Rasa's own method, so errors are unchanged.
2. Connections to the action server. Rasa opens a new HTTP session, hence a new TCP
   connection, for every action call; one session per endpoint is kept and reused instead
   (the same headers, authentication and timeout). Its idle connections are reused for at
   most `IDLE_SECONDS`, less than the server keeps them: a connection the server has just
   closed (HAProxy after 10 s, the service after 75 s) is never written to, which under load,
   with the close not yet read, failed the call ("Cannot write to closing transport").
3. Button payloads. A message like `/inform{"category": "roads"}` runs through the whole NLU
   pipeline, and then the pipeline's last step (`RegexMessageHandler`) replaces the result
   with a new message built from the payload alone. A valid payload is now unpacked by that
   same function (`YAMLStoryReader.unpack_regex_message`) without running the pipeline; any
   other text, including a malformed payload, still goes through it.
4. Event types. Turning a stored event back into an object (`Event.from_parameters`) looks
   its type up by walking every subclass of `Event` and asking each whether it is abstract,
   for every event; the class found for a type name is now remembered.
5. Running the model's graph. For every message and every prediction Rasa recomputes which
   nodes the targets need (a walk that revisits shared dependencies) and hands the nodes to
   dask's synchronous scheduler, which runs them one after another. The same nodes now run
   in the same dependency order, computed once per set of targets, without dask.
6. Dialogue states. The RulePolicy turns the whole conversation into states (replaying every
   event onto a fresh tracker) twice per prediction: once to match rules on the message's
   text, once on its intent. The states of the last tracker seen are now kept while it
   gains no event, and each caller gets its own copy, since callers edit them in place.
7. Garbage collection. A loaded model is some 600,000 Python objects that live as long as
   the process, and every full collection walks them all again (tenths of a second, while no
   message is answered). Once a model is loaded they are moved out of the collector's sight
   (`gc.freeze()`); the conversations' objects are still collected as before. The
   conversations the tracker store keeps in memory (up to a thousand) are walked by every
   full collection too, 0.1–0.16 s each, and under load one came every 10–20 s: a turn's
   own objects were promoted whenever a young collection (every 700 new objects) caught
   them alive, and the promoted ones bring the next full collection on. Young collections
   now come every 10,000 new objects, so most of a turn's objects die young; in a run of 320
   callers no full collection happens at all.
8. The empty-domain check. Before looking at each message's intent, Rasa asks whether the
   domain is empty by turning the whole domain into a dictionary and comparing it with a
   newly built empty domain's, for every message. A loaded domain does not change, so the
   answer is remembered for each domain.
9. Applied events. The events a conversation has applied (without those undone) are
   recomputed from all its events, with a type check for each, several times per message
   (to check the session, predict, run a form, log). They are now kept while the tracker
   gains no event and its first and last events stay the same, and each caller gets its own
   copy of the list.
10. Action calls' bodies. Every call to the action server carries the whole conversation as
    JSON; ujson (already in Rasa's environment, for Sanic) writes the same JSON value in about
    a third of the time of the standard library (what aiohttp's `json=` uses), and writes what
    `json` writes (big integers, NaN, lone surrogates, non-string keys alike) minus the spaces.
11. A dropped connection to the action server. A kept connection (2) can be closed by the
    server between two calls; Rasa then logs the failed action, drops its events and goes on,
    and the user gets no answer. A call whose connection failed before any answer came is now
    sent once more (on a new connection). So is one a load balancer answered for a replica
    that never did: 502 (the replica closed the connection without an answer, as one killed
    mid-call does) or 503 (none was ready); the resent call reaches a live replica. That is
    safe because every action the service serves may run twice with the same effect (a report
    carries its idempotency key, counts are per turn, an SMS has its id). A call that got the
    action server's own answer, even an error, or a timeout is not repeated; a second failure
    is Rasa's as before (and the channel apologises).
12. Loading a model. To give the classifier's weights their shapes, Rasa trains it for one
    step on one example before reading the trained weights over them, and that step traces
    a whole training graph (forward pass, gradients, optimizer) with autograph: half of a
    replica's start, on the CPU the other replicas are serving calls with. The step now runs
    eagerly (the same layers build the same weights, then overwritten as before), and the
    model predicts as configured from then on (its prediction graph traced once, as Rasa
    does). A replica is ready in about 60 % of the CPU time.
13. Slot copies. Every copy of a tracker (one before each action the dialogue runs) copies
    each of the domain's slots with `copy.copy`, which for a plain object goes through
    `__reduce_ex__` and rebuilds it from the pieces; slots now copy their attributes
    directly, which is what that path does for them (they keep no state outside
    `__dict__`), in a third of the time.
14. The prediction graph. Rasa traces the classifier's prediction step once, at load, with
    autograph, which rewrites the source of every layer's `call` into graph code: most of
    that trace's time, a third of a replica's start. Their branches and loops all test
    Python values (configuration, the features present), never tensors, so the graph is the
    same when traced as plain Python; it is traced so (TensorFlow would refuse a branch on a
    tensor rather than build a different graph).
15. Debug lines' arguments. The dialogue's modules deep-copy the values they pass to their
    structured debug lines (every tracker state the rule policy looks at, every slot and
    event the processor logs) whether or not debug lines are written; with Rasa logging at
    INFO that is a few percent of a turn's CPU thrown away. In those modules `copy` is used
    for nothing else; it now copies only when the module's debug lines are written (Rasa's
    log pipeline drops a structured line below its standard logger's level).
16. The rule policy's lookup. To find the rules that apply, the rule policy tests every rule
    it memorised against the conversation's states, one turn back at a time, on each
    prediction. A rule only ever looks as far back as it is long, so the rules that apply
    depend only on the last states (as many as the longest rule has) and on how many there
    are when fewer: the answer is kept per such tail (bounded), and most turns find it kept.
17. The active form in a tracker's state. Every action call carries the tracker's state, and
    Rasa writes its active form with `dataclasses.asdict`, which copies the message that
    started the form (parsed JSON) one value at a time through `copy.deepcopy`. It is now
    copied as JSON is: dictionaries and lists rebuilt, strings, numbers, booleans and None
    shared as `deepcopy` shares them, anything else deep-copied as before.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = "_balagh_compiled_validator"
# How long an idle connection to the action server is reused: less than the servers keep one
# (the service, serving the actions, 75 s; HAProxy in deploy/, 10 s).
IDLE_SECONDS = 2.0


def install() -> None:
    try:
        from rasa.core.actions.action import RemoteAction
    except ImportError:  # not inside the Rasa environment
        return
    if getattr(RemoteAction, _INSTALLED, None) is not None:
        return
    _install_response_validation(RemoteAction)
    _install_kept_sessions()
    _install_payload_parsing()
    _install_event_type_lookup()
    _install_sequential_graph_runs()
    _install_state_reuse()
    _install_freeze_after_load()
    _install_untraced_model_build()
    _install_direct_slot_copies()
    _install_plain_prediction_trace()
    _install_copies_for_debug_only()
    _install_kept_rule_keys()
    _install_empty_domain_check()
    _install_applied_events_reuse()
    _install_plain_active_loop_copies()
    _install_fast_request_bodies()
    _install_action_retry()  # last: around the others, so a resent call is the same call


def _install_response_validation(remote_action: Any) -> None:
    """Validate as Rasa's schema does, with validators compiled once.

    Rasa's schema is an envelope (`events`, `responses`) whose events are `oneOf` 23 event
    kinds, each fixing `event` to a constant. At most one kind can match an event, so checking
    the one kind its `event` names (with the common part) decides the same as `oneOf`.
    """
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    schema = remote_action.action_response_format_spec()
    events_schema = schema["properties"]["events"]["items"]
    common = {key: value for key, value in events_schema.items() if key != "oneOf"}

    def compile_(part: dict[str, Any]) -> Any:
        return validator_for(part)(part)

    envelope = compile_(
        {
            **schema,
            "properties": {**schema["properties"], "events": {"type": "array"}},
        }
    )
    by_kind = {
        kind["properties"]["event"]["const"]: compile_({"allOf": [common, kind]})
        for kind in events_schema["oneOf"]
    }
    rasa_validate = remote_action._validate_action_result

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            envelope.validate(result)
            for event in result.get("events") or []:
                kind = event.get("event") if isinstance(event, dict) else None
                validator = by_kind.get(kind) if isinstance(kind, str) else None
                if validator is None:
                    raise ValidationError(f"unknown event {kind!r}")
                validator.validate(event)
        except ValidationError:
            return bool(rasa_validate(self, result))  # raises Rasa's own error
        return True

    remote_action._validate_action_result = _validate_action_result
    setattr(remote_action, _INSTALLED, envelope)


def _install_kept_sessions() -> None:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    new_session = EndpointConfig.session

    class _Kept:
        """`async with` gives the kept session and leaves it open."""

        def __init__(self, session: Any) -> None:
            self.session = session

        async def __aenter__(self) -> Any:
            return self.session

        async def __aexit__(self, *exc: object) -> None:
            return None

    def session(self: Any) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside an event loop: Rasa's own, closed after use
            return new_session(self)
        kept = getattr(self, "_balagh_session", None)
        if kept is None or kept[0] is not loop or kept[1].closed:
            kept = (loop, kept_session(self))
            self._balagh_session = kept
        return _Kept(kept[1])

    def kept_session(self: Any) -> Any:
        """The session Rasa's `EndpointConfig.session` makes, its idle connections kept only
        `IDLE_SECONDS`."""
        auth = (
            aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth
            else None
        )
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS),
        )

    session.__wrapped__ = new_session  # type: ignore[attr-defined]

    EndpointConfig.session = session  # type: ignore[method-assign]


# What a load balancer answers when no replica did: 502 Bad Gateway (the replica closed the
# connection without an answer), 503 Service Unavailable (none was ready).
BALANCER_FOUND_NO_ANSWER = frozenset({502, 503})


def _install_action_retry() -> None:
    import logging

    import aiohttp
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    request = EndpointConfig.request
    log = logging.getLogger(__name__)

    async def request_once_more(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await request(self, *args, **kwargs)
        except aiohttp.ServerTimeoutError:  # a connection error too, but the server is slow
            raise
        except aiohttp.ClientConnectionError as dropped:  # no answer came: send it again
            log.warning("%s: %s; sending the call once more", self.url, dropped)
        except ClientResponseError as failed:
            if failed.status not in BALANCER_FOUND_NO_ANSWER:
                raise
            log.warning(
                "%s: %s from the balancer; sending the call once more", self.url, failed.status
            )
        return await request(self, *args, **kwargs)

    EndpointConfig.request = request_once_more  # type: ignore[method-assign]


def _install_payload_parsing() -> None:
    from rasa.core.processor import MessageProcessor
    from rasa.shared.constants import INTENT_MESSAGE_PREFIX
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.nlu.constants import (
        ENTITIES,
        INTENT,
        INTENT_NAME_KEY,
        PREDICTED_CONFIDENCE_KEY,
        TEXT,
    )
    from rasa.shared.nlu.training_data.message import Message

    with_graph = MessageProcessor._parse_message_with_graph

    def _parse_message_with_graph(
        self: Any, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        text = (message.text or "").strip()
        if text.startswith(INTENT_MESSAGE_PREFIX):
            raw = Message({TEXT: message.text})
            unpacked = YAMLStoryReader.unpack_regex_message(
                raw, self.domain, entity_extractor_name="RegexMessageHandler"
            )
            if unpacked is not raw:  # a valid payload: what the pipeline would end with
                parse_data: dict[str, Any] = {
                    TEXT: "",
                    INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                    ENTITIES: [],
                }
                parse_data.update(unpacked.as_dict(only_output_properties=only_output_properties))
                return parse_data
        return with_graph(self, message, tracker, only_output_properties)

    MessageProcessor._parse_message_with_graph = _parse_message_with_graph  # type: ignore[method-assign]


def _install_event_type_lookup() -> None:
    from rasa.shared.core.events import Event

    resolve = Event.resolve_by_type
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = resolve(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _install_sequential_graph_runs() -> None:
    from graphlib import TopologicalSorter

    from rasa.engine.runner.dask import DaskGraphRunner

    def order_for(self: Any, targets: tuple[str, ...]) -> list[str]:
        """The nodes the targets depend on, each after the nodes it needs."""
        orders: dict[tuple[str, ...], list[str]] = self.__dict__.setdefault("_balagh_orders", {})
        if targets not in orders:
            nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
            sorter = TopologicalSorter(
                {
                    name: [need for need in node.needs.values() if need in nodes]
                    for name, node in nodes.items()
                }
            )
            orders[targets] = list(sorter.static_order())
        return orders[targets]

    def run(
        self: Any, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
    ) -> dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        order = order_for(self, run_targets)
        self._add_inputs_to_graph(inputs, dict.fromkeys(order))  # Rasa's name clash check
        # as dask hands them to the nodes: an input as (name, value), a node's output as
        # (node name, output), an unresolved dependency as its name
        done: dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        schema_nodes = self._graph_schema.nodes
        for name in order:
            needs = schema_nodes[name].needs.values()
            done[name] = self._instantiated_nodes[name](*(done.get(need, need) for need in needs))
        return dict(done[target] for target in run_targets)

    DaskGraphRunner.run = run  # type: ignore[method-assign]


def _install_state_reuse() -> None:
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

    create_states = TrackerFeaturizer._create_states
    last: list[Any] = []  # [tracker, its number of events, domain, options, states]

    def _create_states(
        tracker: Any,
        domain: Any,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        if not (
            last
            and last[0] is tracker
            and last[1] == len(tracker.events)
            and last[2] is domain
            and last[3] == options
        ):
            states = create_states(tracker, domain, *options)
            last[:] = [tracker, len(tracker.events), domain, options, states]
        # a state is {part: {feature: value}}; callers delete features of a part in place
        return [{part: dict(features) for part, features in state.items()} for state in last[4]]

    TrackerFeaturizer._create_states = staticmethod(_create_states)  # type: ignore[method-assign]


def _install_freeze_after_load() -> None:
    from rasa.core.agent import Agent

    from bot.collector import freeze_what_is_built

    load_model = Agent.load_model

    def load_model_then_freeze(self: Any, *args: Any, **kwargs: Any) -> None:
        load_model(self, *args, **kwargs)
        freeze_what_is_built()

    Agent.load_model = load_model_then_freeze  # type: ignore[method-assign]


def _install_untraced_model_build() -> None:
    from rasa.utils.tensorflow.constants import RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    load = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load_built_eagerly(
        cls: Any,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        config = kwargs.get("config", {})
        if finetune_mode or config.get(RUN_EAGERLY):
            return load(
                cls,
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        eager = {**kwargs, "config": {**config, RUN_EAGERLY: True}}
        model = load(cls, model_file_name, model_data_example, None, False, *args, **eager)
        model.config[RUN_EAGERLY] = config.get(RUN_EAGERLY)
        model.run_eagerly = False
        if predict_data_example:
            model.run_inference(predict_data_example)
        return model

    load_built_eagerly.__wrapped__ = load  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load_built_eagerly)  # type: ignore[assignment]


def _install_plain_prediction_trace() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.models import RasaModel

    rasa_predict = RasaModel._rasa_predict

    def predict_traced_plainly(self: Any, batch_in: Any) -> Any:
        if self._tf_predict_step is None and not self._run_eagerly:
            self._tf_predict_step = tf.function(
                self.predict_step,
                input_signature=self._dynamic_signature(batch_in),
                autograph=False,
            )
        return rasa_predict(self, batch_in)

    predict_traced_plainly.__wrapped__ = rasa_predict  # type: ignore[attr-defined]
    RasaModel._rasa_predict = predict_traced_plainly  # type: ignore[method-assign]


def _install_direct_slot_copies() -> None:
    from rasa.shared.core.slots import Slot

    def copy_attributes(self: Any) -> Any:
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    Slot.__copy__ = copy_attributes  # type: ignore[attr-defined]


# The dialogue modules whose only use of `copy` is for their debug lines' arguments.
DEBUG_COPYING_MODULES = (
    "rasa.core.processor",
    "rasa.core.actions.forms",
    "rasa.core.policies.rule_policy",
    "rasa.core.policies.memoization",
    "rasa.core.nlg.interpolator",
)


class CopyForDebugLines:
    """A module's `copy`: a deep copy only when that module's debug lines are written."""

    def __init__(self, module: str) -> None:
        import logging

        self.logger = logging.getLogger(module)

    def deepcopy(self, value: Any) -> Any:
        import copy
        import logging

        return copy.deepcopy(value) if self.logger.isEnabledFor(logging.DEBUG) else value


def _install_copies_for_debug_only() -> None:
    import importlib

    for name in DEBUG_COPYING_MODULES:
        importlib.import_module(name).copy = CopyForDebugLines(name)  # type: ignore[attr-defined]


KEPT_RULE_TAILS = 4096  # conversation tails whose applicable rules are kept, per lookup


def _install_kept_rule_keys() -> None:
    import functools

    from rasa.core.policies.rule_policy import RulePolicy

    possible_keys = RulePolicy._get_possible_keys
    load = RulePolicy.load.__func__  # type: ignore[attr-defined]

    @functools.wraps(load)  # Rasa's graph validation reads its parameters and annotations
    def load_keeping_rule_keys(cls: Any, *args: Any, **kwargs: Any) -> Any:
        """A loaded policy's lookups never change (training edits them): keep answers."""
        policy = load(cls, *args, **kwargs)
        policy._balagh_kept_rule_keys = {}
        return policy

    def kept_possible_keys(self: Any, lookup: dict[str, str], states: list[Any]) -> Any:
        kept = self.__dict__.get("_balagh_kept_rule_keys")
        if kept is None:  # in training
            return possible_keys(self, lookup, states)
        if id(lookup) not in kept:
            longest = max((len(self._rule_key_to_state(key)) for key in lookup), default=0)
            kept[id(lookup)] = (lookup, longest, {})
        _, longest, answers = kept[id(lookup)]
        try:
            tail = tuple(_frozen(state) for state in states[max(0, len(states) - longest) :])
            hash(tail)
        except TypeError:  # a value that cannot be a key: looked up as Rasa does
            return possible_keys(self, lookup, states)
        if tail not in answers:
            if len(answers) >= KEPT_RULE_TAILS:
                answers.pop(next(iter(answers)))
            answers[tail] = frozenset(possible_keys(self, lookup, states))
        return set(answers[tail])

    kept_possible_keys.__wrapped__ = possible_keys  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = kept_possible_keys  # type: ignore[method-assign]
    RulePolicy.load = classmethod(load_keeping_rule_keys)  # type: ignore[assignment]


def _frozen(state: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    return tuple(sorted((kind, tuple(sorted(part.items()))) for kind, part in state.items()))


def _install_empty_domain_check() -> None:
    from rasa.shared.core.domain import Domain

    is_empty = Domain.is_empty

    def remembered_is_empty(self: Any) -> bool:
        known = self.__dict__.get("_balagh_is_empty")
        if known is None:
            known = self.__dict__["_balagh_is_empty"] = bool(is_empty(self))
        return bool(known)

    remembered_is_empty.__wrapped__ = is_empty  # type: ignore[attr-defined]
    Domain.is_empty = remembered_is_empty  # type: ignore[method-assign]


def _install_applied_events_reuse() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    applied_events = DialogueStateTracker.applied_events

    def reused_applied_events(self: Any) -> list[Any]:
        events = self.events
        first, last = (events[0], events[-1]) if events else (None, None)
        kept = self.__dict__.get("_balagh_applied")
        if not (
            kept
            and kept[0] is events
            and kept[1] == len(events)
            and kept[2] is first
            and kept[3] is last
        ):
            kept = (events, len(events), first, last, applied_events(self))
            self.__dict__["_balagh_applied"] = kept
        return list(kept[4])  # callers may change the list they get

    reused_applied_events.__wrapped__ = applied_events  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = reused_applied_events  # type: ignore[method-assign]


_SHARED_BY_DEEPCOPY = (str, int, float, bool, type(None))


def json_copy(value: Any) -> Any:
    """What `dataclasses.asdict` makes of parsed JSON inside a dataclass, without its checks
    and `copy.deepcopy` of each value."""
    kind = type(value)
    if kind is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if kind is list:
        return [json_copy(item) for item in value]
    if kind in _SHARED_BY_DEEPCOPY:
        return value
    import copy

    return copy.deepcopy(value)


def _install_plain_active_loop_copies() -> None:
    import dataclasses
    import types

    from rasa.shared.core import trackers

    def asdict(value: Any) -> Any:
        if type(value) is not trackers.TrackerActiveLoop:
            return dataclasses.asdict(value)
        return {
            "name": value.name,
            "is_interrupted": value.is_interrupted,
            "rejected": value.rejected,
            "trigger_message": json_copy(value.trigger_message),
        }

    # The module uses `dataclasses` only for this `asdict` (and to define its classes).
    trackers.dataclasses = types.SimpleNamespace(**{**vars(dataclasses), "asdict": asdict})  # type: ignore[attr-defined]


def _install_fast_request_bodies() -> None:
    import ujson
    from rasa.utils.endpoints import EndpointConfig

    rasa_request = EndpointConfig.request

    async def request(
        self: Any,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        # Rasa names the content type itself; without one, aiohttp's json= names it.
        if content_type and kwargs.get("json") is not None and "data" not in kwargs:
            kwargs["data"] = ujson.dumps(kwargs.pop("json"), escape_forward_slashes=False).encode()
        return await rasa_request(self, method, subpath, content_type, compress, **kwargs)

    request.__wrapped__ = rasa_request  # type: ignore[attr-defined]
    EndpointConfig.request = request  # type: ignore[method-assign]
