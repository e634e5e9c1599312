"""The real questions (data/real/, #11): split by site, and the dev and test sides never trained on."""

from __future__ import annotations

from collections import Counter

from scripts.real_questions import TRAINING, read_tsv, real_questions, site, training_yaml, written_examples
from tests.conftest import FAQ_TOPICS
from tests.test_training_data import training_examples

LABELS = set(FAQ_TOPICS) | {"out_of_scope", "emergency"}


def normalised(text: str) -> str:
    return " ".join(text.lower().replace("[", "(").replace("]", ")").split())


def test_every_question_has_a_known_topic_and_a_side():
    rows = real_questions("train") + real_questions("dev") + real_questions("test")
    assert len(rows) >= 1000
    assert {row["topic"] for row in rows} <= LABELS
    assert {t for row in rows for t in row["also_ok"].split(",") if t} <= LABELS


def test_a_site_is_on_one_side_only():
    sides = {
        side: {site(row["source_url"]) for row in real_questions(side)} for side in ("train", "dev", "test")
    }
    assert sides["train"] & sides["test"] == set()
    assert sides["train"] & sides["dev"] == set()
    assert sides["dev"] & sides["test"] == set()
    assert min(len(sides["dev"]), len(sides["test"])) >= 80  # enough sites for the figures to mean something


def test_no_dev_or_test_question_is_trained_on():
    trained = {normalised(example) for lines in training_examples().values() for example in lines}
    held_out = {normalised(row["question"]) for side in ("dev", "test") for row in real_questions(side)}
    assert trained & held_out == set()


def test_the_training_file_is_the_train_side_as_generated():
    train = [row for row in real_questions("train") if row["topic"] != "emergency"]
    assert TRAINING.read_text(encoding="utf-8") == training_yaml(train), (
        "run `python -m scripts.real_questions`"
    )


def test_the_training_file_adds_nothing_our_own_files_already_say():
    generated = {
        normalised(line.strip()[2:])
        for line in TRAINING.read_text().splitlines()
        if line.startswith("    - ")
    }
    assert generated & written_examples() == set()


def test_the_labellers_agreed_on_most_questions():
    rows = read_tsv(TRAINING.parents[1] / "real" / "questions.tsv")
    assert Counter(row["agreed"] for row in rows)["yes"] / len(rows) >= 0.9


def test_the_other_topics_labellers_accepted_reach_the_classifier_as_intent_metadata():
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.components import also_ok

    examples = load_data(str(TRAINING)).intent_examples
    taught_twice = [example for example in examples if also_ok(example)]
    assert len(taught_twice) > 100
    for example in taught_twice:
        others = set(also_ok(example))
        assert others <= set(FAQ_TOPICS) and example.get("intent") not in others  # never declining or 911
