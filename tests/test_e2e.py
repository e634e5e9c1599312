"""End to end: the real Rasa server, action server and API, started on free ports, talked to over HTTP."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from actions.knowledge import knowledge_base
from actions.settings import PROJECT, Settings
from tests.conftest import FAQ_TOPICS, running_stack

pytestmark = pytest.mark.e2e

# One question a patient might type for each topic, and the topic the reply must carry.
QUESTIONS = {
    "ims_what_is": "what is intramuscular stimulation?",
    "ims_how_it_works": "how does ims actually work",
    "ims_conditions": "what kind of problems can IMS treat",
    "ims_vs_acupuncture": "is dry needling the same thing as acupuncture",
    "ims_assessment": "do i need to be assessed before i can have ims",
    "acu_what_is": "what's acupuncture",
    "acu_qi_meridians": "whats qi",
    "acu_how_it_works": "how does acupuncture work exactly",
    "acu_benefits": "what are the benefits of acupuncture?",
    "acu_conditions": "what conditions can acupuncture treat",
    "needle_pain": "does dry needling hurt?",
    "needle_safety": "is acupuncture safe? any side effects",
    "needle_type": "what kind of needles do you use",
    "session_what_to_expect": "how long do the needles stay in",
    "session_count": "how many sessions will i need",
    "needle_free_alternatives": "can i do this without needles, i faint at injections",
    "needle_placement": "why do they put needles far away from where it hurts",
    "practitioner": "what qualifications do your practitioners have",
    "needle_fear": "i'm really scared of needles",
    "contraindications": "can i get acupuncture if i'm pregnant",
    "preparation_aftercare": "what should i wear to my appointment",
    "cost_insurance": "how much does a session cost",
    "booking": "how do i book an appointment",
    "evidence": "does acupuncture really work or is it placebo",
    "more_info": "where can i read more about this",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "stack")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    db = tmp_path_factory.mktemp("kb") / "knowledge.db"
    return knowledge_base(Settings(PROJECT / "clinic.yml", PROJECT / "content", db))


def say(stack, sender, message):
    response = httpx.post(
        f"{stack.urls['rasa']}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    assert response.status_code == 200
    return response.json()


def test_the_question_table_covers_every_topic():
    assert sorted(QUESTIONS) == sorted(FAQ_TOPICS)


@pytest.mark.parametrize("topic", FAQ_TOPICS)
def test_each_topic_is_answered_over_rest_with_its_topic_and_answer(stack, kb, topic):
    [reply] = say(stack, f"patient-{topic}", QUESTIONS[topic])
    assert reply["custom"]["topic"] == topic, reply
    assert reply["text"] == kb.answer(topic).text
    assert 2 <= len(reply["buttons"]) <= 3


def test_the_readme_example(stack, kb):
    [reply] = say(stack, "a", "does dry needling hurt?")
    assert reply["custom"]["topic"] == "needle_pain"
    assert "atraumatic" in reply["text"]


def test_the_answer_uses_the_body_part_the_patient_named(stack):
    [reply] = say(stack, "shoulder", "my physio wants to do IMS on my shoulder, what is that")
    assert reply["custom"]["topic"] == "ims_what_is"
    assert "shoulder pain" in reply["text"]


def test_a_follow_up_button_asks_its_topic(stack, kb):
    [reply] = say(stack, "buttons", "/needle_fear")
    assert reply["custom"]["topic"] == "needle_fear"


@pytest.mark.parametrize("message", ["i want to kms", "I have chest pain and my arm is numb", "cant breathe"])
def test_red_flags_get_911_before_anything_else(stack, message):
    replies = say(stack, "red-flag", message)
    assert replies[0]["custom"]["topic"] == "emergency"
    assert "911" in replies[0]["text"]


@pytest.mark.parametrize(
    "message",
    ["this neck pain is killing me, can ims help?", "no chest pain, just a sore back after acupuncture"],
)
def test_look_alikes_are_not_emergencies(stack, message):
    replies = say(stack, "look-alike", message)
    assert replies[0]["custom"]["topic"] != "emergency"


@pytest.mark.parametrize(
    "message", ["book me a flight to paris", "does cupping hurt", "what's the capital of france"]
)
def test_out_of_scope_is_declined_plainly_with_an_offer_of_staff(stack, message):
    [reply] = say(stack, f"oos-{message}", message)
    assert reply["custom"]["topic"] == "out_of_scope"
    assert "/handoff_request" in [b["payload"] for b in reply["buttons"]]


def test_two_misses_in_a_row_offer_staff_again(stack):
    say(stack, "misses", "book me a table at a restaurant")
    [reply] = say(stack, "misses", "what's the weather tomorrow")
    assert "haven't been able to help" in reply["text"]


def test_the_greeting_is_an_honest_disclaimer(stack):
    [reply] = say(stack, "greeting", "hi")
    assert reply["custom"]["topic"] == "greet"
    assert "automated assistant" in reply["text"]


def test_conversations_are_kept_in_the_sqlite_tracker_store(stack):
    say(stack, "kept", "whats qi")
    with sqlite3.connect(stack.var_dir / "rasa_tracker.db") as db:
        count = db.execute("select count(*) from events where sender_id = 'kept'").fetchone()[0]
    assert count > 0


def test_health_reports_every_part_up(stack):
    response = httpx.get(f"{stack.urls['api']}/healthz", timeout=10)
    assert response.status_code == 200
    assert {name: part["status"] for name, part in response.json()["parts"].items()} == {
        "api": "up",
        "database": "up",
        "rasa": "up",
        "action_server": "up",
    }


def test_the_socketio_channel_answers_whole_and_takes_a_resent_message_once(stack):
    import asyncio

    import socketio

    session = "socket-test-0001"
    message = {"message": "does dry needling hurt?", "session_id": session, "message_id": "message-000001"}

    async def talk():
        client = socketio.AsyncClient(reconnection=False)
        replies, confirmed = [], asyncio.Event()
        client.on("bot_uttered", replies.append)
        client.on("session_confirm", lambda _: confirmed.set())
        await client.connect(
            stack.urls["rasa"], headers={"Origin": stack.urls["api"]}, transports=["polling"]
        )
        await client.emit("session_request", {"session_id": session})
        await asyncio.wait_for(confirmed.wait(), 10)
        acks = [await client.call("user_uttered", message, timeout=30) for _ in range(2)]
        await asyncio.sleep(1)
        await client.eio.disconnect(abort=True)  # not waiting for the long poll to end
        return acks, replies

    acks, replies = asyncio.run(talk())
    assert acks == [True, True]
    [reply] = replies  # the resent message was acknowledged, not answered again
    assert reply["custom"]["topic"] == "needle_pain" and "atraumatic" in reply["text"]
    assert reply["quick_replies"][0] == {
        "content_type": "text",
        "title": "What if I'm afraid of needles?",
        "payload": "/needle_fear",
    }


@pytest.mark.parametrize("origin, accepted", [(None, True), ("https://elsewhere.example", False)])
def test_the_socketio_channel_refuses_pages_of_other_sites(stack, origin, accepted):
    """Engine.IO's polling handshake by hand: open a session, ask for the namespace, read the answer."""
    url = f"{stack.urls['rasa']}/socket.io/"
    headers = {"Origin": origin or stack.urls["api"]}
    with httpx.Client(headers=headers, timeout=10) as client:
        opened = client.get(url, params={"EIO": "4", "transport": "polling"})
        sid = json.loads(opened.text[1:])["sid"]
        client.post(url, params={"EIO": "4", "transport": "polling", "sid": sid}, content="40")
        answer = client.get(url, params={"EIO": "4", "transport": "polling", "sid": sid}).text
        client.post(url, params={"EIO": "4", "transport": "polling", "sid": sid}, content="1")  # close
    assert answer.startswith("40" if accepted else "44"), answer


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_an_empty_message_gets_a_clear_answer(stack, message):
    [reply] = say(stack, "empty", message)
    assert reply["custom"]["topic"] == "clarify"
    assert "empty" in reply["text"]


def test_a_very_long_message_is_cut_with_a_note_and_still_answered(stack, kb):
    replies = say(stack, "long", "does dry needling hurt? " * 500)  # 12,000 characters
    assert replies[0]["custom"]["topic"] == "clarify" and "2,000 characters" in replies[0]["text"]
    assert replies[1]["custom"]["topic"] == "needle_pain"


@pytest.mark.parametrize(
    "message", ["est-ce que l'acupuncture fait mal?", "¿cuánto cuesta una sesión?", "针灸疼吗"]
)
def test_a_question_in_another_language_gets_the_phone_number(stack, message):
    [reply] = say(stack, f"lang-{message}", message)
    assert reply["custom"]["topic"] == "out_of_scope"
    assert "only answer in English" in reply["text"] and "604-555-0100" in reply["text"]


@pytest.mark.parametrize("message", ["😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE events; --"])
def test_odd_input_gets_an_answer_and_the_assistant_stays_usable(stack, message):
    assert say(stack, "odd", message)[0]["custom"]["topic"]
    assert say(stack, "odd", "does dry needling hurt?")[0]["custom"]["topic"] == "needle_pain"
