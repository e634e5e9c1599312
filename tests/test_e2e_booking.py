"""End to end: booking requests and questions travel from the chat to the staff API exactly once,
even when the API is down while the patient submits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import running_stack

pytestmark = pytest.mark.e2e
STAFF = ("frontdesk", "a long enough password")
BOOKING = [
    "I'd like to book an appointment",
    "IMS",
    "Jordan Lee",
    "604 555 0142",
    "weekday mornings",
    "I'm new",
    "lower back pain",
    "yes",
    "yes",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "booking-stack")


@pytest.fixture(scope="module")
def staff(stack):
    """A staff account made the way a clinic makes one: `clinic staff add` with the password on stdin."""
    clinic = Path(sys.executable).parent / "clinic"
    subprocess.run(
        [str(clinic), "staff", "add", STAFF[0]],
        input=STAFF[1] + "\n",
        text=True,
        check=True,
        env={**os.environ, **stack.environment()},
        capture_output=True,
    )
    return httpx.BasicAuth(*STAFF)


def say(stack, sender, message):
    response = httpx.post(
        f"{stack.urls['rasa']}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    assert response.status_code == 200
    return response.json()


def handoffs(stack, staff, **params):
    response = httpx.get(f"{stack.urls['api']}/api/handoffs", params=params, auth=staff, timeout=10)
    assert response.status_code == 200
    return response.json()["items"]


def for_conversation(stack, staff, sender):
    return [h for h in handoffs(stack, staff, per_page=100) if h["conversation_id"] == sender]


def test_a_booking_typed_over_rest_reaches_staff_once_with_its_reference(stack, staff):
    for message in BOOKING:
        replies = say(stack, "booker-1", message)
    [reply] = replies
    assert reply["custom"]["topic"] == "booking"
    reference = reply["custom"]["reference"]
    assert reference.startswith("REQ-") and reference in reply["text"]
    [request] = for_conversation(stack, staff, "booker-1")
    assert request["reference"] == reference
    assert (request["kind"], request["therapy"], request["name"], request["contact"]) == (
        "booking",
        "ims",
        "Jordan Lee",
        "+16045550142",
    )
    assert request["new_patient"] is True
    assert any(turn["text"] == "lower back pain" for turn in request["transcript"])
    with httpx.Client(base_url=stack.urls["api"], timeout=10, follow_redirects=True) as browser:
        login = browser.post(
            "/staff/login", data={"username": STAFF[0], "password": STAFF[1], "next": "/staff"}
        )
        assert login.status_code == 200 and reference in login.text  # followed to the inbox


def test_a_booking_submitted_while_the_api_is_down_arrives_exactly_once(stack, staff):
    for message in BOOKING[:-1]:
        say(stack, "booker-2", message)
    stack.stop("api")
    [reply] = say(stack, "booker-2", "yes")
    assert reply["custom"].get("saved") is True
    assert "saved" in reply["text"]
    stack.start("api")
    stack.wait_until_ready(timeout=60)
    deadline = time.monotonic() + 90
    while not for_conversation(stack, staff, "booker-2") and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)  # any duplicate delivery would land now
    assert len(for_conversation(stack, staff, "booker-2")) == 1


def test_a_question_for_staff_carries_the_conversation(stack, staff):
    say(stack, "asker", "can i use my benefits from work for ims")
    [ask] = say(stack, "asker", "can i talk to a person")
    assert ask["custom"] == {"topic": "handoff", "asks": "question"}
    assert ask["buttons"][0]["title"] == "can i use my benefits from work for ims"  # offered, not retyped
    for message in ["Do you bill my insurer directly for IMS?", "Sam Lee", "sam@example.com", "yes"]:
        replies = say(stack, "asker", message)
    assert replies[-1]["custom"]["topic"] == "handoff"
    [request] = for_conversation(stack, staff, "asker")
    assert request["kind"] == "question"
    assert request["question"] == "Do you bill my insurer directly for IMS?"
    assert request["contact_type"] == "email"
    assert request["transcript"][0]["text"] == "can i use my benefits from work for ims"


def test_stop_ends_a_booking_and_nothing_is_sent(stack, staff):
    say(stack, "stopper", "I'd like to book")
    say(stack, "stopper", "acupuncture")
    [reply] = say(stack, "stopper", "stop")
    assert "stopped" in reply["text"]
    assert for_conversation(stack, staff, "stopper") == []


def test_no_patient_details_reach_any_log(stack, staff):
    for message in BOOKING:
        say(stack, "log-check", message)
    log = (stack.var_dir / "stack.log").read_text()
    assert "Jordan" not in log and "604 555 0142" not in log and "+16045550142" not in log
    assert "sam@example.com" not in log and "lower back pain" not in log
