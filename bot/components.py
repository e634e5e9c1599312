"""Rasa graph components that put our spaCy pipeline's findings into NLU results.

Both read the spaCy `Doc` that Rasa's `SpacyNLP` made from `build/clinic_nlp` (see config.yml).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.red_flags import FOUND, NEGATED

EMERGENCY = "emergency"
RED_FLAG_ENTITY = "red_flag"


def _doc(message: Message) -> Optional[Any]:
    return message.get(SPACY_DOCS[TEXT])


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class ClinicTermsExtractor(_Stateless, EntityExtractorMixin):
    """Adds `therapy`, `body_part` and `condition` entities, valued with the pattern's canonical id."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = _doc(message)
            if doc is None:
                continue
            found = [
                {
                    "entity": ent.label_.lower(),
                    "value": ent.ent_id_ or ent.text,
                    "text": ent.text,
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "confidence_entity": 1.0,
                }
                for ent in doc.ents
            ]
            message.set(
                ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(found), add_to_output=True
            )
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RedFlagGuard(_Stateless):
    """Makes red flags deterministic: a matched red flag is an emergency whatever the classifier says,
    and a negated one ("no chest pain") cannot make the classifier's `emergency` stand on its own.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = _doc(message)
            if doc is None:
                continue
            if doc.spans[FOUND]:
                self._declare_emergency(message, doc.spans[FOUND])
            elif doc.spans[NEGATED] and self._top_intent(message) == EMERGENCY:
                self._drop_emergency(message)
        return messages

    @staticmethod
    def _top_intent(message: Message) -> Optional[Text]:
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)

    def _declare_emergency(self, message: Message, spans: Any) -> None:
        top = {INTENT_NAME_KEY: EMERGENCY, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r[INTENT_NAME_KEY] != EMERGENCY]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        flags = [
            {
                "entity": RED_FLAG_ENTITY,
                "value": span.id_,
                "role": span.label_,
                "start": span.start_char,
                "end": span.end_char,
                "extractor": type(self).__name__,
            }
            for span in spans
        ]
        message.set(ENTITIES, message.get(ENTITIES, []) + flags, add_to_output=True)

    @staticmethod
    def _drop_emergency(message: Message) -> None:
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r[INTENT_NAME_KEY] != EMERGENCY]
        if ranking:
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
