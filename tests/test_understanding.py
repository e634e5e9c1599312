"""When the assistant answers, asks "Did you mean ...?", or declines: the answer's own confidence decides."""

import pytest

from actions.understanding import decide, named_area
from tests.conftest import FAQ_TOPICS

OFFERED = ["ims", "acupuncture", "acupressure", "physiotherapy"]


def parse(*ranking, entities=(), text="a question"):
    ranked = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": text, "intent": ranked[0], "intent_ranking": ranked, "entities": list(entities)}


def entity(kind, value):
    return {"entity": kind, "value": value}


def test_a_confident_clear_answer_is_given():
    decision = decide(parse(("needle_pain", 0.97), ("needle_fear", 0.02)), FAQ_TOPICS, OFFERED)
    assert (decision.kind, decision.topic) == ("answer", "needle_pain")


def test_a_close_call_between_two_topics_asks_which_one():
    decision = decide(
        parse(("needle_pain", 0.48), ("needle_fear", 0.41), ("needle_safety", 0.09), ("greet", 0.02)),
        FAQ_TOPICS,
        OFFERED,
    )
    assert decision.kind == "clarify"
    assert decision.candidates == ["needle_pain", "needle_fear", "needle_safety"]


def test_a_confident_intent_is_not_enough_when_the_answer_is_not_clearly_ahead():
    # The Rasa trap: a high score that is not clearly the one answer.
    decision = decide(parse(("session_count", 0.50), ("session_what_to_expect", 0.45)), FAQ_TOPICS, OFFERED)
    assert decision.kind == "clarify"


def test_nothing_close_is_declined_plainly():
    decision = decide(parse(("out_of_scope", 0.9), ("booking", 0.05)), FAQ_TOPICS, OFFERED)
    assert decision.kind == "out_of_scope"
    decision = decide(parse(("nlu_fallback", 0.3), ("greet", 0.2), ("thanks", 0.2)), FAQ_TOPICS, OFFERED)
    assert decision.kind == "out_of_scope"


def test_the_fallback_classifier_is_looked_through_for_candidates():
    decision = decide(
        parse(("nlu_fallback", 0.3), ("needle_type", 0.25), ("needle_pain", 0.2)), FAQ_TOPICS, OFFERED
    )
    assert decision.kind == "clarify"
    assert decision.candidates[:2] == ["needle_type", "needle_pain"]


def test_a_question_about_a_therapy_the_clinic_does_not_offer_is_not_answered():
    decision = decide(
        parse(("needle_pain", 0.99), entities=[entity("therapy", "cupping")]), FAQ_TOPICS, OFFERED
    )
    assert (decision.kind, decision.therapy) == ("other_therapy", "cupping")


def test_comparing_an_offered_therapy_with_another_is_still_answered():
    decision = decide(
        parse(
            ("ims_vs_acupuncture", 0.95), entities=[entity("therapy", "massage"), entity("therapy", "ims")]
        ),
        FAQ_TOPICS,
        OFFERED,
    )
    assert decision.kind == "answer"


def test_an_emergency_comes_before_everything():
    decision = decide(
        parse(("emergency", 1.0), ("booking", 0.0), entities=[entity("therapy", "cupping")]),
        FAQ_TOPICS,
        OFFERED,
    )
    assert decision.kind == "emergency"


@pytest.mark.parametrize(
    "entities, area",
    [
        ([entity("body_part", "shoulder")], "shoulder pain"),
        ([entity("body_part", "lower_back")], "lower back pain"),
        ([entity("condition", "tennis_elbow"), entity("body_part", "elbow")], "tennis elbow"),
        ([entity("therapy", "ims")], None),
    ],
)
def test_the_area_the_patient_named_is_put_in_their_words(entities, area):
    assert named_area({"entities": entities}) == area


def test_an_unsure_answer_is_never_given_outright():
    decision = decide(parse(("needle_type", 0.25), ("out_of_scope", 0.05)), FAQ_TOPICS, OFFERED)
    assert decision.kind == "clarify"
    assert decision.candidates == ["needle_type"]


def test_mid_form_a_question_put_out_of_scope_but_near_one_of_our_topics_is_that_topic():
    from actions.faq import in_a_form

    asked = parse(
        ("out_of_scope", 0.38), ("needle_pain", 0.23), ("bot_identity", 0.05), ("ims_what_is", 0.05)
    )
    outside = decide(asked, FAQ_TOPICS, OFFERED)  # outside a form: "Did you mean", not an answer
    assert (outside.kind, outside.candidates[:1]) == ("clarify", ["needle_pain"])
    decision = decide(in_a_form(asked), FAQ_TOPICS, OFFERED)
    assert (decision.kind, decision.topic) == ("answer", "needle_pain")


def test_mid_form_a_question_far_from_our_topics_stays_out_of_scope():
    from actions.faq import in_a_form

    asked = parse(("out_of_scope", 0.90), ("needle_pain", 0.04), ("greet", 0.03))
    assert decide(in_a_form(asked), FAQ_TOPICS, OFFERED).kind != "answer"
