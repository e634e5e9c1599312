"""Accuracy on the held-out questions: our pipeline against two simple scikit-learn peers.

Ours goes the way `make eval` goes (scripts/evaluate.py): the trained model's NLU, then
`actions.understanding.decide`. The peers learn from the same training data (data/nlu) on the raw
text and answer with their top intent, routed like ours (a form's intent becomes its topic, small
talk its reply's topic) but with no confidence check: they always answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Set, Tuple

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from scripts.evaluate import (
    EMERGENCY,
    FORM_TOPICS,
    OUT_OF_SCOPE,
    ROOT,
    Question,
    read_holdout,
    reply_topics,
    routes,
    run_cases,
)

HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
TRAINING = ROOT / "data" / "nlu"
OURS = "our pipeline"
TFIDF_LR = "TF-IDF + logistic regression"
NEAREST = "nearest neighbour (TF-IDF, cosine)"


@dataclass
class Scores:
    """The three columns of the issue, and the wrong answers and false alarms they trade against."""

    name: str
    topic_right: int
    topic_wrong: int
    faq: int
    oos_rejected: int
    oos: int
    emergencies_caught: int
    emergencies: int
    false_alarms: int
    others: int

    @property
    def topic_accuracy(self) -> float:
        return self.topic_right / self.faq if self.faq else 0.0

    @property
    def oos_rejection(self) -> float:
        return self.oos_rejected / self.oos if self.oos else 0.0

    @property
    def emergency_recall(self) -> float:
        return self.emergencies_caught / self.emergencies if self.emergencies else 0.0


def score(name: str, pairs: Iterable[Tuple[str, str]], topics: Set[str]) -> Scores:
    """Scores (expected, predicted) pairs, predicted being the topic the reply carries."""
    pairs = list(pairs)
    faq = [(e, p) for e, p in pairs if e in topics]
    oos = [p for e, p in pairs if e == OUT_OF_SCOPE]
    emergencies = [p for e, p in pairs if e == EMERGENCY]
    others = [p for e, p in pairs if e != EMERGENCY]
    return Scores(
        name,
        topic_right=sum(e == p for e, p in faq),
        topic_wrong=sum(p in topics and p != e for e, p in faq),
        faq=len(faq),
        oos_rejected=sum(p == OUT_OF_SCOPE for p in oos),
        oos=len(oos),
        emergencies_caught=sum(p == EMERGENCY for p in emergencies),
        emergencies=len(emergencies),
        false_alarms=sum(p == EMERGENCY for p in others),
        others=len(others),
    )


def training_examples(folder: Path = TRAINING) -> List[Tuple[str, str]]:
    """(text, intent) for every example in the NLU files of `folder`."""
    found = []
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                found += [
                    (line.strip()[2:].strip(), block["intent"])
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return found


def peers() -> Dict[str, Callable]:
    """The simple classifiers, each a scikit-learn pipeline on the raw text, lower-cased."""
    return {
        TFIDF_LR: lambda: make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=3000)
        ),
        NEAREST: lambda: make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            KNeighborsClassifier(n_neighbors=1, metric="cosine"),
        ),
    }


def router(topics: Set[str]) -> Callable[[str], str]:
    """The topic a reply carries when the dialogue follows an intent with no confidence check."""
    action_for, small_talk = routes(), reply_topics()

    def routed(intent: str) -> str:
        action = action_for.get(intent, "action_answer_question")
        if action == "action_emergency":
            return EMERGENCY
        if action in FORM_TOPICS:
            return FORM_TOPICS[action]
        if intent in topics | {OUT_OF_SCOPE}:
            return intent
        return small_talk.get(intent, intent)

    return routed


def peer_scores(questions: List[Question], topics: Set[str], training: Path = TRAINING) -> List[Scores]:
    examples = training_examples(training)
    texts, intents = [t for t, _ in examples], [i for _, i in examples]
    routed = router(topics)
    results = []
    for name, make in peers().items():
        model = make().fit(texts, intents)
        predicted = model.predict([q for q, _, _ in questions])
        results.append(
            score(name, [(e, routed(p)) for (_, e, _), p in zip(questions, predicted, strict=True)], topics)
        )
    return results


def our_scores(model: Path, questions: List[Question], topics: Set[str], offered: List[str]) -> Scores:
    cases = asyncio.run(run_cases(model, questions, topics, offered))
    return score(OURS, [(c.expected, c.predicted) for c in cases], topics)


def compare(model: Path, topics: Set[str], offered: List[str], holdout: Path = HOLDOUT) -> List[Scores]:
    questions = read_holdout(holdout)
    return [our_scores(model, questions, topics, offered), *peer_scores(questions, topics)]


def nlu_milliseconds(model: Path, texts: List[str], rounds: int = 3) -> float:
    """Median time of our NLU alone (in-process `Agent.parse_message`, no HTTP) on these messages."""
    import statistics
    import time

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def timed() -> List[float]:
        await agent.parse_message("warm up")
        found = []
        for _ in range(rounds):
            for text in texts:
                started = time.perf_counter()
                await agent.parse_message(text)
                found.append((time.perf_counter() - started) * 1000)
        return found

    return statistics.median(asyncio.run(timed()))
