"""Whole conversations as patients type them (tests/data/typed_conversations.yml), over Rasa's REST
channel against the real stack, each checked where the front desk sees it: the staff API."""

from __future__ import annotations

from typing import Any, Dict, List

import httpx
import pytest
import yaml

from actions.settings import PROJECT
from tests.conftest import add_staff_account, running_stack, say, sender_for

pytestmark = pytest.mark.e2e

CONVERSATIONS = yaml.safe_load((PROJECT / "tests" / "data" / "typed_conversations.yml").read_text())[
    "conversations"
]
EXACT = ("kind", "therapy", "name", "contact", "new_patient")  # the rest: the text given is in it


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "typed-conversations")


@pytest.fixture(scope="module")
def staff(stack):
    return add_staff_account(stack)


def requests_from(stack, staff, sender: str) -> List[Dict[str, Any]]:
    response = httpx.get(
        f"{stack.urls['api']}/api/handoffs", params={"per_page": 100}, auth=staff, timeout=10
    )
    assert response.status_code == 200
    return [h for h in response.json()["items"] if h["conversation_id"] == sender]


def test_there_are_at_least_forty_conversations_none_with_a_payload():
    assert len(CONVERSATIONS) >= 40
    for conversation in CONVERSATIONS:
        for step in conversation["says"]:
            text = step if isinstance(step, str) else step["say"]
            assert not text.startswith("/"), f"{conversation['name']}: typed, never a payload"


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_a_typed_conversation_ends_as_the_patient_meant(stack, staff, conversation):
    sender = sender_for("typed", conversation["name"])
    heard = []
    for step in conversation["says"]:
        step = {"say": step} if isinstance(step, str) else step
        replies = say(stack, sender, step["say"])
        heard.append((step["say"], [r.get("text", "")[:90] for r in replies]))
        topics = [(r.get("custom") or {}).get("topic") for r in replies]
        asks = [(r.get("custom") or {}).get("asks") for r in replies if (r.get("custom") or {}).get("asks")]
        if "topic" in step:
            assert step["topic"] in topics, f"after {step['say']!r}: {heard}"
        if "reply_has" in step:
            assert any(step["reply_has"] in r.get("text", "") for r in replies), f"{step['say']!r}: {heard}"
        if "asks" in step:
            assert asks and asks[-1] == step["asks"], f"after {step['say']!r}: {heard}"
    requests = requests_from(stack, staff, sender)
    expected = conversation["request"]
    if expected is None:
        assert requests == [], heard
        return
    assert len(requests) == 1, heard
    [request] = requests
    expected = {"kind": "booking", **expected}
    for field, value in expected.items():
        if field in EXACT:
            assert request[field] == value, f"{field}: {request[field]!r} != {value!r}; {heard}"
        else:
            assert str(value).lower() in str(request[field]).lower(), f"{field}: {request[field]!r}; {heard}"
    for field, word in (conversation.get("request_lacks") or {}).items():
        assert word.lower() not in str(request[field]).lower(), f"{field}: {request[field]!r}; {heard}"
    assert not any(turn["text"].startswith("/") for turn in request["transcript"])
