"""Arabic-aware NLU components for the Balagh 940 pipeline (Rasa 3.6 GraphComponent API).

- `ArabicNormaliser` (after the tokenizer): every token's text and lemma become the
  `bot.arabic.normalise` spelling (alef forms, taa marbuta, alef maqsura, diacritics, tatweel,
  Eastern digits), so "الحُفْرَة", "الحفره" and "الحفرة" share their word and character
  n-grams. Token offsets keep pointing at the original text, so entity values and the offsets in
  training data stay exact.
- `CatalogueEntityExtractor`: `category` and `district` entities from the catalogue's words
  (lookup tables and synonyms generated from catalogue.yml), matched on normalised tokens with
  or without clitic prefixes, valued with the catalogue code.
- `SpokenReferenceExtractor`: a `reference` said as words, one a digit ("سبعه صفر اثنين…",
  "seven zero two…"), as phone transcripts write it; valued with its ten digits.
- `ScriptLanguageDetector`: when the user did not name a language, adds a `language` entity
  from the script most of the message is written in (`bot.languages.script_language`, the
  rule the channels use too). Its entities carry its own extractor name, so NLU evaluation
  ignores them.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT, TEXT_TOKENS
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.arabic import normalise, readings
from bot.digits import spoken_numbers
from bot.languages import named_language, script_language

LANGUAGE_ENTITY = "language"
REFERENCE_ENTITY = "reference"
REFERENCE_DIGITS = 10
SWITCH_INTENT = "choose_language"


class UnconfiguredComponent(GraphComponent):
    """A component with no configuration, training or storage: Rasa builds it bare."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class ArabicNormaliser(UnconfiguredComponent):
    """Rewrites token text and lemma to one normalised spelling; offsets are untouched."""

    @staticmethod
    def _normalise_tokens(message: Message) -> None:
        for token in message.get(TEXT_TOKENS) or []:
            folded = normalise(token.text)
            if folded:
                token.text = folded
                token.lemma = folded

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise_tokens(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalise_tokens(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class CatalogueEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds catalogue categories and districts by their words, in any spelling.

    Trained from the lookup tables and synonyms that `nlu_components.lookups` writes from
    catalogue.yml: every spelling of a category keyword or a district name maps to its code.
    A message's tokens (already normalised) are matched phrase by phrase, longest first, each
    token also read without its clitic prefixes ("بالحفره" → "حفره"). Entities cover whole
    tokens and carry the code as value. Only messages that report or answer (the intents in
    `intents`) get these entities: a park named in a question about events is no complaint.
    """

    PHRASES_FILE = "catalogue_phrases.json"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "entities": ["category", "district"],
            "intents": ["report_complaint", "inform"],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        phrases: dict[str, list[str]] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.phrases: dict[str, list[str]] = phrases or {}  # "word word" -> [entity, value]
        self._longest = max((len(key.split()) for key in self.phrases), default=0)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogueEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        synonyms = {normalise(k): str(v) for k, v in training_data.entity_synonyms.items()}
        wanted = set(self._config["entities"])
        phrases: dict[str, list[str]] = {}
        for table in training_data.lookup_tables:
            if table.get("name") not in wanted:
                continue
            for element in table.get("elements", []):
                key = " ".join(normalise(str(element)).split())
                if key:
                    phrases.setdefault(key, [table["name"], synonyms.get(key, str(element))])
        self.phrases = phrases
        self._longest = max((len(key.split()) for key in phrases), default=0)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.PHRASES_FILE).write_text(
                json.dumps(phrases, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CatalogueEntityExtractor:
        phrases = None
        try:
            with model_storage.read_from(resource) as directory:
                phrases = json.loads((directory / cls.PHRASES_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            phrases = None
        return cls(config, model_storage, resource, phrases)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent not in self._config["intents"]:
                continue
            found = self.extract(message)
            if found:
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name(found)]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def extract(self, message: Message) -> list[dict[str, Any]]:
        tokens = message.get(TEXT_TOKENS) or []
        readings_of = [readings(normalise(token.text)) for token in tokens]
        found: list[dict[str, Any]] = []
        index = 0
        while index < len(tokens):
            match = self._match_at(readings_of, index)
            if match is None:
                index += 1
                continue
            size, (entity, value) = match
            start, end = tokens[index].start, tokens[index + size - 1].end
            found.append(
                {
                    "entity": entity,
                    "value": value,
                    "start": start,
                    "end": end,
                    "confidence_entity": 1.0,
                }
            )
            index += size
        return found

    def _match_at(
        self, readings_of: list[frozenset[str]], index: int
    ) -> tuple[int, list[str]] | None:
        for size in range(min(self._longest, len(readings_of) - index), 0, -1):
            for words in _combinations(readings_of[index : index + size]):
                hit = self.phrases.get(" ".join(words))
                if hit is not None:
                    return size, hit
        return None


def _combinations(options: list[frozenset[str]]) -> list[tuple[str, ...]]:
    """Every way to read a run of tokens (each token has one to a few readings)."""
    combos: list[tuple[str, ...]] = [()]
    for choices in options:
        combos = [(*combo, choice) for combo in combos for choice in sorted(choices)]
    return combos


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SpokenReferenceExtractor(UnconfiguredComponent, EntityExtractorMixin):
    """Adds a `reference` entity for ten digits said as words, unless one was typed."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = message.get(ENTITIES, [])
            if any(e.get("entity") == REFERENCE_ENTITY for e in entities):
                continue
            said = [
                {"entity": REFERENCE_ENTITY, "value": digits, "start": start, "end": end}
                for start, end, digits in spoken_numbers(message.get(TEXT) or "", REFERENCE_DIGITS)
            ]
            if said:
                message.set(
                    ENTITIES, [*entities, *self.add_extractor_name(said)], add_to_output=True
                )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ScriptLanguageDetector(UnconfiguredComponent, EntityExtractorMixin):
    """Adds a `language` entity: the language named in the message, else the script's."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            tokens = message.get(TEXT_TOKENS) or []
            named = named_language([token.text for token in tokens])
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if named is not None:
                language, index = named
                start, end = tokens[index].start, tokens[index].end
            elif intent == SWITCH_INTENT:
                continue  # "change the language": the dialogue switches to the other one
            else:
                language = script_language(text)
                start = end = 0  # the whole message, not a span of it
                if language is None:
                    continue
            entity = {"entity": LANGUAGE_ENTITY, "value": language, "start": start, "end": end}
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE_ENTITY]
            message.set(
                ENTITIES, [*entities, *self.add_extractor_name([entity])], add_to_output=True
            )
        return messages
