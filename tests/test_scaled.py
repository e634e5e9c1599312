"""Two Rasa instances and two action servers behind nginx, on PostgreSQL and Redis (`make test-scaled`).

The real set-up of `make run-scaled`: Debian's PostgreSQL, Redis and nginx run as our own processes
with their data in a temporary folder, on free ports. Instances are killed (SIGKILL, as a crashed
machine would be) and started again; conversations are read back from PostgreSQL and requests counted
through the staff API. Not in `make test`'s default run: it needs `apt-get install postgresql
redis-server nginx` (.ci/run does it).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from scripts.scaled import postgres_bin
from tests.conftest import (
    BOOKING,
    QUESTIONS,
    TEST_SETTINGS,
    add_staff_account,
    book,
    page_at,
    patient,
    requests_by_conversation,
    run_clinic,
    say,
    turns_of,
    wait_until,
    waiting_in_outbox,
)
from tests.test_browser import ask, open_chat
from tests.test_staff_pages import csrf_of, log_in
from tests.test_webchat import PAGE, replies, type_message

pytestmark = pytest.mark.scaled

SOAK_PATIENTS = 200
SOAK_SECONDS = 40


@pytest.fixture(scope="module")
def scaled(site):
    from scripts.scaled import Scaled, ScaledPorts

    # Not pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which must pass through the
    # folders above its data (pytest's are 0700).
    var_dir = Path(tempfile.mkdtemp(prefix="clinic-scaled-"))
    log = (var_dir.parent / f"{var_dir.name}.log").open("w")
    ports = ScaledPorts.free(2)
    # The API's own page (our widget) and the clinic's site (rasa-webchat) may both open the chat.
    origins = f"http://localhost:{ports.api} {site[1]}"
    settings = {**TEST_SETTINGS, "CLINIC_ALLOWED_ORIGINS": origins}
    scaled = Scaled(instances=2, ports=ports, var_dir=var_dir, log=log, settings=settings)
    try:
        scaled.start()
        scaled.wait_until_ready(timeout=300)
        yield scaled
    except Exception:
        log.flush()
        print(Path(log.name).read_text()[-6000:])
        raise
    finally:
        scaled.stop()
        log.close()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def staff(scaled):
    assert scaled.api is not None
    return add_staff_account(scaled.api)


def rasa_of(scaled, number):
    """One instance's own Rasa, past the load balancer (as if nginx had sent the message there)."""
    return scaled.instance(number)


def conversation(scaled, sender):
    """(patient's text, topic of the answer that followed) for each turn, from PostgreSQL."""
    import psycopg2

    url = scaled.tracker_store_url or scaled.servers.tracker_store_url
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute(
            "select type_name, data from events where sender_id = %s and type_name in ('user', 'bot') order by id",
            [sender],
        )
        return turns_of(cursor.fetchall())


def asks(replies):
    return replies[-1]["custom"].get("asks")


def test_a_conversation_goes_on_whichever_instance_takes_each_message(scaled):
    expected = ["name", "contact", "preferred_time", "new_patient", "reason", "consent", "confirm"]
    for n, message in enumerate(BOOKING[:-1]):
        replies = say(rasa_of(scaled, 1 + n % 2), "spread-direct", message)  # 1, 2, 1, 2, ...
        if n >= 1:
            assert asks(replies) == expected[n - 1], (n, replies)
    reply = say(rasa_of(scaled, 2), "spread-direct", BOOKING[-1])[-1]
    assert "reference" in reply["text"], reply

    # Through the load balancer: round robin over both instances, every conversation keeps its place.
    senders = [f"spread-{n}" for n in range(6)]
    for message in BOOKING[:3]:
        for sender in senders:
            say(scaled, sender, message)
    for sender in senders:
        assert asks(say(scaled, sender, BOOKING[3])) == "preferred_time"
        assert conversation(scaled, sender)[0][0] == BOOKING[0]


def test_an_instance_killed_mid_booking_loses_no_conversation(scaled):
    senders = [f"killed-mid-{n}" for n in range(4)]
    for message in BOOKING[:3]:
        for sender in senders:
            say(scaled, sender, message)
    scaled.kill_instance(1)
    try:
        for sender in senders:  # the next message is answered by the other instance: the form goes on
            assert asks(say(scaled, sender, BOOKING[3])) == "preferred_time"
        for sender in senders:
            for message in BOOKING[4:-1]:
                say(scaled, sender, message)
            assert "reference" in say(scaled, sender, BOOKING[-1])[-1]["text"]
    finally:
        scaled.start_instance(1)


def test_a_stopped_form_and_a_deleted_conversation_are_deleted_from_postgresql(scaled):
    """ClinicTrackerStore's deletions (bot/tracker_store.py) on the postgresql dialect."""
    for message in ["does dry needling hurt?", *BOOKING[:4], "stop"]:  # name and phone typed, then stop
        say(scaled, "pg-stopper", message)
    # The form's span is gone, from the message that opened it; the question before it stays.
    assert conversation(scaled, "pg-stopper") == [("does dry needling hurt?", "needle_pain")]

    say(scaled, "pg-forgetter", "does dry needling hurt?")
    say(scaled, "pg-forgetter", "delete my conversation")
    assert conversation(scaled, "pg-forgetter") == []


def test_two_messages_of_one_patient_at_the_same_moment_are_handled_one_after_the_other(scaled):
    """Each to a different instance: only the lock store keeps them apart."""
    first, second = QUESTIONS[0], QUESTIONS[1]
    senders = [f"at-once-{n}" for n in range(20)]
    with ThreadPoolExecutor(2 * len(senders)) as pool:
        futures = [
            (
                pool.submit(say, rasa_of(scaled, 1), s, first[0]),
                pool.submit(say, rasa_of(scaled, 2), s, second[0]),
            )
            for s in senders
        ]
        for one, two in futures:
            assert [r["custom"]["topic"] for r in one.result()] == [first[1]]
            assert [r["custom"]["topic"] for r in two.result()] == [second[1]]
    for sender in senders:
        # Each message followed by its own answer, neither lost nor interleaved, in one order or the other.
        assert sorted(conversation(scaled, sender)) == sorted([first, second]), sender


def test_the_lock_store_hands_each_ticket_out_once_to_instances_asking_at_the_same_moment(scaled):
    """200 tickets for one conversation asked for at once through 4 clients of our Redis: 200 different
    tickets, all in the queue. (Rasa 3.6's own RedisLockStore, the same way: 40 different, 32 queued.)"""
    from bot.lock_store import ClinicRedisLockStore

    where = scaled.servers.lock_store
    stores = [
        ClinicRedisLockStore(host=where.host, port=where.port, password=where.password, db=where.db)
        for _ in range(4)
    ]
    with ThreadPoolExecutor(32) as pool:
        tickets = list(pool.map(lambda n: stores[n % 4].issue_ticket("tickets-at-once", 60), range(200)))
    assert len(set(tickets)) == 200
    assert len(stores[0].get_lock("tickets-at-once").tickets) == 200
    for ticket in tickets:
        stores[ticket % 4].cleanup("tickets-at-once", ticket)
    assert stores[0].get_lock("tickets-at-once") is None  # the last one out deleted it


def waiting_in_outboxes(scaled) -> int:
    paths = [member.var_dir / "outbox.db" for member in scaled.members]
    return sum(waiting_in_outbox(path) for path in paths if path.exists())


def test_bookings_sent_while_instances_are_killed_arrive_exactly_once(scaled, staff):
    patients = [f"exactly-once-{n}" for n in range(12)]
    for sender in patients[:8]:
        book(scaled, sender, BOOKING[:-1])

    scaled.api.kill("api")  # confirmed while the API is down: they wait in both instances' outboxes
    for n, sender in enumerate(patients[:4]):
        assert book(rasa_of(scaled, 1 + n % 2), sender, BOOKING[-1:])[-1]["custom"].get("saved") is True
    assert [waiting_in_outbox(member.var_dir / "outbox.db") for member in scaled.members] == [2, 2]

    scaled.kill_instance(1)  # crashes with requests waiting in its outbox
    for sender in patients[4:8]:  # confirmed on instance 2 alone, the API still down
        assert book(scaled, sender, BOOKING[-1:])[-1]["custom"].get("saved") is True
    scaled.kill_instance(2)

    scaled.api.start("api")  # the API back; instance 2 delivers what it holds, instance 1 is still down
    scaled.api.wait_until_ready(names=["api"])
    scaled.start_instance(2)
    for sender in patients[8:10]:
        assert "reference" in book(scaled, sender)[-1]["text"]
    scaled.start_instance(1)
    wait_until(lambda: waiting_in_outboxes(scaled) == 0)
    for sender in patients[10:]:
        assert "reference" in book(scaled, sender)[-1]["text"]

    time.sleep(3)  # a duplicate delivery would land now
    counts = requests_by_conversation(scaled, staff)
    assert {sender: counts[sender] for sender in patients} == {sender: 1 for sender in patients}


def in_outboxes(scaled, where: str, value: str) -> int:
    """Rows of every instance's outbox whose `where` (SQL on the outbox's columns) matches `value`."""
    import sqlite3
    from contextlib import closing

    found = 0
    for member in scaled.members:
        with closing(sqlite3.connect(member.var_dir / "outbox.db")) as db:
            found += db.execute(f"select count(*) from outbox where {where}", [value]).fetchone()[0]
    return found


BY_REFERENCE = "reference = ?"
BY_CONVERSATION = "json_valid(payload) and json_extract(payload, '$.conversation_id') = ?"


def clinic(scaled, *args):
    """`clinic` as staff run it on this machine: `set -a; . var/clinic.env` first (README "Scale-out")."""
    done = run_clinic(scaled.clinic_environment(), *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_clinic_forget_deletes_a_conversation_from_postgresql_and_its_requests_from_every_outbox(
    scaled, staff
):
    """A delivered request (its reference left in an instance's outbox) and one still waiting there."""
    delivered, waiting, kept = "forget-delivered", "forget-waiting", "forget-kept"
    reference = book(scaled, delivered)[-1]["custom"]["reference"]
    assert in_outboxes(scaled, BY_REFERENCE, reference) == 1
    for sender in (waiting, kept):
        book(scaled, sender, BOOKING[:-1])
    scaled.api.kill("api")  # confirmed while the API is down: they wait in the instances' outboxes
    try:
        for sender in (waiting, kept):
            assert book(scaled, sender, BOOKING[-1:])[-1]["custom"].get("saved") is True
        assert in_outboxes(scaled, BY_CONVERSATION, waiting) == 1
        assert all(conversation(scaled, sender) for sender in (delivered, waiting, kept))

        said = clinic(scaled, "forget", reference)
        assert f"Deleted request {reference}" in said
        assert "conversation event(s) from postgresql://clinic:***@" in said  # never the password
        said = clinic(scaled, "forget", waiting)
        assert "request(s) queued by the action server from" in said
    finally:
        scaled.api.start("api")
        scaled.api.wait_until_ready(names=["api"])
    assert conversation(scaled, delivered) == [] and conversation(scaled, waiting) == []
    assert in_outboxes(scaled, BY_REFERENCE, reference) == 0
    assert in_outboxes(scaled, BY_CONVERSATION, waiting) == 0
    assert len(conversation(scaled, kept)) == len(BOOKING)  # another patient's: untouched, and delivered
    wait_until(lambda: requests_by_conversation(scaled, staff)[kept] == 1)
    assert requests_by_conversation(scaled, staff)[waiting] == 0  # forgotten before it was delivered


def test_a_manager_forgetting_a_patient_in_the_staff_pages_deletes_the_conversation_from_postgresql(scaled):
    """The staff page "forget a patient" (as `clinic forget REQ-…`): the API reads the same tracker store."""
    manager = ("scaled-manager", "a long enough manager password")
    run_clinic(
        scaled.api.environment(), "staff", "add", manager[0], "--manager", stdin=manager[1] + "\n"
    ).check_returncode()
    reference = book(scaled, "forget-on-the-page")[-1]["custom"]["reference"]
    assert conversation(scaled, "forget-on-the-page")
    with httpx.Client(base_url=scaled.urls["api"], follow_redirects=True) as api:
        log_in(api, manager)
        token = csrf_of(api.get("/staff/team"))
        forgotten = api.post(
            "/staff/team/forget", data={"csrf": token, "reference": reference, "confirm": "yes"}
        )
    assert f"Forgot {reference}" in forgotten.text
    assert conversation(scaled, "forget-on-the-page") == []
    assert in_outboxes(scaled, BY_REFERENCE, reference) == 0


def test_clinic_purge_deletes_old_conversations_from_postgresql_and_old_requests_from_every_outbox(scaled):
    """Two conversations and their delivered requests, one made to look three days old."""
    import sqlite3
    from contextlib import closing

    import psycopg2

    old, recent = "purge-old", "purge-recent"
    references = {sender: book(scaled, sender)[-1]["custom"]["reference"] for sender in (old, recent)}
    for reference in references.values():  # the outbox marks a request delivered once the API has it
        wait_until(
            lambda r=reference: in_outboxes(scaled, "delivered_at is not null and reference = ?", r) == 1
        )
    three_days = 3 * 24 * 3600
    url = scaled.tracker_store_url or scaled.servers.tracker_store_url
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute("update events set timestamp = timestamp - %s where sender_id = %s", [three_days, old])
    for member in scaled.members:
        with closing(sqlite3.connect(member.var_dir / "outbox.db")) as outbox, outbox:
            outbox.execute(
                "update outbox set delivered_at = delivered_at - ?, next_attempt_at = next_attempt_at - ? "
                "where reference = ?",
                [three_days, three_days, references[old]],
            )

    said = clinic(scaled, "purge", "--older-than", "2d")
    assert "conversation event(s) from postgresql://" in said
    assert conversation(scaled, old) == []
    assert len(conversation(scaled, recent)) == len(BOOKING)
    assert in_outboxes(scaled, BY_REFERENCE, references[old]) == 0
    assert in_outboxes(scaled, BY_REFERENCE, references[recent]) == 1


def test_clinic_backup_dumps_postgresql_and_copies_every_outbox(scaled, tmp_path):
    import json
    import subprocess

    book(scaled, "backed-up")
    said = clinic(scaled, "backup", str(tmp_path / "backup"))
    assert "dumped with pg_dump" in said
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    by_name = {entry["name"]: entry for entry in manifest["databases"]}
    assert set(by_name) == {"handoffs", "rasa_tracker", "outbox-instance-1", "outbox-instance-2"}
    assert {entry["integrity_check"] for entry in by_name.values()} == {"ok"}
    assert by_name["rasa_tracker"]["format"] == "pg_dump" and "***" in by_name["rasa_tracker"]["source"]
    dump = tmp_path / "backup" / by_name["rasa_tracker"]["file"]
    assert dump.stat().st_mode & 0o777 == 0o600
    listed = subprocess.run(
        [str(postgres_bin() / "pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=True
    )
    assert "TABLE DATA public events" in listed.stdout
    # What `clinic restore` checks before it would write anything: every copy, the dump too.
    checked = run_clinic(scaled.clinic_environment(), "restore", str(tmp_path / "backup"))
    assert "is a sound backup" in checked.stderr, checked.stderr


def test_two_hundred_conversations_across_instances_lose_nothing_and_keep_their_order(scaled):
    url = f"{scaled.urls['rasa']}/webhooks/rest/webhook"
    senders = [f"soak-{n:03d}" for n in range(SOAK_PATIENTS)]

    async def crowd():
        limits = httpx.Limits(max_connections=SOAK_PATIENTS)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            until = time.monotonic() + SOAK_SECONDS
            return await asyncio.gather(*(patient(client, url, s, n, until) for n, s in enumerate(senders)))

    started = time.monotonic()
    asked = dict(zip(senders, asyncio.run(crowd()), strict=True))
    messages = sum(len(turns) for turns in asked.values())
    print(
        f"{len(senders)} conversations, {messages} messages in {time.monotonic() - started:.0f} s, no errors"
    )
    assert all(asked.values())
    for sender in senders:
        assert conversation(scaled, sender) == asked[sender]


def test_our_widget_keeps_its_conversation_through_the_load_balancer_whichever_instance_dies(scaled, browser):
    """socket.io through nginx (polling, then the WebSocket upgrade); its instance killed, the widget
    reconnects to the other one, whose same session key accepts the conversation's token."""
    page = page_at(browser, scaled.urls["api"])
    open_chat(page)  # the API's page: its widget talks to the load balancer
    ask(page, "I'd like to book an appointment")
    assert "Which treatment would you like to book?" in page.locator(".cw-bot").last.inner_text()
    steps = [(1, "IMS", "What name should the booking be under?"), (2, "Jordan Lee", "best phone number")]
    for number, message, expected in steps:
        scaled.kill_instance(number)
        try:
            ask(page, message)
            assert expected in page.locator(".cw-bot").last.inner_text()
        finally:
            scaled.start_instance(number)
    assert page.errors == []
    page.context.close()


def test_rasa_webchat_keeps_its_conversation_through_the_load_balancer(scaled, browser, site):
    folder, origin = site
    (folder / "index.html").write_text(PAGE.replace("RASA_URL", scaled.urls["rasa"]), encoding="utf-8")
    page = page_at(browser, origin)
    page.goto("/index.html")
    replies(page).first.wait_for()  # the greeting (rasa-webchat's initPayload)
    answer = type_message(page, "I'd like to book an appointment")
    assert "Which treatment would you like to book?" in answer.inner_text()
    # Each instance killed in turn: whichever one held the socket, the reloaded page reaches the other.
    steps = [
        (1, "acupuncture", "What name should the booking be under?"),
        (2, "Jordan Lee", "best phone number"),
    ]
    for number, message, expected in steps:
        scaled.kill_instance(number)
        try:
            shown = replies(page).count()
            page.reload()  # a new socket, with the token from before
            replies(page).nth(shown - 1).wait_for()  # the conversation so far, shown again
            assert expected in type_message(page, message).inner_text()
        finally:
            scaled.start_instance(number)
    assert page.errors == []
    page.context.close()
