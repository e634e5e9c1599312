"""End to end: booking requests and questions travel from the chat to the staff API exactly once,
even when the API is down while the patient submits."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
import pytest

from actions.settings import PROJECT
from tests.conftest import BOOKING, STAFF_ACCOUNT, add_staff_account, running_stack, say

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "booking-stack")


@pytest.fixture(scope="module")
def staff(stack):
    return add_staff_account(stack)


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
            "/staff/login",
            data={"username": STAFF_ACCOUNT[0], "password": STAFF_ACCOUNT[1], "next": "/staff"},
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


# A made-up patient whose details must end up in the databases that need them and nowhere else.
CANARY = {
    "name": "Quillon Zebedee",
    "phone": "604 555 0199",
    "email": "quillon.zebedee@example.org",
    "reason": "canary wrist ache",
    "question": "Does my canary plan cover IMS?",
}
# In every form the assistant might write them: as typed, normalised, and the bare digits.
TRACES = [*CANARY.values(), "Quillon", "Zebedee", "+16045550199", "6045550199", "5550199"]
MUST_HOLD = ("handoffs.db", "rasa_tracker.db")  # staff's requests; Rasa's conversations
SKIPPED = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def files_written_since(folder: Path, moment: float):
    for path in folder.rglob("*"):
        if SKIPPED.intersection(path.parts) or not path.is_file() or path.is_symlink():
            continue
        if path.stat().st_mtime >= moment and path.stat().st_size < 50_000_000:
            yield path


def test_a_canary_patients_details_stay_in_the_databases_that_need_them(stack, staff):
    started = time.time() - 1
    booking = [BOOKING[0], "acupuncture", CANARY["name"], CANARY["phone"], *BOOKING[4:6], CANARY["reason"]]
    for message in [*booking, "yes", "yes"]:
        say(stack, "canary-booking", message)
    say(stack, "canary-question", "can i talk to a person")
    for message in [CANARY["question"], CANARY["name"], CANARY["email"], "yes"]:
        say(stack, "canary-question", message)
    requests = [h for h in handoffs(stack, staff, per_page=100) if h["name"] == CANARY["name"]]
    assert len(requests) == 2  # both reached staff, so the canary is where it should be
    for request in requests:  # staff read them, which must not log them either
        httpx.get(f"{stack.urls['api']}/api/handoffs/{request['id']}", auth=staff).raise_for_status()
    time.sleep(2)  # let the processes flush their logs

    searched, found = set(), []
    for folder in {stack.var_dir, PROJECT, Path(tempfile.gettempdir())}:
        for path in files_written_since(folder, started):
            if path.name.startswith(MUST_HOLD) and path.parent == stack.var_dir:
                continue
            searched.add(path.name)
            content = path.read_bytes()
            found += [f"{path}: {trace}" for trace in TRACES if trace.encode() in content]
    assert {"stack.log", "outbox.db"} <= searched  # the processes' logs and the action server's queue
    assert found == []
