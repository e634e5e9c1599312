"""How likely a message describes an emergency happening now, or a same-day sign, learnt from messages
people wrote (#12).

The red-flag patterns catch the wordings they list; people describing an emergency in their own words
("his lips are going a funny colour", "my leg is twice the size of the other one and I can't get my
breath") often use none of them. This component is a second reader for those: words and word pairs
and logistic regression, trained when the pipeline is built on

- emergencies from the safety development sets (`bot/safety_examples/`, each by an author who never
  read our patterns) and the classifier's `emergency` examples (data/nlu/emergency.yml), against
- the same sets' look-alikes and same-day signs (risk questions, history, idioms, negations...) and every
  other training example in data/nlu.

It scores a message with no red flag found only when it holds a symptom or crisis word happening now
(the `symptom_words` span group) or is a description of eight words or more, no cue anywhere that dates
or distances it (history, risk, a what-if, a reason for treatment, an idiom) and no symptom word denied
("not bleeding, not cramping"): "in 2020 my legs went weak and numb" is left to the patterns, and a
description with no symptom word needs a surer score (RedFlagGuard's `DESCRIPTION_BAR`). A message whose
only red flags are same-day signs is always scored: the sign is there, and the reader tells
"had myeloma, new back pain" from "had myeloma, new back pain, and this morning her legs wouldn't
hold her".
`doc._.emergency_now` is the probability, or 0.0 when the message was not scored.

A second model reads same-day signs the same way (`doc._.same_day`): the sets' same-day messages against
their look-alikes and the other training examples (emergencies left out: they are neither). Same-day
messages say what is *not* happening ("no fever", "breathing fine") and when the session was ("since
Tuesday's IMS"), so it needs only a symptom word anywhere in the message, in any context, and no red flag
found; what the words around it mean is what it learnt from the look-alikes. RedFlagGuard
(bot/components.py) acts on both.
"""

import math
from collections import Counter
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import joblib
import yaml
from rasa.shared.nlu.constants import INTENT, TEXT
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from spacy.language import Language
from spacy.tokens import Doc, Span

from bot.features import classifier_text
from bot.red_flags import (
    CUES,
    DENIED,
    FOUND,
    SENTENCE_ENDS,
    SYMPTOMS,
    TELLS_NOW,
    every_symptom_word,
    extent,
    held_back,
    turned,
)

PROJECT = Path(__file__).resolve().parents[1]
SAFETY_EXAMPLES = Path(__file__).parent / "safety_examples"
NLU_DATA = PROJECT / "data" / "nlu"
MODEL_FILE = "model.joblib"
SAME_DAY_FILE = "same_day.joblib"
EMERGENCY, URGENT, OTHER = "emergency", "urgent", "other"
TIERS = ("emergency", "urgent", "look_alike")

for extension in ("emergency_now", "same_day"):
    if not Doc.has_extension(extension):
        Doc.set_extension(extension, default=0.0)


# A message with no symptom word is read only when it is a description this long (in words): "I heard a
# thud, my wife is on the bathroom floor with her eyes open but she's not answering me" names no symptom
# from symptom_words.txt; "i can't tell" or "cant say" (CLINC150 requests it scores 0.97+) are replies.
DESCRIPTION_WORDS = 8


def words(doc: Doc) -> int:
    return sum(1 for token in doc if not (token.is_punct or token.is_space))


def safety_examples(folder: Path = SAFETY_EXAMPLES) -> List[Tuple[str, str]]:
    """(message, tier) from every development set: emergency, urgent or look_alike."""
    found = []
    for path in sorted(folder.glob("*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for tier in TIERS:
            found += [(item["text"], tier) for item in spec.get(tier) or []]
    return found


def nlu_examples(folder: Path = NLU_DATA) -> List[Tuple[str, str]]:
    """(example, `emergency` or `other`) from the classifier's training data, read as Rasa reads it."""
    from rasa.shared.nlu.training_data.loading import load_data  # only when the pipeline is built

    return [
        (example.get(TEXT), EMERGENCY if example.get(INTENT) == EMERGENCY else OTHER)
        for example in load_data(str(folder)).intent_examples
    ]


def train(texts: List[str], positives: List[bool]) -> Pipeline:
    # Words and word pairs only: letter n-grams caught no more of the fourth development set's emergencies
    # and cost three times the time (1.4 ms a message against 0.5).
    # Balanced classes: there are ~10 ordinary messages for each emergency, ~40 for each same-day sign.
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=3000, class_weight="balanced"),
    )
    model.fit(texts, positives)
    return model


class Scorer:
    """The model's probability for a text, computed directly from its weights: sklearn's own
    `predict_proba` costs ~0.4 ms of checks for one message, this ~0.05 ms (tests check they agree)."""

    def __init__(self, model: Pipeline) -> None:
        vectorizer, regression = model.steps[0][1], model.steps[-1][1]
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary, self.idf = vectorizer.vocabulary_, vectorizer.idf_
        self.coefficients, self.intercept = regression.coef_[0], float(regression.intercept_[0])

    def __call__(self, text: str) -> float:
        counts = Counter(
            index for term in self.analyze(text) if (index := self.vocabulary.get(term)) is not None
        )
        # sublinear tf-idf, normalised, as the vectorizer was configured
        weights = {index: (1 + math.log(count)) * self.idf[index] for index, count in counts.items()}
        norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
        z = self.intercept + sum(
            weight / norm * self.coefficients[index] for index, weight in weights.items()
        )
        return 1 / (1 + math.exp(-z))


def told_undated(doc: Doc, dating: List[Span]) -> bool:
    """Whether a symptom word stands in a sentence no cue dates or distances: a question about risk
    dates its own sentence, not the next ("should I be worried about how much blood there is? dad cut his
    arm and he's gone pale and confused")."""
    for word in doc.spans[SYMPTOMS]:
        start, end = extent(doc, word.start, word.end, SENTENCE_ENDS)
        if not any(start <= cue.start < end and not turned(doc, word, cue.start, cue.end) for cue in dating):
            return True  # "can needling help a cut lol no seriously i sliced my finger": the joke is over
    return False


class EmergencyNow:
    def __init__(self, nlp: Language, name: str = "emergency_now") -> None:
        self.name = name
        self.model: Optional[Pipeline] = None
        self.score: Optional[Scorer] = None
        self.same_day_model: Optional[Pipeline] = None
        self.same_day: Optional[Scorer] = None

    def initialize(self, get_examples=None, nlp: Optional[Language] = None) -> None:
        """Nothing to learn yet: `fit` runs once the pipeline before it is complete (bot/pipeline.py)."""

    def fit(self, nlp: Language, examples: Iterable[Tuple[str, str]]) -> None:
        """Learns both readers from (message, tier) pairs: emergency, urgent, or anything else."""
        texts, tiers = zip(*examples, strict=True)
        earlier = [name for name in nlp.pipe_names if name != self.name]
        with nlp.select_pipes(enable=earlier):
            read = [classifier_text(doc) for doc in nlp.pipe(texts)]
        self.model = train(list(read), [tier == EMERGENCY for tier in tiers])
        self.score = Scorer(self.model)
        others = [(text, tier == URGENT) for text, tier in zip(read, tiers, strict=True) if tier != EMERGENCY]
        self.same_day_model = train([text for text, _ in others], [urgent for _, urgent in others])
        self.same_day = Scorer(self.same_day_model)

    def __call__(self, doc: Doc) -> Doc:
        dating = [cue for cue in doc.spans[CUES] if cue.label_ not in TELLS_NOW]
        # it reads words, not "not": "not bleeding, not cramping, 30 wks"; but "not an emergency maybe, but my
        # dad took a week's worth of his pills and now he's really dizzy" denies only the writer's verdict
        denies = held_back(doc, doc.spans[DENIED])
        same_day_signs_only = doc.spans[FOUND] and all(span.label_ == URGENT for span in doc.spans[FOUND])
        # The readers that read this message (None: not scored), and the text they score, made once.
        unflagged = not doc.spans[FOUND] and not denies
        described = doc.spans[SYMPTOMS] or words(doc) >= DESCRIPTION_WORDS
        live = unflagged and ((not dating and described) or told_undated(doc, dating))
        emergency = self.score if same_day_signs_only or live else None
        same_day = self.same_day if not doc.spans[FOUND] and every_symptom_word(doc) else None
        if emergency is None and same_day is None:
            return doc
        text = classifier_text(doc)
        if emergency is not None:
            doc._.emergency_now = emergency(text)
        if same_day is not None:
            doc._.same_day = same_day(text)
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.model, path / MODEL_FILE)
        joblib.dump(self.same_day_model, path / SAME_DAY_FILE)

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "EmergencyNow":
        self.model = joblib.load(Path(path) / MODEL_FILE)
        self.score = Scorer(self.model) if self.model is not None else None
        self.same_day_model = joblib.load(Path(path) / SAME_DAY_FILE)
        self.same_day = Scorer(self.same_day_model) if self.same_day_model is not None else None
        return self


@Language.factory("emergency_now")
def make_emergency_now(nlp: Language, name: str) -> EmergencyNow:
    return EmergencyNow(nlp, name)
