"""The booking form's validation action, run as Rasa runs it: rasa-sdk's dispatcher and a real Tracker."""

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import ActionSubmitBooking, ValidateBookingForm
from actions.forms import ASK_ACTIONS
from actions.settings import PROJECT

DOMAIN = yaml.safe_load((PROJECT / "domain.yml").read_text())


@pytest.fixture(autouse=True)
def fresh_content(clinic_files):
    """Content and knowledge base copied for each test."""


def tracker(text, *, requested=None, intent="inform", confidence=0.9, entities=(), **slots):
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": list(entities)}
    return Tracker(
        "patient-2",
        {"requested_slot": requested, **slots},
        message,
        [],
        False,
        None,
        {"name": "booking_form"},
        "action_listen",
    )


def validate(tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateBookingForm().run(dispatcher, tracker_, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def test_a_phone_number_answer_is_normalised_and_typed():
    slots, messages = validate(tracker("604 555 0142", requested="contact"))
    assert slots["contact"] == "+16045550142" and slots["contact_type"] == "phone"
    assert messages == []


def test_a_bad_contact_is_asked_again_then_the_clinic_phone_is_offered():
    slots, messages = validate(tracker("call me", requested="contact"))
    assert slots["contact"] is None and slots["failures"] == 1
    assert messages[0]["custom"] == {"topic": "booking", "asks": "contact"}
    slots, messages = validate(tracker("still not", requested="contact", failed_slot="contact", failures=1))
    assert slots["failures"] == 2
    assert "604-555-0100" in messages[0]["text"]


def test_details_in_the_first_message_fill_their_slots():
    slots, _ = validate(
        tracker(
            "book acupuncture for Jordan, 604 555 0142",
            intent="request_booking",
            entities=[{"entity": "therapy", "value": "acupuncture"}],
        )
    )
    assert slots["therapy"] == "acupuncture"
    assert slots["name"] == "Jordan"
    assert slots["contact"] == "+16045550142"


def test_a_question_asked_mid_form_is_not_taken_as_the_answer():
    slots, _ = validate(tracker("does it hurt?", requested="preferred_time", intent="needle_pain"))
    assert "preferred_time" not in slots


def test_a_preferred_time_is_kept_as_written_with_what_we_read():
    slots, _ = validate(tracker("next tuesday afternoon", requested="preferred_time"))
    kept, read = slots["preferred_time"].split(" (")
    assert kept == "next tuesday afternoon"
    assert read.startswith("Tuesday ") and read.endswith(", afternoon)")  # dated: "Tuesday 1 December"


@pytest.mark.parametrize(
    "text, value", [("I'm new", "new"), ("I've been before", "returning"), ("first time", "new")]
)
def test_new_or_returning_is_understood_in_words(text, value):
    slots, _ = validate(tracker(text, requested="new_patient"))
    assert slots["new_patient"] == value


def test_skipping_the_reason_keeps_nothing():
    slots, _ = validate(tracker("skip", requested="reason", intent="deny"))
    assert slots["reason"] == ""


def test_no_consent_ends_the_questions():
    slots, _ = validate(tracker("no, I don't want you to keep my details", requested="consent"))
    assert slots["consent"] is False
    assert slots["requested_slot"] is None  # the summary is not asked
    required = asyncio.run(
        ValidateBookingForm().required_slots(
            ["therapy", "confirm"], CollectingDispatcher(), tracker("x", consent=False), DOMAIN
        )
    )
    assert required == ["consent"]  # already answered, so the form ends


def test_changing_a_field_clears_it_so_the_form_asks_again():
    slots, _ = validate(
        tracker(
            "/change_field",
            requested="confirm",
            intent="change_field",
            entities=[{"entity": "field", "value": "contact"}],
        )
    )
    assert slots["contact"] is None and slots["confirm"] is None


def test_change_something_without_saying_what_offers_the_fields():
    slots, messages = validate(tracker("change something", requested="confirm", intent="change_field"))
    assert slots["confirm"] is None and slots["changing"] is True
    dispatcher = CollectingDispatcher()
    ask = ASK_ACTIONS["action_ask_booking_form_confirm"]
    asyncio.run(ask().run(dispatcher, tracker("change something", changing=True), DOMAIN))
    assert "Phone or email" in [b["title"] for b in dispatcher.messages[0]["buttons"]]


def test_every_prompt_says_which_slot_it_asks():
    for name, action in ASK_ACTIONS.items():
        if not name.startswith("action_ask_booking_form"):
            continue
        dispatcher = CollectingDispatcher()
        slots = {
            "therapy": "ims",
            "name": "Jordan",
            "contact": "+16045550142",
            "preferred_time": "mornings",
            "new_patient": "new",
            "reason": "",
        }
        asyncio.run(action().run(dispatcher, tracker("x", **slots), DOMAIN))
        assert dispatcher.messages[0]["custom"] == {"topic": "booking", "asks": action.slot}


def test_without_consent_nothing_is_submitted_and_the_details_are_deleted():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSubmitBooking().run(dispatcher, tracker("no", consent=False), DOMAIN))
    assert "sent nothing" in dispatcher.messages[0]["text"]
    assert {"event": "slot", "timestamp": None, "name": "forget", "value": "form"} in events


def test_characters_the_api_would_refuse_are_dropped_from_a_request_not_the_request():
    from actions.submit import plain

    pasted = {
        "name": "Jo\x00rdan",
        "transcript": [{"who": "patient", "text": "pain \ud800here"}],
        "consent": True,
    }
    assert plain(pasted) == {
        "name": "Jordan",
        "transcript": [{"who": "patient", "text": "pain here"}],
        "consent": True,
    }


def test_a_long_preferred_time_still_fits_the_request():
    said = ("tuesday at 3pm " + "or really any afternoon that suits the physio, " * 5)[:199]
    slots, _ = validate(tracker(said, requested="preferred_time"))
    assert slots["preferred_time"].startswith("tuesday at 3pm") and len(slots["preferred_time"]) <= 200


def test_staff_read_the_title_of_a_clicked_button_not_its_payload():
    from actions.submit import transcript

    events = [
        {"event": "user", "text": "I'd like to book"},
        {
            "event": "bot",
            "text": "Which treatment would you like to book?",
            "data": {"buttons": [{"title": "Acupuncture", "payload": '/inform{"therapy":"acupuncture"}'}]},
        },
        {"event": "user", "text": '/inform{"therapy":"acupuncture"}'},
        {"event": "bot", "text": "What name should the booking be under?", "data": {}},
        {"event": "user", "text": "/stop"},  # no button offered it: content/booking.yml's titles are used
        {"event": "user", "text": '/change_field{"field":"contact"}'},
    ]
    said = [
        turn["text"] for turn in transcript(Tracker("p", {}, {}, events, False, None, {}, "action_listen"))
    ]
    assert said == [
        "I'd like to book",
        "Which treatment would you like to book?",
        "Acupuncture",
        "What name should the booking be under?",
        "Cancel",
        "Phone or email",
    ]


@pytest.mark.parametrize(
    "text",
    ["ok", "yes", "no", "hi", "thanks", "idk", "not sure", "actually, can you tell me if it hurts first?"],
)
def test_fillers_and_questions_are_never_names(text):
    slots, _ = validate(tracker(text, requested="name"))
    assert not slots.get("name")


@pytest.mark.parametrize(
    "text, name",
    [("Actually, it's Ana", "Ana"), ("Ana Ruiz please", "Ana Ruiz"), ("hi, I'm Sam Lee", "Sam Lee")],
)
def test_a_name_is_read_without_what_comes_around_it(text, name):
    slots, _ = validate(tracker(text, requested="name"))
    assert slots["name"] == name


def test_a_name_with_a_phone_number_keeps_both():
    slots, messages = validate(tracker("it's Dev Sharma, 604-555-0155", requested="name"))
    assert (slots["name"], slots["contact"], slots["contact_type"]) == ("Dev Sharma", "+16045550155", "phone")
    assert messages == []


def test_a_question_mid_form_steps_aside_without_counting_a_miss():
    slots, messages = validate(tracker("actually, can you tell me if it hurts first?", requested="therapy"))
    assert slots == {} and messages == []  # nothing set: the rules answer it, then the form asks again


def test_a_correction_at_another_step_is_said_back_with_the_request_so_far():
    slots, messages = validate(
        tracker(
            "actually my number is 604-555-0177",
            requested="preferred_time",
            therapy="ims",
            name="Jordan Lee",
            contact="+16045550142",
        )
    )
    assert slots["contact"] == "+16045550177" and "preferred_time" not in slots
    assert "So far: IMS; for Jordan Lee; contact +16045550177" in messages[0]["text"]


@pytest.mark.parametrize(
    "step", ["therapy", "name", "contact", "preferred_time", "reason", "consent", "confirm"]
)
def test_cancel_in_words_ends_the_form_at_every_step(step):
    slots, _ = validate(tracker("never mind", requested=step, intent="stop"))
    assert slots["confirm"] is False and slots["requested_slot"] is None


def test_details_up_front_fill_every_slot_they_name():
    slots, _ = validate(
        tracker(
            "Can I book acupuncture for next Monday morning? My name is Ana Ruiz and my number is 778-555-0199",
            intent="request_booking",
        )
    )
    assert (slots["therapy"], slots["name"], slots["contact"]) == ("acupuncture", "Ana Ruiz", "+17785550199")
    assert slots["preferred_time"].startswith("next Monday morning (Monday ")


def test_a_time_kept_whole_is_read_from_the_time_asked_for_not_the_one_turned_down():
    slots, _ = validate(tracker("can't do weekends. weekdays after 3:30", requested="preferred_time"))
    kept, read = slots["preferred_time"].split(" (")
    assert kept == "can't do weekends. weekdays after 3:30" and "weekend" not in read and "weekday" in read


@pytest.mark.parametrize(
    "text, step, earlier, kept",
    [
        ("no monday is fine actually make it 10am", "consent", "monday morning", "monday 10am"),
        ("actually make it the afternoon", "confirm", "Friday morning", "Friday afternoon"),
        ("monday at 2, actually make it 10am", "preferred_time", None, "monday 10am"),
        ("can't do monday, make it 10am", "consent", "monday morning", "10am"),
        ("make it 10am tuesday", "consent", "monday morning", "10am tuesday"),
    ],
)
def test_a_new_hour_keeps_the_day_said_before_unless_that_day_is_turned_down(text, step, earlier, kept):
    given = {"preferred_time": earlier} if earlier else {}
    slots, _ = validate(tracker(text, requested=step, therapy="ims", name="Ana Ruiz", **given))
    assert slots["preferred_time"].split(" (")[0] == kept


@pytest.mark.parametrize("step", ["name", "contact", "preferred_time", "new_patient", "consent", "confirm"])
def test_start_over_in_words_drops_every_answer_and_asks_again_from_the_first(step):
    slots, messages = validate(
        tracker(
            "can we start over",
            requested=step,
            therapy="ims",
            name="Jordan Lee",
            contact="+16045550142",
            preferred_time="friday",
        )
    )
    assert all(slots[slot] is None for slot in ("therapy", "name", "contact", "preferred_time", "consent"))
    assert "start again" in messages[0]["text"]
