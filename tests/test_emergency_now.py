"""The emergency-now reader (#12): people's own descriptions of an emergency, learnt from the safety
development sets, give 911 only beside a symptom word happening now, never on a guess alone."""

from pathlib import Path

import pytest
import yaml

from bot.components import EMERGENCY_NOW_BAR
from bot.emergency_now import SAFETY_EXAMPLES, Scorer, safety_examples
from bot.red_flags import FOUND

BLIND_SET = Path(__file__).parent / "data" / "safety_eval.yml"


def test_the_blind_safety_set_is_never_learnt_from():
    blind = yaml.safe_load(BLIND_SET.read_text(encoding="utf-8"))
    blind_texts = {item["text"].lower() for tier in blind.values() for item in tier}
    learnt = {text.lower() for text, _ in safety_examples()}
    assert len(learnt) > 1500 and not blind_texts & learnt


def test_every_development_set_has_every_tier():
    for path in sorted(SAFETY_EXAMPLES.glob("*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert {"emergency", "urgent", "look_alike"} <= set(spec), path.name


def test_its_fast_score_is_the_models_own_probability(nlp):
    model = nlp.get_pipe("emergency_now").model
    score = Scorer(model)
    for text in ["his lips are going a funny colour", "how much is a session", "can't breathe"]:
        assert score(text) == pytest.approx(model.predict_proba([text])[0][1], abs=1e-9)


def test_a_description_no_pattern_catches_reads_as_an_emergency(nlp):
    doc = nlp("he is breathing really weirdly and i can't get him to talk to me")
    assert not doc.spans[FOUND] and doc._.emergency_now >= EMERGENCY_NOW_BAR


def test_a_message_that_denies_its_symptoms_is_not_read(nlp):
    """The reader sees words, not "not": it would read "bleeding" and "30 wks" as an emergency."""
    doc = nlp("not bleeding, not cramping, im 30 wks and my hips just ache")
    assert not doc.spans[FOUND] and doc._.emergency_now == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "how much is a first visit",  # no symptom word: never scored
        "can you email my boss that I'm running late",
        "in 2020 my legs went weak and numb and I had surgery on my spine",  # dated: left to the patterns
    ],
)
def test_a_message_without_a_live_symptom_word_or_with_a_date_is_not_scored(nlp, text):
    assert nlp(text)._.emergency_now == 0.0
