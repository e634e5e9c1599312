"""What "stop" or a declined consent deletes: the latest form's span of the conversation (bot/tracker_store.py)."""

from __future__ import annotations

import json

from bot.tracker_store import form_span_start


def rows(*events):
    """(id, type_name, data) rows as the tracker store keeps them: "user", or a loop's name (or None)."""
    made = []
    for number, event in enumerate(events, start=1):
        if event == "user":
            made.append((number, "user", json.dumps({"text": "..."})))
        else:
            made.append((number, "active_loop", json.dumps({"name": event})))
    return made


def test_a_form_begins_at_the_message_that_opened_it():
    assert form_span_start(rows("user", "user", "booking_form", "user", "user")) == 2


def test_a_form_after_one_that_ended_earlier_begins_at_its_own_message():
    events = rows("user", "booking_form", "user", None, "user", "handoff_form", "user")
    assert form_span_start(events) == 5


def test_a_question_for_staff_that_a_booking_turned_into_includes_the_booking():
    # "talk to a person" mid-booking: the booking's name and contact go on into the question, so a
    # declined consent deletes them too, and the booking does not come back when the rest is deleted.
    events = rows("user", "user", "booking_form", "user", "user", None, "handoff_form", "user")
    assert form_span_start(events) == 2
