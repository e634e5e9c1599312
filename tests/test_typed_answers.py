"""Typed answers read the same way at every step: every button's title and the usual words for it,
fillers that are never names, questions that are not answers, corrections, requests to book."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from actions.settings import PROJECT
from actions.typed_answers import (
    Message,
    Vocabulary,
    asks_to_book,
    choice,
    field_named,
    is_correction,
    is_question,
    new_or_returning,
    time_said,
)
from clinic.content import therapies
from clinic.settings import ClinicFiles

SPEC = yaml.safe_load((PROJECT / "content" / "booking.yml").read_text())
WORDS = Vocabulary.from_content(SPEC)
CHOICES = ["cancel", "change", "yes", "no", "skip"]


def said(text: str, intent: str = "inform") -> Message:
    return Message(text, intent, 0.5)


def buttons():
    for section in ("booking", "handoff"):
        for step, ask in SPEC[section]["asks"].items():
            for button in ask.get("buttons", []):
                yield step, button["title"], button["payload"]


def payload_meaning(payload: str):
    """What clicking the button means: the intent's choice, or the value it carries."""
    intent, _, entities = payload.lstrip("/").partition("{")
    if entities:
        return next(iter(json.loads("{" + entities).values()))
    return {"affirm": "yes", "deny": "no", "stop": "cancel", "change_field": "change"}[intent]


@pytest.mark.parametrize("step, title, payload", list(buttons()), ids=lambda v: str(v))
def test_every_buttons_title_typed_means_what_clicking_it_means(step, title, payload):
    meaning = payload_meaning(payload)
    typed = said(title)
    if step == "therapy":
        files = ClinicFiles(clinic_config=PROJECT / "clinic.yml", content_dir=PROJECT / "content")
        assert therapies(files).read(title) == meaning
    elif step == "new_patient":
        assert new_or_returning(typed, WORDS) == meaning
    elif step == "reason":
        assert choice(typed, WORDS, ["skip", "no"]) in ("skip", "no")
    else:
        assert choice(typed, WORDS, CHOICES) == meaning


@pytest.mark.parametrize(
    "text, meant",
    [
        ("yes", "yes"), ("yep", "yes"), ("sure", "yes"), ("looks good", "yes"), ("send it", "yes"),
        ("that looks good, send it", "yes"), ("ok", "yes"), ("Yes, I agree", "yes"),
        ("change", "change"), ("edit", "change"), ("fix", "change"), ("change something", "change"),
        ("cancel", "cancel"), ("never mind", "cancel"), ("ok never mind", "cancel"), ("forget it", "cancel"),
        ("no", "no"), ("nope", "no"), ("no, I don't want you to keep my details", "no"),
        ("I'd rather not", "no"), ("skip", "skip"),
        ("not sure", None), ("does it hurt?", None), ("Jordan Lee", None),
    ],
)  # fmt: skip
def test_the_usual_words_for_each_choice_are_the_same_at_every_step(text, meant):
    assert choice(said(text), WORDS, CHOICES) == meant


def test_a_clicked_button_is_read_by_its_intent_and_a_confident_intent_backs_up_the_words():
    assert choice(Message("/affirm", "affirm", 1.0), WORDS, CHOICES) == "yes"
    assert choice(Message("that is all correct thank you very much", "affirm", 0.95), WORDS, CHOICES) == "yes"
    assert choice(Message("that is all correct thank you very much", "affirm", 0.4), WORDS, CHOICES) is None


@pytest.mark.parametrize(
    "text",
    ["actually, can you tell me if it hurts first?", "does it hurt", "how much is it", "ok so what is IMS"],
)
def test_questions_are_told_from_answers(text):
    assert is_question(said(text), WORDS)


@pytest.mark.parametrize("text", ["Jordan Lee", "604 555 0142", "weekday mornings", "I'm new"])
def test_answers_are_not_questions(text):
    assert not is_question(said(text), WORDS)


@pytest.mark.parametrize(
    "text, field",
    [
        ("change the time to Friday", "preferred_time"),
        ("actually my number is 604-555-0177", "contact"),
        ("make it acupuncture", "therapy"),
        ("the name", "name"),
        ("Phone or email", "contact"),
    ],
)
def test_corrections_name_the_detail_they_change(text, field):
    assert field_named(said(text), WORDS) == field
    assert is_correction(said(text), WORDS) or text in ("the name", "Phone or email")


@pytest.mark.parametrize(
    "text, books",
    [
        ("Can I book acupuncture for next Monday morning? My name is Ana Ruiz", True),
        ("can I book IMS", True),
        ("I'm not sure which treatment I need, can I book something?", True),
        ("how do I book?", False),
        ("can I book online?", False),
        ("does IMS hurt?", False),
    ],
)
def test_a_request_to_book_is_told_from_a_question_about_booking(text, books):
    assert asks_to_book(said(text), WORDS) is books


def test_every_word_list_is_text_not_a_yaml_boolean():
    """`no`, `yes` and `on` unquoted are booleans in YAML: every list must read as words."""
    for key in ("choices", "field_words", "new_patient_words"):
        for name, words in SPEC[key].items():
            assert isinstance(name, str) and all(isinstance(w, str) for w in words), key
    for key in (
        "not_names",
        "fillers",
        "time_words",
        "correction_words",
        "question_corrections",
        "question_words",
        "lead_words",
    ):
        assert all(isinstance(w, str) and re.fullmatch(r"[\w' ./?-]+", w) for w in SPEC[key]), key


@pytest.mark.parametrize(
    "typed, spacy_term, meant",
    [
        ("not IMS, acupuncture", "ims", "acupuncture"),
        ("acupuncture instead of ims please", "acupuncture", "acupuncture"),
        ("no ims, the acupuncture", "ims", "acupuncture"),
        ("not acupuncture", "acupuncture", None),
        ("I'm not sure", None, "not_sure"),
    ],
)
def test_a_therapy_the_patient_rules_out_is_never_the_one_booked(typed, spacy_term, meant):
    files = ClinicFiles(clinic_config=PROJECT / "clinic.yml", content_dir=PROJECT / "content")
    assert therapies(files).read(typed, spacy_term) == meant


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("I can't go on Tuesday, can we do Wednesday?", "Wednesday"),
        ("tuesday doesnt work would wednesday be ok", "wednesday"),
        ("cant do mon but tues is fine", "tues"),
        ("I can't do mornings, afternoons are better", "afternoons"),
        ("not tuesday, wednesday", "wednesday"),
        ("Tuesday is no good", None),
        ("sorry, I can't make Monday after all", None),
        ("text only please, I work nights", None),  # the hours someone works are when they can't come
        ("I work mornings so afternoons are better", "afternoons"),
    ],
)
def test_a_time_turned_down_is_never_the_time_asked_for(text, wanted):
    said_ = time_said(text, WORDS)
    assert said_.turned_down and said_.changes and said_.wanted == wanted


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("I can't come before 5", "before 5"),  # a limit: when the patient can come
        ("busy until Friday", "Friday"),
        ("I can't do anything except Tuesday", "Tuesday"),
        ("can't wait for Tuesday!", "Tuesday"),
        ("next Monday morning", "next Monday morning"),
        ("I'm not sure about Tuesday", "Tuesday"),
    ],
)
def test_a_limit_or_a_plain_time_turns_nothing_down(text, wanted):
    said_ = time_said(text, WORDS)
    assert not said_.turned_down and said_.wanted == wanted


@pytest.mark.parametrize(
    "text, offered",
    [
        ("how about Wednesday?", True),
        ("can we do on wednesday", True),
        ("is 3pm ok?", True),
        ("does Tuesday work?", True),
        ("are you open Saturday?", False),  # asks about the clinic's hours
        ("is it ok to come Tuesday if I have a cold?", False),  # asks about coming with a cold
    ],
)
def test_a_time_offered_as_a_question_is_told_from_a_question_about_a_time(text, offered):
    assert time_said(text, WORDS).changes is offered
