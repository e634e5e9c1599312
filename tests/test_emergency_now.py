"""The emergency-now and same-day readers (#12): people's own descriptions of an emergency or of a
same-day sign, learnt from the safety development sets; 911 only beside a symptom word happening now,
the same-day reply only beside a symptom word, never on a guess alone."""

from pathlib import Path

import pytest
import yaml

from bot.components import DESCRIPTION_BAR, EMERGENCY_NOW_BAR, SAME_DAY_BAR
from bot.emergency_now import SAFETY_EXAMPLES, Scorer, safety_examples
from bot.red_flags import FOUND, SYMPTOMS

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


@pytest.mark.parametrize("reader", ["model", "same_day_model"])
def test_its_fast_score_is_the_models_own_probability(nlp, reader):
    model = getattr(nlp.get_pipe("emergency_now"), reader)
    score = Scorer(model)
    for text in ["his lips are going a funny colour", "how much is a session", "can't breathe"]:
        assert score(text) == pytest.approx(model.predict_proba([text])[0][1], abs=1e-9)


def test_a_description_no_pattern_catches_reads_as_an_emergency(nlp):
    doc = nlp("my vomit looks like coffee grounds and I'm dizzy and pale")
    assert not doc.spans[FOUND] and doc._.emergency_now >= EMERGENCY_NOW_BAR


def test_a_message_that_denies_its_symptoms_is_not_read(nlp):
    """The reader sees words, not "not": it would read "bleeding" and "30 wks" as an emergency."""
    doc = nlp("not bleeding, not cramping, im 30 wks and my hips just ache")
    assert not doc.spans[FOUND] and doc._.emergency_now == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "how much is a first visit",  # no symptom word and too short to be a description: never scored
        "i can't tell",  # a reply in a form, not a description (CLINC150's "cant say" scores 0.98)
        "in 2020 my legs went weak and numb and I had surgery on my spine",  # dated: left to the patterns
    ],
)
def test_a_short_message_without_a_live_symptom_word_or_with_a_date_is_not_scored(nlp, text):
    assert nlp(text)._.emergency_now == 0.0


def test_a_long_message_without_symptom_words_is_read_as_a_possible_description(nlp):
    """People describe emergencies in words symptom_words.txt does not list ("I heard a thud, she's on the
    floor with her eyes open, not answering"): a message of eight words or more is read too, and needs
    DESCRIPTION_BAR, surer than EMERGENCY_NOW_BAR, for 911. An ordinary request of that length stays far
    below it (CLINC150's train and validation requests: at most 0.96)."""
    doc = nlp("can you email my boss that I'm running late this morning")
    assert not doc.spans[SYMPTOMS] and 0.0 < doc._.emergency_now < 0.5 < EMERGENCY_NOW_BAR < DESCRIPTION_BAR


def test_a_same_day_sign_no_pattern_catches_reads_as_same_day(nlp):
    doc = nlp("the spot where you needled my hip is getting redder and warmer every day, no fever")
    assert not doc.spans[FOUND] and doc._.same_day >= SAME_DAY_BAR
    assert doc._.emergency_now < EMERGENCY_NOW_BAR


@pytest.mark.parametrize(
    "text",
    [
        "how much is a first visit",  # no symptom word: never scored
        "can you book me in for thursday after work",
        "since the needles my chest hurts when I breathe in",  # a red flag: the patterns decide
    ],
)
def test_the_same_day_reader_reads_only_symptom_words_no_pattern_caught(nlp, text):
    assert nlp(text)._.same_day == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "I had a stroke two years ago, can IMS help my shoulder?",
        "my knee is sore after running, can physio help?",
        "is it normal to feel a bit tired and achy the day after acupuncture?",
    ],
)
def test_ordinary_questions_with_symptom_words_are_not_same_day(nlp, text):
    assert nlp(text)._.same_day < SAME_DAY_BAR


def test_a_message_whose_only_flags_are_same_day_signs_is_read_for_an_emergency(nlp):
    """The sign is there; the reader tells a same-day sign from an emergency told around it."""
    doc = nlp("the needle site on my back is hot and swollen")
    assert {span.label_ for span in doc.spans[FOUND]} == {"urgent"}
    assert 0.0 < doc._.emergency_now < EMERGENCY_NOW_BAR


def test_a_question_about_risk_dates_its_own_sentence_not_the_next(nlp):
    """ "Should I be worried about..." asks; the next sentence tells what is happening, and is read."""
    asked_then_told = nlp(
        "should I be worried about how much blood there is? my son went through the glass door and he's "
        "gone pale and confused"
    )
    assert asked_then_told._.emergency_now >= EMERGENCY_NOW_BAR
    assert nlp("should I be worried about bleeding after needling?")._.emergency_now == 0.0
