"""The training data, domain and rules agree with the knowledge base; the held-out set stays held out."""

from pathlib import Path

import yaml

from actions.settings import PROJECT
from tests.conftest import FAQ_TOPICS

HOLDOUT = PROJECT / "tests" / "data" / "nlu_holdout.yml"
NON_FAQ_INTENTS = [
    "out_of_scope",
    "emergency",
    "greet",
    "goodbye",
    "thanks",
    "bot_identity",
    "handoff_request",
    "something_else",
    "unhelpful",
    "request_booking",
    "inform",
    "affirm",
    "deny",
    "stop",
    "change_field",
    "not_english",
    "forget_conversation",
]


def examples(path: Path) -> dict:
    found: dict = {}
    for block in yaml.safe_load(path.read_text())["nlu"]:
        lines = [line.strip()[2:].strip() for line in block["examples"].splitlines() if line.strip()]
        found.setdefault(block["intent"], []).extend(lines)
    return found


def training_examples() -> dict:
    found: dict = {}
    for path in sorted((PROJECT / "data" / "nlu").glob("*.yml")):
        for intent, lines in examples(path).items():
            found.setdefault(intent, []).extend(lines)
    return found


def test_every_faq_topic_is_an_intent_with_varied_examples():
    training = training_examples()
    for topic in FAQ_TOPICS:
        assert len(training.get(topic, [])) >= 25, topic
    assert len(training["out_of_scope"]) >= 150
    assert len(training["emergency"]) >= 60


def test_the_domain_declares_exactly_the_faq_topics_and_the_other_intents():
    domain = yaml.safe_load((PROJECT / "domain.yml").read_text())
    assert sorted(domain["intents"]) == sorted(FAQ_TOPICS + NON_FAQ_INTENTS)
    assert set(training_examples()) == set(domain["intents"])


def test_every_intent_has_a_rule_sending_it_to_an_action():
    ruled = set()
    for path in (PROJECT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            ruled.update(step["intent"] for step in rule["steps"] if "intent" in step)
    assert ruled >= set(FAQ_TOPICS + NON_FAQ_INTENTS + ["nlu_fallback"])


def test_the_held_out_questions_are_never_used_for_training():
    assert not HOLDOUT.is_relative_to(PROJECT / "data")
    trained = {e.lower() for lines in training_examples().values() for e in lines}
    held_out = {e.lower() for lines in examples(HOLDOUT).values() for e in lines}
    assert trained & held_out == set()


def test_the_held_out_set_is_big_enough_to_mean_something():
    held_out = examples(HOLDOUT)
    assert all(len(held_out[topic]) >= 10 for topic in FAQ_TOPICS)
    assert len(held_out["out_of_scope"]) >= 60
    assert len(held_out["emergency"]) >= 20


def test_other_assistants_requests_teach_only_out_of_scope_and_say_where_they_come_from():
    path = PROJECT / "data" / "nlu" / "clinc_negatives.yml"
    assert set(examples(path)) == {"out_of_scope"}
    assert "CLINC150" in path.read_text(encoding="utf-8") and "CC BY 3.0" in path.read_text(encoding="utf-8")


def test_no_example_is_taught_as_two_intents():
    seen: dict = {}
    for path in sorted((PROJECT / "data" / "nlu").glob("*.yml")):
        for intent, texts in examples(path).items():
            for text in texts:
                seen.setdefault(" ".join(text.lower().split()), set()).add(intent)
    assert {text: intents for text, intents in seen.items() if len(intents) > 1} == {}
