"""Rasa graph components that put our spaCy pipeline's findings into NLU results.

All read the spaCy `Doc` that Rasa's `SpacyNLP` made from `build/clinic_nlp` (see config.yml).
"""

from __future__ import annotations

import html
import re
from typing import Any, Dict, List, Optional

import joblib
import numpy as np
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
    METADATA,
    METADATA_INTENT,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from spacy.tokens import Span

from bot import emergency_now  # noqa: F401  (registers its factory and doc._.emergency_now)
from bot.features import classifier_text
from bot.red_flags import (
    DENIED,
    FOUND,
    MEDICAL,
    NEGATED,
    NOT_NOW,
    SYMPTOMS,
    every_symptom_word,
    held_back,
)
from clinic.red_flag_names import NOT_NOW_ENTITY, RED_FLAG_ENTITY, URGENT

EMERGENCY = "emergency"
ALSO_OK_WEIGHT = 0.5


def _doc(message: Message) -> Optional[Any]:
    return message.get(SPACY_DOCS[TEXT])


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


# An HTML or XML tag: "<b>", "</p>", "<br/>", '<a href="...">'. Not "<3" or "a < b": a tag starts with a letter.
MARKUP_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
# Spaces, tabs and no-break spaces: one space ends no clause; a line break does.
SPACES = re.compile(r"[^\S\n]+")


def typed_words(text: str) -> str:
    """The words a patient typed, without markup pasted or typed with them: "<b>hi</b>" is "hi" and
    "chest pain&nbsp;now" is "chest pain now". A tag becomes a space ("<p>hi</p><p>help</p>" keeps two
    words, one space apart); line breaks stay, as they end a clause for the red flags."""
    if "<" not in text and "&" not in text:
        return text
    return SPACES.sub(" ", html.unescape(MARKUP_TAG.sub(" ", text))).strip()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TypedWords(_Stateless):
    """First in the pipeline: what the rest reads is the patient's words, not HTML around them."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            words = typed_words(text) if isinstance(text, str) else text
            if words != text:
                message.set(TEXT, words)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ClinicIntentClassifier(GraphComponent):
    """Logistic regression over word and letter n-grams of the message and of its clinic-terms form.

    Chosen over DIET because on our data it is more accurate (docs/evaluation.md), trains in seconds
    rather than minutes on two cores, and gives probabilities soft enough for "Did you mean ...?".
    """

    MODEL_FILE = "intent_classifier.joblib"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"C": 10.0, "max_iter": 3000, "ranking_length": 10, "class_weight": None}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Pipeline] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model_storage = model_storage
        self.resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GraphComponent:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / cls.MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None  # trained without intents: classifies nothing
        return cls(config, model_storage, resource, _with_fast_weights(model))

    def _pipeline(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        classifier = LogisticRegression(
            C=self.config["C"], max_iter=self.config["max_iter"], class_weight=self.config["class_weight"]
        )
        return make_pipeline(features, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        labelled = [
            (doc, e.get(INTENT), also_ok(e))
            for e in training_data.intent_examples
            if (doc := _doc(e)) is not None and e.get(INTENT)
        ]
        # A question is learnt for its topic, and at ALSO_OK_WEIGHT for each other topic its labellers
        # also accepted (data/nlu/real_questions.yml's `also_ok`): on the real questions' dev side this
        # gave +0.03 right answers and +0.03 right or one click away at the same wrong-answer rate.
        rows = [(doc, intent, 1.0) for doc, intent, _ in labelled] + [
            (doc, other, ALSO_OK_WEIGHT) for doc, _, others in labelled for other in others
        ]
        if rows:
            self.model = self._pipeline().fit(
                [classifier_text(doc) for doc, _, _ in rows],
                [intent for _, intent, _ in rows],
                logisticregression__sample_weight=np.array([weight for _, _, weight in rows]),
            )
            with self.model_storage.write_to(self.resource) as directory:
                joblib.dump(self.model, directory / self.MODEL_FILE)
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = _doc(message)
            if self.model is None or doc is None:
                continue
            probabilities = self.model.predict_proba([classifier_text(doc)])[0]
            ranked = sorted(zip(self.model.classes_, probabilities, strict=False), key=lambda p: -p[1])
            ranking = [
                {INTENT_NAME_KEY: str(name), PREDICTED_CONFIDENCE_KEY: float(p)}
                for name, p in ranked[: self.config["ranking_length"]]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


def also_ok(example: Message) -> List[str]:
    """The other topics an example's intent block says would also answer it (intent-level metadata)."""
    metadata = (example.get(METADATA) or {}).get(METADATA_INTENT) or {}
    return [str(topic) for topic in metadata.get("also_ok") or []]


def _with_fast_weights(model: Optional[Pipeline]) -> Optional[Pipeline]:
    """The same model, its weights stored column-major so scoring a message is 5x faster.

    scikit-learn scores with `features @ coef_.T`; with coef_ row-major, scipy copies the whole weight
    matrix (41 x 28,000 floats) on every call: 5.4 of the 6.6 ms `predict_proba` took per message
    (py-spy, docs/benchmarks.md). Column-major, `coef_.T` is already row-major and nothing is copied.
    """
    if model is not None:
        classifier = model.steps[-1][1]
        classifier.coef_ = np.asfortranarray(classifier.coef_)
    return model


# How sure the emergency-now reader must be to give 911 on its own (always beside a symptom word happening
# now). Chosen on the fourth safety development set before the reader was trained on it: 0.9 caught 15
# of its 36 misses with no more look-alike alarms (0.8 caught 18 for one more alarm, and put one real
# question over the bar: "my knees hurt going up and down stairs, do I have arthritis?"). docs/safety.md.
EMERGENCY_NOW_BAR = 0.9
# ...and the same-day reader, to give the same-day reply ("call the clinic today"). Chosen by leaving each of
# the first twelve development sets out in turn: 0.9 turned 41 of their 107 missed same-day messages into
# the same-day reply for 7 more look-alikes of 2,457 (0.8: 45 for 18), and none of 868 real questions or
# 1,000 CLINC150 queries. docs/safety.md.
# ...and with no symptom word at all, a description the reader is surer of ("my passenger just slumped over
# in his seat and I can't get him to respond"). Chosen at first contact with dev29-dev32 (reader trained on
# dev1-dev28): at 0.97 it caught 8 of their 29 misses; their look-alikes scored at most 0.69, the real
# questions' train and dev sides 0.45, CLINC150's train and validation requests of eight words or more
# 0.96 (one of 8,922 at 0.974 with the reader trained on dev1-dev28 only).
DESCRIPTION_BAR = 0.97
SAME_DAY_BAR = 0.9
# A same-day sign goes to 911 on the classifier's word only when the emergency-now reader half agrees: on the
# development sets the same-day messages it would have sent to 911 score at most 0.44, the emergencies 0.88+.
SECOND_OPINION_BAR = 0.5


def same_day_words(doc: Any) -> List[Any]:
    """Every symptom word of the message, as same-day flags (role `urgent`)."""
    return [Span(doc, word.start, word.end, label=URGENT) for word in every_symptom_word(doc)]


def serious_words(doc: Any) -> List[Any]:
    """The serious symptom or crisis words happening now (symptom_words.txt), not the everyday ones."""
    return [span for span in doc.spans[SYMPTOMS] if span.label_ == "serious"]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagGuard(_Stateless):
    """Makes the emergency reply depend on red flags, not on the classifier's guess:

    - a red flag happening now is an emergency whatever the classifier says (a same-day sign, such as a
      needle site red and spreading, goes the same way with the role `urgent`: the action picks the tier);
      a same-day sign becomes a 911 emergency when the emergency-now reader is sure, or when the classifier
      says emergency, a serious word beyond the sign itself is happening now and the reader half agrees;
    - with no red flag, people's own descriptions of an emergency happening now or of a same-day sign
      (bot/emergency_now.py) give the emergency or the same-day reply when the reader is sure;
    - the classifier's `emergency` stands on its own only when the message holds a serious symptom or
      crisis word happening now (symptom_words.txt; an everyday one from mild_symptom_words.txt is not
      enough) and no red flag it negated or set aside; otherwise the next intent answers. So "no chest
      pain", questions about risk, history and ordinary off-topic text never get 911 on a guess;
    - a red flag that is not happening now is passed on as a `red_flag_context` entity, so the answer
      can add "if this is happening now, call 911".
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = _doc(message)
            if doc is None:
                continue
            flags = list(doc.spans[FOUND])
            emergencies = [span for span in flags if span.label_ != URGENT]
            if flags and not emergencies and doc._.emergency_now >= EMERGENCY_NOW_BAR:
                # Only same-day signs matched, but the whole message reads as people's emergencies do ("had
                # myeloma, new back pain, and this morning her legs wouldn't hold her"): 911, with the signs.
                emergencies = [Span(doc, s.start, s.end, label=MEDICAL, span_id=s.id_) for s in flags]
            elif (
                flags
                and not emergencies
                and self._top_intent(message) == EMERGENCY
                and doc._.emergency_now >= SECOND_OPINION_BAR
            ):
                # A same-day sign, but the classifier reads the whole message as an emergency and a serious
                # symptom word is happening now ("since the needles breathing in hurts and I only get half a
                # breath"): 911, not "call us today". The words travel as flags of the role `serious`.
                emergencies = [
                    word
                    for word in serious_words(doc)
                    if not any(s.start <= word.start < s.end for s in flags)
                ]  # a word beyond the sign itself: "thigh a bit purple and swollen" is the sign
            if flags:
                self._declare_emergency(message, emergencies or flags)
            elif doc._.emergency_now >= (
                EMERGENCY_NOW_BAR if doc.spans[SYMPTOMS] else DESCRIPTION_BAR
            ) and not held_back(doc, doc.spans[NEGATED], doc.spans[NOT_NOW]):
                # No pattern, but a symptom word happening now and people's own emergencies read like this
                # one (bot/emergency_now.py): 911, with the symptom words as the flags.
                self._declare_emergency(message, doc.spans[SYMPTOMS])
            elif doc._.same_day >= SAME_DAY_BAR:
                # No pattern, but people's own same-day signs read like this one: the same-day reply, with
                # the symptom words (in whatever context: "no fever" is part of it) as same-day flags.
                self._declare_emergency(message, same_day_words(doc))
            elif self._top_intent(message) == EMERGENCY and (
                held_back(doc, doc.spans[NEGATED], doc.spans[NOT_NOW], doc.spans[DENIED])
                or not serious_words(doc)
            ):
                self._drop_emergency(message)
            if doc.spans[NOT_NOW] and not flags:
                self._add_entities(message, NOT_NOW_ENTITY, doc.spans[NOT_NOW])
        return messages

    @staticmethod
    def _top_intent(message: Message) -> Optional[str]:
        return (message.get(INTENT) or {}).get(INTENT_NAME_KEY)

    def _declare_emergency(self, message: Message, spans: Any) -> None:
        top = {INTENT_NAME_KEY: EMERGENCY, PREDICTED_CONFIDENCE_KEY: 1.0}
        # The others keep their order but at most half their confidence, so the FallbackClassifier's
        # ambiguity check (1.0 against a 0.97 the classifier gave another intent) never turns a red
        # flag into `nlu_fallback`, which a form's emergency rule would not see.
        ranking = [
            {**r, PREDICTED_CONFIDENCE_KEY: r[PREDICTED_CONFIDENCE_KEY] * 0.5}
            for r in message.get(INTENT_RANKING_KEY, [])
            if r[INTENT_NAME_KEY] != EMERGENCY
        ]
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        self._add_entities(message, RED_FLAG_ENTITY, spans)

    def _add_entities(self, message: Message, entity: str, spans: Any) -> None:
        found = [
            {
                "entity": entity,
                "value": span.id_ or span.text.lower(),
                "role": span.label_,
                **({"group": span.kb_id_} if span.kb_id_ else {}),
                "start": span.start_char,
                "end": span.end_char,
                "extractor": type(self).__name__,
            }
            for span in spans
        ]
        message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)

    @staticmethod
    def _drop_emergency(message: Message) -> None:
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r[INTENT_NAME_KEY] != EMERGENCY]
        if ranking:
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
