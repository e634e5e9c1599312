"""The actions, run with rasa-sdk's CollectingDispatcher and a real Tracker, on a fresh knowledge base."""

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerQuestion
from actions.safety import ActionEmergency
from actions.small_talk import ActionReply


def tracker(intent, confidence=0.97, *, ranking=(), entities=(), text="a question", misses=0):
    ranked = [{"name": intent, "confidence": confidence}] + [{"name": n, "confidence": c} for n, c in ranking]
    latest = {"text": text, "intent": ranked[0], "intent_ranking": ranked, "entities": list(entities)}
    return Tracker("patient-1", {"misses": misses}, latest, [], False, None, {}, "action_listen")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, events


def topic(message):
    return message["custom"]["topic"]


@pytest.fixture(autouse=True)
def fresh_content(clinic_files):
    """Every action here reads the copy of the content made for this test."""


def test_a_confident_question_gets_its_answer_with_follow_up_buttons(kb):
    messages, events = run(ActionAnswerQuestion(), tracker("needle_pain", text="does dry needling hurt??"))
    [message] = messages
    assert topic(message) == "needle_pain"
    assert message["text"] == kb.answer("needle_pain").text
    assert [b["payload"] for b in message["buttons"]] == [
        "/needle_fear",
        "/needle_safety",
        "/session_what_to_expect",
    ]
    assert events == []


def test_the_answer_speaks_of_the_body_area_the_patient_named():
    messages, _ = run(
        ActionAnswerQuestion(),
        tracker("ims_conditions", entities=[{"entity": "body_part", "value": "shoulder"}]),
    )
    assert "shoulder pain" in messages[0]["text"]
    assert topic(messages[0]) == "ims_conditions"


def test_a_close_call_asks_did_you_mean_with_buttons_and_something_else(kb):
    messages, events = run(
        ActionAnswerQuestion(),
        tracker("needle_pain", 0.5, ranking=[("needle_fear", 0.45)], text="needles and me"),
    )
    [message] = messages
    assert topic(message) == "clarify"
    assert "Did you mean" in message["text"]
    titles = [b["title"] for b in message["buttons"]]
    assert titles[:2] == [kb.answer("needle_pain").question, kb.answer("needle_fear").question]
    assert titles[-1] == "Something else"
    assert events == [SlotSet("misses", 1)]


def test_out_of_scope_says_so_plainly_and_offers_staff():
    messages, events = run(ActionAnswerQuestion(), tracker("out_of_scope", 0.99, text="book me a flight"))
    [message] = messages
    assert topic(message) == "out_of_scope"
    assert "can't answer" in message["text"]
    assert {"title": "Talk to staff", "payload": "/handoff_request"} in message["buttons"]


def test_two_misses_in_a_row_offer_staff_again_with_the_phone_number():
    messages, events = run(ActionAnswerQuestion(), tracker("out_of_scope", 0.99, misses=1))
    assert "haven't been able to help" in messages[0]["text"]
    assert "604-555-0100" in messages[0]["text"]
    assert events == [SlotSet("misses", 0)]


def test_an_answer_resets_the_miss_count():
    _, events = run(ActionAnswerQuestion(), tracker("booking", misses=1))
    assert events == [SlotSet("misses", 0)]


def test_another_therapy_is_named_in_the_reply():
    messages, _ = run(
        ActionAnswerQuestion(), tracker("needle_pain", entities=[{"entity": "therapy", "value": "cupping"}])
    )
    assert topic(messages[0]) == "out_of_scope"
    assert "cupping" in messages[0]["text"]


def test_an_emergency_gets_911_and_988_and_names_the_red_flags():
    messages, _ = run(
        ActionEmergency(),
        tracker("emergency", 1.0, entities=[{"entity": "red_flag", "value": "suicide"}], text="kms"),
    )
    [message] = messages
    assert topic(message) == "emergency"
    assert "911" in message["text"] and "988" in message["text"]
    assert message["custom"]["red_flags"] == ["suicide"]


def test_a_same_day_sign_gets_the_urgent_tier_with_the_clinics_numbers(clinic_files):
    clinic = clinic_files.clinic_config
    clinic.write_text(
        clinic.read_text()
        .replace('emergency_number: "911"', 'emergency_number: "999"')
        .replace('nurse_line: "811"', 'nurse_line: "111"')
    )
    urgent = {"entity": "red_flag", "value": "needle_site_infection", "role": "urgent"}
    [message], _ = run(ActionEmergency(), tracker("emergency", 1.0, entities=[urgent]))
    assert topic(message) == "urgent"
    assert "111" in message["text"] and "999" in message["text"] and "911" not in message["text"]


def test_an_emergency_beside_a_same_day_sign_gets_911():
    flags = [
        {"entity": "red_flag", "value": "needle_site_infection", "role": "urgent"},
        {"entity": "red_flag", "value": "sepsis_infection", "role": "medical"},
    ]
    [message], _ = run(ActionEmergency(), tracker("emergency", 1.0, entities=flags))
    assert topic(message) == "emergency"


@pytest.mark.parametrize(
    "group, line",
    [("medical", "right now, call 911"), ("mental_health", "call or text 988")],
)
def test_a_red_flag_asked_about_not_as_happening_now_gets_the_answer_and_what_to_do_if_it_is(kb, group, line):
    set_aside = {"entity": "red_flag_context", "value": "chest_pain", "role": "risk", "group": group}
    [message], _ = run(ActionAnswerQuestion(), tracker("needle_safety", 0.9, entities=[set_aside]))
    assert topic(message) == "needle_safety"
    assert kb.answer("needle_safety").text.split()[0] in message["text"]
    assert line in message["text"]
    assert message["custom"]["red_flags_not_now"] == ["chest_pain"]


def test_an_emergency_reply_never_fails_even_without_content(clinic_files):
    (clinic_files.content_dir / "replies.yml").unlink()
    messages, _ = run(ActionEmergency(), tracker("emergency", 1.0))
    assert topic(messages[0]) == "emergency" and "911" in messages[0]["text"]


def test_the_greeting_says_it_is_automated_not_medical_advice_and_how_to_reach_a_person():
    messages, _ = run(ActionReply(), tracker("greet"))
    text = messages[0]["text"]
    assert topic(messages[0]) == "greet"
    assert "automated assistant" in text and "medical advice" in text and "604-555-0100" in text
    assert "Talk to staff" in [b["title"] for b in messages[0]["buttons"]]


@pytest.mark.parametrize(
    "intent, expected_topic",
    [
        ("goodbye", "goodbye"),
        ("thanks", "thanks"),
        ("bot_identity", "bot_identity"),
        ("something_else", "clarify"),
        ("unhelpful", "feedback"),
    ],
)
def test_small_talk_replies_carry_their_topic(intent, expected_topic):
    messages, _ = run(ActionReply(), tracker(intent))
    assert topic(messages[0]) == expected_topic
    assert messages[0]["text"]


def test_broken_content_still_gets_a_kind_reply(clinic_files):
    (clinic_files.content_dir / "faq.yml").write_text("topics: [")
    clinic_files.knowledge_db.unlink(missing_ok=True)
    messages, _ = run(ActionAnswerQuestion(), tracker("needle_pain"))
    assert messages[0]["custom"]["topic"] == "out_of_scope"
    assert "something went wrong" in messages[0]["text"].lower()
