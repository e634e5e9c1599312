"""Faults and load against the real processes: nothing lost, nothing sent twice, nothing out of order.

Processes are killed (SIGKILL, as a crash would) and restarted; requests are counted through the
staff API; conversations are read back from Rasa's tracker store.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import (
    BOOKING,
    add_staff_account,
    book,
    patient,
    requests_by_conversation,
    run_clinic,
    running_stack,
    say,
    turns_of,
    wait_until,
    waiting_in_outbox,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

CONCURRENT_PATIENTS = 200
LOAD_SECONDS = 45


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory, "resilience-stack")


@pytest.fixture(scope="module")
def staff(stack):
    return add_staff_account(stack)


def test_every_request_arrives_once_through_api_crashes_and_an_action_server_restart(stack, staff):
    patients = [f"fault-{n}" for n in range(12)]
    for sender in patients[:3]:  # the API up
        assert "reference" in book(stack, sender)[-1]["text"]

    for sender in patients[3:7]:  # confirmed at the moment the API crashes
        book(stack, sender, messages=BOOKING[:-1])
    with ThreadPoolExecutor(4) as pool:
        confirmations = [pool.submit(say, stack, sender, "yes") for sender in patients[3:7]]
        time.sleep(0.05)
        stack.kill("api")
        replies = [future.result()[-1] for future in confirmations]
    assert all(reply["custom"]["topic"] == "booking" for reply in replies)

    for sender in patients[7:10]:  # the API down: they wait in the action server's outbox
        assert book(stack, sender)[-1]["custom"].get("saved") is True
    assert waiting_in_outbox(stack.var_dir / "outbox.db") >= 3

    stack.kill("actions")  # crashes with requests waiting; the API comes back; then the action server
    stack.start("api")
    stack.start("actions")
    stack.wait_until_ready(timeout=90)
    wait_until(lambda: waiting_in_outbox(stack.var_dir / "outbox.db") == 0)

    for sender in patients[10:]:  # and business as usual
        assert "reference" in book(stack, sender)[-1]["text"]
    time.sleep(3)  # a duplicate delivery would land now
    counts = requests_by_conversation(stack, staff)
    assert {sender: counts[sender] for sender in patients} == {sender: 1 for sender in patients}


def test_the_whole_stack_stopped_and_started_keeps_everything(stack, staff):
    say(stack, "keeper-faq", "does dry needling hurt?")
    rating = {"conversation_id": "keeper-faq", "topic": "needle_pain", "helpful": False}
    assert httpx.post(f"{stack.urls['api']}/api/feedback", json=rating).status_code == 201
    reference = book(stack, "keeper-booked")[-1]["custom"]["reference"]
    book(stack, "keeper-halfway", messages=BOOKING[:3])  # told the assistant their name; asked for contact

    stack.stop()
    stack.start()
    stack.wait_until_ready(timeout=120)

    [reply] = say(stack, "keeper-halfway", BOOKING[3])
    assert reply["custom"] == {"topic": "booking", "asks": "preferred_time"}  # the form carried on
    listed = httpx.get(f"{stack.urls['api']}/api/handoffs", params={"per_page": 100}, auth=staff).json()
    assert [item["reference"] for item in listed["items"] if item["conversation_id"] == "keeper-booked"] == [
        reference
    ]
    with sqlite3.connect(stack.var_dir / "handoffs.db") as db:
        assert (
            db.execute("select count(*) from feedback where conversation_id = 'keeper-faq'").fetchone()[0]
            == 1
        )
    assert [text for text, _ in conversation(stack, "keeper-faq")][:1] == ["does dry needling hurt?"]


def conversation(stack, sender):
    """(patient's text, topic of the answer that followed) for each turn, from Rasa's tracker store."""
    with sqlite3.connect(stack.var_dir / "rasa_tracker.db") as db:
        rows = db.execute(
            "select type_name, data from events where sender_id = ? and type_name in ('user', 'bot') order by id",
            [sender],
        ).fetchall()
    return turns_of(rows)


def test_two_hundred_conversations_at_once_lose_nothing_and_keep_their_order(stack):
    url = f"{stack.urls['rasa']}/webhooks/rest/webhook"
    senders = [f"crowd-{n:03d}" for n in range(CONCURRENT_PATIENTS)]

    async def crowd():
        limits = httpx.Limits(max_connections=CONCURRENT_PATIENTS)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            until = time.monotonic() + LOAD_SECONDS
            return await asyncio.gather(
                *(patient(client, url, sender, n, until) for n, sender in enumerate(senders))
            )

    backup = stack.var_dir.parent / "backup-under-load"
    made = {}

    def back_up():  # `clinic backup` while the crowd writes to every database
        made["run"] = run_clinic(stack.environment(), "backup", str(backup))

    timer = threading.Timer(LOAD_SECONDS / 2, back_up)
    timer.start()
    started = time.monotonic()
    asked = dict(zip(senders, asyncio.run(crowd()), strict=True))
    timer.join()
    messages = sum(len(turns) for turns in asked.values())
    print(
        f"{len(senders)} conversations, {messages} messages in {time.monotonic() - started:.0f} s, no errors"
    )
    assert all(asked.values())  # every patient got at least one answer
    for sender in senders:
        assert conversation(stack, sender) == asked[sender]

    assert made["run"].returncode == 0, made["run"].stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert {entry["integrity_check"] for entry in manifest["databases"]} == {"ok"}
    with sqlite3.connect(backup / "rasa_tracker.db") as copy:
        copied = copy.execute("select count(distinct sender_id) from events where sender_id like 'crowd-%'")
        assert copied.fetchone()[0] > 0  # the conversations going on at that moment
