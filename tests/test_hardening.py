"""Hardening, round 2 (#16), against the real stack: patients' data private on disk, "stop" and "no"
keep nothing, conversations belong to their browser, and the chat server's limits.

The stack runs in a folder other local users could reach, as a clinic's install would sit in a home
or /srv folder, so that the file modes are what keeps them out.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from clinic.settings import PROJECT
from tests.conftest import BOOKING, running_stack, say

pytestmark = pytest.mark.e2e

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    home = Path(tempfile.mkdtemp(prefix="clinic-install-"))
    home.chmod(0o755)  # reachable by every local user: only the modes below may keep them out
    var_dir = home / "var"
    var_dir.mkdir(mode=0o755)
    with closing(sqlite3.connect(var_dir / "handoffs.db")):  # an earlier version's database, 0644
        pass
    (var_dir / "handoffs.db").chmod(0o644)
    try:
        yield from running_stack(tmp_path_factory, "hardening", var_dir=var_dir)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def tracker_rows(stack, sender: str):
    with closing(sqlite3.connect(stack.var_dir / "rasa_tracker.db")) as db:
        return db.execute(
            "select type_name, data from events where sender_id = ? order by id", [sender]
        ).fetchall()


def stored_text(stack, sender: str) -> str:
    return "\n".join(data for _, data in tracker_rows(stack, sender))


# --- private on disk ----------------------------------------------------------------------------------


def test_patients_data_is_readable_by_the_clinics_account_only(stack):
    for message in BOOKING:
        say(stack, "private-booking", message)
    files = [path for path in stack.var_dir.iterdir() if path.is_file()]
    names = {path.name for path in files}
    assert {"handoffs.db", "rasa_tracker.db", "outbox.db", "endpoints.yml", "chat_session_key"} <= names
    assert stat.S_IMODE(stack.var_dir.stat().st_mode) == 0o700
    assert {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in files} == {
        path.name: "0o600" for path in files
    }


@pytest.mark.skipif(
    not AS_ROOT, reason="reading as another user needs root to switch to it (CI runs as root)"
)
def test_another_local_user_reads_none_of_it_even_with_the_folder_opened(stack):
    say(stack, "private-reader", "does dry needling hurt?")
    files = sorted(path for path in stack.var_dir.iterdir() if path.is_file())

    def readable_by_nobody(path: Path) -> bool:
        return subprocess.run(["cat", str(path)], user="nobody", capture_output=True).returncode == 0

    assert [path.name for path in files if readable_by_nobody(path)] == []
    stack.var_dir.chmod(0o755)  # someone opens the folder by mistake: each file still keeps them out
    try:
        assert [path.name for path in files if readable_by_nobody(path)] == []
    finally:
        stack.var_dir.chmod(0o700)


def test_each_process_holds_only_the_secrets_it_uses(stack):
    def environment(name: str) -> str:
        return Path(f"/proc/{stack.processes[name].pid}/environ").read_bytes().decode(errors="replace")

    assert "CLINIC_BOT_TOKEN" not in environment("rasa") and "CLINIC_ACTION_TOKEN" not in environment("rasa")
    assert "CLINIC_ACTION_TOKEN" not in environment("api")
    assert "CLINIC_BOT_TOKEN=" in environment("actions") and "CLINIC_ACTION_TOKEN=" in environment("actions")
    # Rasa's key to pull models is in its 0600 endpoints file; the API checks it.
    assert "CLINIC_MODEL_TOKEN" not in environment("rasa") and "CLINIC_MODEL_TOKEN" not in environment(
        "actions"
    )
    assert "CLINIC_MODEL_TOKEN=" in environment("api")


def test_the_action_server_will_not_start_open_outside_development():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CLINIC_ACTION_TOKEN", "CLINIC_DEVELOPMENT")
    }
    done = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", "1"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "CLINIC_ACTION_TOKEN is not set" in done.stderr and "CLINIC_DEVELOPMENT=true" in done.stderr


# --- "stop", "no" and "delete my conversation" keep nothing -------------------------------------------------

ANA = ["Ana Ruiz", "778 555 0199"]
ANA_TRACES = ["Ana Ruiz", "Ruiz", "7785550199", "778 555 0199", "555 0199"]


def test_stop_mid_booking_deletes_what_was_typed_for_it_and_keeps_the_rest(stack):
    sender = "stopped-booking"
    say(stack, sender, "does dry needling hurt?")
    for message in ["I'd like to book an appointment", "acupuncture", *ANA]:
        say(stack, sender, message)
    assert "Ruiz" in stored_text(stack, sender)  # kept while the booking goes on

    [reply] = say(stack, sender, "stop")

    assert "deleted the details you gave" in reply["text"]
    text = stored_text(stack, sender)
    assert [trace for trace in ANA_TRACES if trace in text] == []
    assert "does dry needling hurt?" in text  # the conversation before the booking stays
    [answer] = say(stack, sender, "how many sessions will i need")  # and it goes on
    assert answer["custom"]["topic"] == "session_count"


def test_declining_consent_deletes_the_details_given(stack):
    sender = "declined-consent"
    booking = [BOOKING[0], "acupuncture", *ANA, "weekday mornings", "I'm new", "sore neck"]
    for message in booking:
        say(stack, sender, message)

    [reply] = say(stack, sender, "no")

    assert "deleted the details you gave" in reply["text"] and "sent nothing" in reply["text"]
    text = stored_text(stack, sender)
    assert [trace for trace in [*ANA_TRACES, "sore neck"] if trace in text] == []


def test_a_patient_can_have_the_whole_conversation_deleted(stack):
    sender = "forget-me"
    for message in ["I'd like to book an appointment", "acupuncture", ANA[0]]:
        say(stack, sender, message)

    replies = say(stack, sender, "please delete my conversation")

    assert [reply["custom"]["topic"] for reply in replies] == ["privacy"], replies
    assert "deleted this conversation" in replies[0]["text"]
    assert tracker_rows(stack, sender) == []
    [greeting] = say(stack, sender, "hi")  # a fresh start, nothing carried over
    assert greeting["custom"]["topic"] == "greet"
    assert "Ruiz" not in stored_text(stack, sender)


# --- conversations belong to their browser ----------------------------------------------------------------


def chat_client(stack):
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    client.replies, client.tokens, client.confirmed = [], [], asyncio.Event()
    client.on("bot_uttered", client.replies.append)
    client.on("session_confirm", lambda token: (client.tokens.append(token), client.confirmed.set()))
    return client


async def joined(stack, client, session_id):
    await client.connect(stack.urls["rasa"], headers={"Origin": stack.urls["api"]}, transports=["polling"])
    client.confirmed.clear()
    await client.emit("session_request", {"session_id": session_id})
    await asyncio.wait_for(client.confirmed.wait(), 10)
    return client.tokens[-1]


def test_knowing_a_conversations_id_is_not_enough_to_listen_or_write(stack):
    async def attempt():
        patient, intruder = chat_client(stack), chat_client(stack)
        token = await joined(stack, patient, None)
        conversation_id = token.split(".")[0]
        # The id alone (as on a staff page), or with a made-up signature, opens a new conversation.
        for guess in (conversation_id, conversation_id + ".forged-signature-000000000000"):
            assert (await joined(stack, intruder, guess)).split(".")[0] != conversation_id
            await intruder.disconnect()
            intruder = chat_client(stack)
        await joined(stack, intruder, None)
        written = await intruder.call(
            "user_uttered", {"message": "hi", "session_id": token, "message_id": "intruder-0001"}, timeout=10
        )
        reply = await patient.call(
            "user_uttered",
            {"message": "does it hurt?", "session_id": token, "message_id": "patient-0001"},
            timeout=30,
        )
        await asyncio.sleep(1)
        heard = list(intruder.replies)
        # The patient comes back on a new socket with the token: the same conversation.
        returning = chat_client(stack)
        again = await joined(stack, returning, token)
        for client in (patient, intruder, returning):
            await client.eio.disconnect(abort=True)
        return written, reply, heard, again, token, patient.replies

    written, reply, heard, again, token, patient_replies = asyncio.run(attempt())
    assert written is False and reply is True
    assert heard == []
    assert again == token
    assert [r["metadata"]["topic"] for r in patient_replies] == ["needle_pain"]
    assert [row for row in tracker_rows(stack, token.split(".")[0]) if row[0] == "user"] != []


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "x" * 100_000, "message": "hi"},
        {"sender": "has spaces", "message": "hi"},
        {"sender": "chat-" + "0" * 32, "message": "hi"},
    ],
    ids=["none", "empty", "100 KB", "spaces", "a chat widget's id"],
)
def test_a_rest_message_needs_a_sender_of_the_fixed_form(stack, body):
    response = httpx.post(f"{stack.urls['rasa']}/webhooks/rest/webhook", json=body, timeout=30)
    assert response.status_code in (400, 413)
    with closing(sqlite3.connect(stack.var_dir / "rasa_tracker.db")) as db:
        assert db.execute("select count(*) from events where sender_id in ('default', '')").fetchone()[0] == 0


def test_the_chat_server_refuses_bodies_over_64_kb_and_keeps_its_version_to_itself(stack):
    body = {"sender": "big-body", "message": "a" * 70_000}
    assert httpx.post(f"{stack.urls['rasa']}/webhooks/rest/webhook", json=body, timeout=30).status_code == 413
    home = httpx.get(f"{stack.urls['rasa']}/", timeout=10)
    assert home.status_code == 200 and "3.6" not in home.text and "Rasa" not in home.text
