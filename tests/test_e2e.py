"""End to end: the real Rasa server, action server and API, started on free ports, talked to over HTTP."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from actions.knowledge import knowledge_base
from actions.settings import PROJECT, Settings
from tests.conftest import FAQ_TOPICS, running_stack, say, sender_for

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


def test_a_same_day_sign_gets_the_urgent_tier_not_911(stack):
    [reply] = say(stack, "urgent", "the needle site on my back is hot and swollen")
    assert reply["custom"]["topic"] == "urgent"
    assert "811" in reply["text"]


def test_a_same_day_sign_in_the_patients_own_words_gets_the_urgent_tier(stack):
    """No pattern lists this one; the same-day reader (bot/emergency_now.py) knows it."""
    message = "the spot where you needled my hip is getting redder and warmer every day, no fever"
    [reply] = say(stack, sender_for("urgent", message), message)
    assert reply["custom"]["topic"] == "urgent"
    assert "811" in reply["text"]


@pytest.mark.parametrize(
    "message",
    [
        "is chest pain a side effect of dry needling?",
        "I had chest pain last year, is acupuncture safe for me?",
    ],
)
def test_a_red_flag_as_a_risk_or_history_gets_its_answer_and_what_to_do_if_it_is_happening(stack, message):
    [reply] = say(stack, sender_for("not-now", message), message)
    assert reply["custom"]["topic"] != "emergency"
    assert "right now, call 911" in reply["text"]


@pytest.mark.parametrize(
    "message",
    [
        "this neck pain is killing me, can ims help?",
        "no chest pain, just a sore back after acupuncture",
        "can dry needling puncture a lung?",
        "can you email my boss that I'm running late",
    ],
)
def test_look_alikes_are_not_emergencies(stack, message):
    replies = say(stack, "look-alike", message)
    assert replies[0]["custom"]["topic"] != "emergency"


@pytest.mark.parametrize(
    "message", ["book me a flight to paris", "does cupping hurt", "what's the capital of france"]
)
def test_out_of_scope_is_declined_plainly_with_an_offer_of_staff(stack, message):
    [reply] = say(stack, sender_for("oos", message), message)
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

    async def talk():
        client = socketio.AsyncClient(reconnection=False)
        replies, tokens, confirmed = [], [], asyncio.Event()
        client.on("bot_uttered", replies.append)
        client.on("session_confirm", lambda token: (tokens.append(token), confirmed.set()))
        await client.connect(
            stack.urls["rasa"], headers={"Origin": stack.urls["api"]}, transports=["polling"]
        )
        await client.emit("session_request", {"session_id": None})
        await asyncio.wait_for(confirmed.wait(), 10)
        message = {
            "message": "does dry needling hurt?",
            "session_id": tokens[0],
            "message_id": "message-000001",
        }
        acks = [await client.call("user_uttered", message, timeout=30) for _ in range(2)]
        await asyncio.sleep(1)
        await client.eio.disconnect(abort=True)  # not waiting for the long poll to end
        return acks, replies

    acks, replies = asyncio.run(talk())
    assert acks == [True, True]
    [reply] = replies  # the resent message was acknowledged, not answered again
    assert reply["metadata"]["topic"] == "needle_pain" and "atraumatic" in reply["text"]
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


@pytest.mark.parametrize("allowed", [True, False])
def test_rasas_rest_channel_shares_answers_only_with_the_clinic_site(stack, allowed):
    origin = stack.allowed_origins[0] if allowed else "https://elsewhere.example"
    preflight = httpx.options(
        f"{stack.urls['rasa']}/webhooks/rest/webhook",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers.get("access-control-allow-origin") == (origin if allowed else None)


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
    [reply] = say(stack, sender_for("lang", message), message)
    assert reply["custom"]["topic"] == "out_of_scope"
    assert "only answer in English" in reply["text"] and "604-555-0100" in reply["text"]


MEDICAL_REPORT = """MRI LUMBAR SPINE WITHOUT CONTRAST
Clinical history: low back pain radiating to left leg x 6 weeks.
Findings: L4-L5 broad-based disc bulge with mild bilateral foraminal narrowing. L5-S1 small central
protrusion contacting the traversing S1 nerve root. Conus terminates at L1. No fracture.
Impression: 1. Mild degenerative disc disease L4-S1. 2. Clinical correlation recommended."""


@pytest.mark.parametrize(
    "message",
    [
        "😀😀😀",
        "<script>alert(1)</script>",
        "'; DROP TABLE events; --",
        "\x00\x07\x1b[31mhello\x1b[0m\u200b",  # control characters, an escape sequence, zero-width space
        "مرحبا does IMS hurt? שלום",  # right-to-left and mixed scripts
        "\u202edoes ims hurt",  # a right-to-left override
        MEDICAL_REPORT,
    ],
)
def test_odd_input_gets_an_answer_and_the_assistant_stays_usable(stack, message):
    assert say(stack, "odd", message)[0]["custom"]["topic"]
    assert say(stack, "odd", "does dry needling hurt?")[0]["custom"]["topic"] == "needle_pain"


@pytest.mark.parametrize(
    "message, topic",
    [
        ("<b>hi</b>", "greet"),
        ("<p>does dry needling <i>hurt</i>?</p>", "needle_pain"),
        ("how much is a session&nbsp;of acupuncture?", "cost_insurance"),
        ("<b>crushing chest pain</b> right now and my left arm is numb", "emergency"),
    ],
)
def test_html_around_the_words_is_read_past(stack, message, topic):
    [reply, *_] = say(stack, sender_for("html", message), message)
    assert reply["custom"]["topic"] == topic


def listening_addresses(port):
    """The local addresses a TCP port listens on, read from the kernel's table (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def test_only_rasa_listens_beyond_this_machine(stack):
    loopback = "0100007F"  # 127.0.0.1, as the kernel writes it
    assert listening_addresses(stack.ports.actions) == {loopback}
    assert listening_addresses(stack.ports.api) == {loopback}


@pytest.mark.parametrize("path", ["/status", "/model/parse", "/conversations/someone/tracker", "/version"])
def test_rasas_http_api_is_off(stack, path):
    assert httpx.get(f"{stack.urls['rasa']}{path}").status_code == 404


def test_the_action_server_answers_only_with_rasas_secret(stack):
    call = {"next_action": "action_reply", "sender_id": "x", "tracker": {"sender_id": "x"}, "domain": {}}
    webhook = f"{stack.urls['actions']}/webhook"
    assert httpx.post(webhook, json=call).status_code == 401
    assert httpx.post(webhook, json=call, headers={"Authorization": "Bearer guess"}).status_code == 401
    assert httpx.get(f"{stack.urls['actions']}/actions").status_code == 401
    assert httpx.get(f"{stack.urls['actions']}/health").status_code == 200
    assert oct((stack.var_dir / "endpoints.yml").stat().st_mode & 0o777) == "0o600"


def test_a_sender_typing_faster_than_a_person_is_asked_to_slow_down(stack):
    replies = [say(stack, "flood", "hi")[0]["text"] for _ in range(31)]
    assert "faster than I can read" not in " ".join(replies[:30])
    assert "faster than I can read" in replies[30]
    assert say(stack, "someone-else", "hi")[0]["custom"]["topic"] == "greet"


def test_with_the_action_server_down_the_patient_gets_the_phone_then_answers_again(stack, kb):
    say(stack, "during-outage", "does dry needling hurt?")
    stack.stop("actions")
    try:
        [reply] = say(stack, "during-outage", "how many sessions will i need")
        assert "something went wrong" in reply["text"] and "604-555-0100" in reply["text"]
    finally:
        stack.start("actions")
        stack.wait_until_ready(timeout=60)
    [answer] = say(stack, "during-outage", "how many sessions will i need")
    assert answer["custom"]["topic"] == "session_count"
    assert answer["text"] == kb.answer("session_count").text
