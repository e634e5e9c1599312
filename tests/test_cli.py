"""`clinic`: staff accounts, purge, forget, the CSV export, backup and restore."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from actions.outbox import enqueue
from api import store
from api.cli import main
from api.db import connect
from api.export import EXPORT_COLUMNS
from api.models import FeedbackCreate
from tests.conftest import project_file

CLINIC = Path(sys.executable).parent / "clinic"
DAY = 86400
# Rasa 3.6's SQL tracker store makes its table this way.
RASA_EVENTS = """
create table if not exists events (
    id INTEGER NOT NULL, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT, PRIMARY KEY (id)
)
"""


@pytest.fixture
def clinic(api_settings, monkeypatch, capsys):
    """Runs `clinic ...` in this process against the test's databases; returns (exit code, out, err)."""
    monkeypatch.setenv("CLINIC_HANDOFFS_DB", str(api_settings.handoffs_db))
    monkeypatch.setenv("CLINIC_RASA_TRACKER_DB", str(api_settings.rasa_tracker_db))
    monkeypatch.setenv("CLINIC_OUTBOX_DB", str(api_settings.outbox_db))

    def run(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    umask = os.umask(0o022)
    os.umask(umask)
    yield run
    os.umask(umask)  # main() makes its process private: this one, pytest's, gets its own back


def backdate(settings, handoff_id, days):
    moment = store.timestamp(datetime.now(timezone.utc) - timedelta(days=days))
    with connect(settings.handoffs_db) as db:
        db.execute("update handoffs set created_at = ? where id = ?", [moment, handoff_id])


def test_the_console_script_adds_a_staff_account_from_standard_input_and_they_can_log_in(api, api_settings):
    result = subprocess.run(
        [str(CLINIC), "staff", "add", "robin"],
        input="a long enough password\n",
        capture_output=True,
        text=True,
        env={**os.environ, "CLINIC_HANDOFFS_DB": str(api_settings.handoffs_db)},
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "robin" in result.stdout
    assert api.get("/api/handoffs", auth=("robin", "a long enough password")).status_code == 200
    assert api.get("/api/handoffs", auth=("robin", "a long enough password!")).status_code == 401


def test_passwords_are_stored_hashed_with_a_salt_of_their_own(clinic, api_settings):
    clinic("staff", "add", "robin", stdin="a long enough password\n")
    clinic("staff", "add", "kim", stdin="a long enough password\n")

    with connect(api_settings.handoffs_db) as db:
        hashes = [row["password_hash"] for row in db.query("select password_hash from staff")]
    assert all(h.startswith("scrypt$") and "a long enough password" not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_a_short_password_is_refused_and_nothing_is_stored(clinic):
    code, out, err = clinic("staff", "add", "robin", stdin="short\n")

    assert code == 1
    assert "at least 12 characters" in err
    assert "robin" not in clinic("staff", "list")[1]


@pytest.mark.parametrize(
    "password, why",
    [
        ("aaaaaaaaaaaa", "repeats too few characters"),
        ("qwertyuiop12", "one of the most common ones"),
        ("robin the physio", "must not contain the username"),
    ],
)
def test_a_weak_password_is_refused_with_what_to_do_and_nothing_is_stored(clinic, password, why):
    code, out, err = clinic("staff", "add", "robin", stdin=password + "\n")

    assert code == 1
    what_is_wrong, what_to_do = err.split(": ", 1)
    assert why in what_is_wrong and what_to_do.startswith(("choose", "use"))
    assert "robin" not in clinic("staff", "list")[1]


def test_a_new_password_is_held_to_the_same_policy(clinic, api, staff):
    code, out, err = clinic("staff", "password", staff[0], stdin="frontdesk password 2\n")

    assert code == 1 and "must not contain the username" in err
    assert api.get("/api/handoffs", auth=staff).status_code == 200


def test_an_existing_account_is_not_overwritten(clinic):
    clinic("staff", "add", "robin", stdin="a long enough password\n")

    code, out, err = clinic("staff", "add", "robin", stdin="another long password\n")

    assert code == 1
    assert "already a staff account called 'robin'" in err


def test_a_username_with_odd_characters_is_refused(clinic):
    code, out, err = clinic("staff", "add", "robin smith", stdin="a long enough password\n")

    assert code == 1
    assert "username" in err


def test_staff_list_and_remove(clinic, api, staff):
    clinic("staff", "add", "robin", stdin="a long enough password\n")

    assert clinic("staff", "list")[1].split("\n")[0].startswith("frontdesk\tfront desk\tadded ")
    assert "robin\tfront desk\tadded " in clinic("staff", "list")[1]

    assert clinic("staff", "remove", "robin")[0] == 0
    assert "robin" not in clinic("staff", "list")[1]
    assert api.get("/api/handoffs", auth=("robin", "a long enough password")).status_code == 401

    code, out, err = clinic("staff", "remove", "robin")
    assert code == 1 and "no staff account called 'robin'" in err


def test_managers_are_made_and_unmade_on_the_command_line_and_one_always_stays(clinic, api, staff):
    added = clinic("staff", "add", "morgan", "--manager", stdin="a long enough password\n")
    promoted = clinic("staff", "role", "frontdesk", "manager")
    clinic("staff", "role", "frontdesk", "front_desk")
    last = clinic("staff", "role", "morgan", "front_desk")

    assert added[0] == 0 and "Staff account 'morgan' added (manager)" in added[1]
    assert promoted[0] == 0 and "'frontdesk' is now manager." in promoted[1]
    assert last[0] == 1 and "The clinic needs at least one manager" in last[2]
    assert "morgan\tmanager\tadded " in clinic("staff", "list")[1]


def test_a_new_password_replaces_the_old_one(clinic, api, staff):
    assert clinic("staff", "password", staff[0], stdin="a brand new password\n")[0] == 0

    assert api.get("/api/handoffs", auth=staff).status_code == 401
    assert api.get("/api/handoffs", auth=(staff[0], "a brand new password")).status_code == 200


def test_purge_deletes_old_requests_with_their_notes_and_history_and_keeps_the_rest(
    clinic, api, api_settings, hand_over, staff
):
    old = hand_over()
    recent = hand_over()
    api.patch(f"/api/handoffs/{old['id']}", json={"status": "contacted", "note": "called"}, auth=staff)
    backdate(api_settings, old["id"], days=91)
    backdate(api_settings, recent["id"], days=89)

    code, out, err = clinic("purge", "--older-than", "90d")

    assert code == 0
    assert "Deleted 1 request(s)" in out
    assert api.get(f"/api/handoffs/{old['id']}", auth=staff).status_code == 404
    assert api.get(f"/api/handoffs/{recent['id']}", auth=staff).status_code == 200
    with connect(api_settings.handoffs_db) as db:
        for table in ("handoff_history", "handoff_notes"):
            assert not db.execute(
                f"select count(*) from {table} where handoff_id = ?", [old["id"]]
            ).fetchone()[0]


def test_purge_deletes_old_conversation_events_from_the_rasa_tracker_store(clinic, api_settings):
    tracker = api_settings.rasa_tracker_db
    now = datetime.now(timezone.utc).timestamp()
    with sqlite3.connect(tracker) as conn:
        conn.execute(
            "create table events (id integer primary key, sender_id text, type_name text, timestamp real, data text)"
        )
        conn.executemany(
            "insert into events (sender_id, type_name, timestamp, data) values (?, 'user', ?, '{}')",
            [("old", now - 100 * 86400), ("old", now - 95 * 86400), ("new", now - 3600)],
        )

    code, out, err = clinic("purge", "--older-than", "90d", "--rasa-tracker", str(tracker))

    assert code == 0
    assert f"Deleted 2 conversation event(s) from {tracker}" in out
    with sqlite3.connect(tracker) as conn:
        assert conn.execute("select sender_id from events").fetchall() == [("new",)]


def test_purge_says_so_when_there_is_no_tracker_store(clinic, tmp_path):
    code, out, err = clinic("purge", "--older-than", "12h", "--rasa-tracker", str(tmp_path / "nothing.db"))

    assert code == 0
    assert "Deleted 0 request(s)" in out and "No Rasa tracker store" in out


@pytest.mark.parametrize("age", ["90", "ninety days", "0d", "-5d"])
def test_purge_needs_an_age_like_90d(clinic, age):
    with pytest.raises(SystemExit) as stopped:
        clinic("purge", "--older-than", age)
    assert stopped.value.code == 2


def test_export_writes_csv_with_a_header_readable_only_by_the_clinic(clinic, hand_over, tmp_path):
    hand_over()
    hand_over(name='=HYPERLINK("http://evil.example")', kind="question", therapy=None, question="Hi?")
    out_file = tmp_path / "requests.csv"

    code, out, err = clinic("export", "--out", str(out_file))

    assert code == 0 and "Wrote 2 request(s)" in out
    assert out_file.stat().st_mode & 0o777 == 0o600
    with out_file.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert rows[0]["name"] == "Jordan Lee" and rows[0]["kind"] == "booking" and rows[0]["status"] == "new"
    # A patient's text never runs as a spreadsheet formula.
    assert rows[1]["name"].startswith("'=")


def test_export_over_a_file_others_could_read_leaves_only_a_private_file(clinic, hand_over, tmp_path):
    hand_over()
    out_file = tmp_path / "requests.csv"
    out_file.write_text("last month's export, longer than this one will be\n" * 100)
    out_file.chmod(0o644)

    code, out, err = clinic("export", "--out", str(out_file))

    assert code == 0, err
    assert out_file.stat().st_mode & 0o777 == 0o600
    assert out_file.read_text().splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert "last month" not in out_file.read_text()
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".requests.csv")] == []  # no draft left


def test_everything_the_command_creates_is_private_whatever_the_umask_it_started_with(tmp_path):
    fresh = tmp_path / "var" / "handoffs.db"

    result = subprocess.run(
        [str(CLINIC), "staff", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "CLINIC_HANDOFFS_DB": str(fresh)},
        preexec_fn=lambda: os.umask(0o022),
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert fresh.parent.stat().st_mode & 0o777 == 0o700
    made = [path for path in fresh.parent.iterdir()]
    assert fresh in made
    assert {path.name: path.stat().st_mode & 0o777 for path in made} == {path.name: 0o600 for path in made}


def test_export_to_standard_output(clinic, hand_over):
    hand_over()

    code, out, err = clinic("export")

    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert len(lines) == 2


def test_export_of_an_empty_database_is_just_the_header(clinic):
    code, out, err = clinic("export")

    assert out.strip() == ",".join(EXPORT_COLUMNS)


def rasa_events(tracker_db, *events):
    """Adds (conversation id, event type, days ago) rows to a tracker store made the way Rasa makes it."""
    now = time.time()
    with closing(sqlite3.connect(tracker_db)) as conn:
        with conn:
            conn.execute(RASA_EVENTS)
            conn.executemany(
                "insert into events (sender_id, type_name, timestamp, data) values (?, ?, ?, '{}')",
                [(sender, kind, now - days * DAY) for sender, kind, days in events],
            )


def events_by_conversation(tracker_db):
    with closing(sqlite3.connect(tracker_db)) as conn:
        return dict(conn.execute("select sender_id, count(*) from events group by sender_id").fetchall())


def contents(path):
    """Every row of every table of an SQLite file, by table."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")]
        # Sorted here, not by rowid: the search index's own tables (handoffs_fts_*) have none.
        return {
            table: sorted(conn.execute(f'select * from "{table}"').fetchall(), key=repr) for table in tables
        }


def rasa_tracker_store(tracker_db):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))


def save_conversation(tracker_db, conversation_id, *said):
    """A conversation saved by Rasa's own SQL tracker store; returns its events as dicts."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for text in said:
        events += [
            UserUttered(text, {"name": "book"}),
            BotUttered("Thanks!"),
            ActionExecuted("action_listen"),
        ]
    tracker_store = rasa_tracker_store(tracker_db)
    try:
        asyncio.run(tracker_store.save(DialogueStateTracker.from_events(conversation_id, events)))
    finally:
        tracker_store.engine.dispose()
    return [event.as_dict() for event in events]


def conversation(tracker_db, conversation_id):
    """A conversation's events as Rasa reads them back."""
    tracker_store = rasa_tracker_store(tracker_db)
    try:
        tracker = asyncio.run(tracker_store.retrieve_full_tracker(conversation_id))
    finally:
        tracker_store.engine.dispose()
    return [event.as_dict() for event in tracker.events] if tracker else []


@pytest.fixture
def two_patients(api, api_settings, hand_over, staff):
    """Jordan and Sam: each with a request and a staff note, a Rasa conversation, feedback and a queued copy."""
    jordan = hand_over(conversation_id="conversation-jordan")
    sam = hand_over(
        name="Sam Patel", contact="sam@example.com", contact_type="email", conversation_id="conversation-sam"
    )
    api.patch(
        f"/api/handoffs/{jordan['id']}", json={"status": "contacted", "note": "Called Jordan"}, auth=staff
    )
    api.patch(f"/api/handoffs/{sam['id']}", json={"note": "Emailed Sam"}, auth=staff)
    for patient in (jordan, sam):
        with connect(api_settings.handoffs_db) as db:
            store.record_feedback(
                db,
                feedback=FeedbackCreate(
                    topic="needle_pain", helpful=True, conversation_id=patient["conversation_id"]
                ),
            )
        save_conversation(
            api_settings.rasa_tracker_db,
            patient["conversation_id"],
            "I'd like to book IMS",
            f"I'm {patient['name']}, {patient['contact']}",
        )
        key = enqueue(
            {"kind": "booking", "name": patient["name"], "conversation_id": patient["conversation_id"]},
            path=api_settings.outbox_db,
        )
    # Sam's request is still waiting in the outbox; Jordan's was delivered: as `deliver` leaves it, with
    # its reference and a blanked payload.
    with closing(sqlite3.connect(api_settings.outbox_db)) as outbox, outbox:
        outbox.execute(
            "update outbox set reference = ?, payload = '', delivered_at = 1 where id != ?",
            [jordan["reference"], key],
        )
    return jordan, sam


@pytest.fixture
def running_api(api_settings, staff):
    """A connection held open the way the running assistant holds its own: writes stay in the WAL."""
    with closing(sqlite3.connect(api_settings.handoffs_db)) as conn:
        conn.execute("select count(*) from handoffs").fetchall()
        yield conn


def databases(settings):
    return [settings.handoffs_db, settings.rasa_tracker_db, settings.outbox_db]


def test_a_backup_is_a_private_folder_with_a_copy_of_each_database_and_a_manifest(
    clinic, api_settings, two_patients, tmp_path
):
    backups = tmp_path / "backups" / "monday"

    code, out, err = clinic("backup", str(backups))

    assert code == 0, err
    assert backups.stat().st_mode & 0o777 == 0o700
    files = sorted(backups.iterdir())
    assert [f.name for f in files] == ["handoffs.db", "manifest.json", "outbox.db", "rasa_tracker.db"]
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    manifest = json.loads((backups / "manifest.json").read_text())
    assert datetime.fromisoformat(manifest["made_at"]) > datetime.now(timezone.utc) - timedelta(minutes=1)
    for entry, source in zip(manifest["databases"], databases(api_settings), strict=True):
        copy = backups / entry["file"]
        assert entry["source"] == str(source.resolve())
        assert entry["integrity_check"] == "ok"
        assert entry["bytes"] == copy.stat().st_size
        assert entry["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
        assert contents(copy) == contents(source)
    assert [entry["name"] for entry in manifest["databases"]] == ["handoffs", "rasa_tracker", "outbox"]
    assert "handoffs: " in out and "integrity ok" in out


def test_backup_while_the_assistant_writes_then_restore_brings_everything_back_exactly(
    clinic, api, api_settings, running_api, two_patients, staff, tmp_path
):
    jordan, sam = two_patients
    backups = tmp_path / "backups" / "monday"
    as_staff_saw_them = api.get("/api/handoffs", auth=staff).json()
    before = [contents(path) for path in databases(api_settings)]
    jordans_conversation = conversation(api_settings.rasa_tracker_db, "conversation-jordan")
    # The latest requests are still in the WAL, and the assistant is in the middle of a write.
    assert Path(f"{api_settings.handoffs_db}-wal").stat().st_size > 0
    running_api.execute("begin immediate")
    running_api.execute("update handoffs set name = 'Half written' where id = ?", [sam["id"]])

    assert clinic("backup", str(backups))[0] == 0

    running_api.commit()
    clinic("forget", jordan["reference"])
    with closing(sqlite3.connect(api_settings.outbox_db)) as outbox, outbox:
        outbox.execute("delete from outbox")
    after_the_damage = [contents(path) for path in databases(api_settings)]

    code, out, err = clinic("restore", str(backups))

    assert code == 1
    assert "stop the assistant first" in err and f"clinic restore {backups} --yes" in err
    assert [contents(path) for path in databases(api_settings)] == after_the_damage

    code, out, err = clinic("restore", str(backups), "--yes")

    assert code == 0, err
    assert "Restored the backup made at" in out
    assert [contents(path) for path in databases(api_settings)] == before
    assert api.get("/api/handoffs", auth=staff).json() == as_staff_saw_them
    assert conversation(api_settings.rasa_tracker_db, "conversation-jordan") == jordans_conversation


def test_backup_skips_a_database_that_is_not_there_yet(clinic, api_settings, staff, tmp_path):
    code, out, err = clinic("backup", str(tmp_path / "backup"))

    assert code == 0, err
    assert f"outbox: no database at {api_settings.outbox_db} yet" in out
    assert f"rasa_tracker: no database at {api_settings.rasa_tracker_db} yet" in out
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert [entry["name"] for entry in manifest["databases"]] == ["handoffs"]
    assert not api_settings.outbox_db.exists()


def test_backup_never_writes_into_a_folder_that_has_files_in_it(clinic, staff, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "handoffs.db").write_text("last week's")

    code, out, err = clinic("backup", str(tmp_path / "backup"))

    assert code == 1 and "back up into a new one" in err
    assert (tmp_path / "backup" / "handoffs.db").read_text() == "last week's"


def test_restore_refuses_a_folder_without_a_manifest(clinic, api_settings, staff, tmp_path):
    (tmp_path / "backup").mkdir()
    before = contents(api_settings.handoffs_db)

    code, out, err = clinic("restore", str(tmp_path / "backup"), "--yes")

    assert code == 1 and "has no manifest.json" in err and "Nothing was restored" in err
    assert contents(api_settings.handoffs_db) == before


def damage(copy, *, keep_checksum):
    data = bytearray(copy.read_bytes())
    data[4096:4196] = b"\xff" * 100  # the start of the second page
    copy.write_bytes(bytes(data))
    if keep_checksum:  # as if the database was already damaged when it was copied
        manifest = json.loads((copy.parent / "manifest.json").read_text())
        manifest["databases"][0]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        (copy.parent / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "keep_checksum, why",
    [(False, "is missing or changed since the backup was made"), (True, "fails SQLite's integrity check")],
)
def test_restore_refuses_a_damaged_copy_and_restores_nothing(
    clinic, api, api_settings, staff, hand_over, tmp_path, keep_checksum, why
):
    hand_over()
    clinic("backup", str(tmp_path / "backup"))
    hand_over(name="Sam Patel")
    damage(tmp_path / "backup" / "handoffs.db", keep_checksum=keep_checksum)
    before = contents(api_settings.handoffs_db)

    code, out, err = clinic("restore", str(tmp_path / "backup"), "--yes")

    assert code == 1 and why in err and "Nothing was restored" in err
    assert contents(api_settings.handoffs_db) == before


def test_forget_deletes_one_patients_request_conversation_feedback_and_queued_copy(
    clinic, api, api_settings, two_patients, staff
):
    jordan, sam = two_patients
    sams_conversation = conversation(api_settings.rasa_tracker_db, "conversation-sam")

    code, out, err = clinic("forget", jordan["reference"].lower())

    assert code == 0, err
    assert out.splitlines() == [
        f"Deleted request {jordan['reference']} with its 1 note(s) and 3 history entries.",
        "Deleted 1 piece(s) of feedback given in its conversation.",
        f"Deleted 9 conversation event(s) from {api_settings.rasa_tracker_db}.",
        f"Deleted 1 request(s) queued by the action server from {api_settings.outbox_db}.",
        "Backups made before now still hold this request.",
    ]
    assert api.get(f"/api/handoffs/{jordan['id']}", auth=staff).status_code == 404
    assert conversation(api_settings.rasa_tracker_db, "conversation-jordan") == []
    with connect(api_settings.handoffs_db) as db:
        for table in ("handoff_history", "handoff_notes"):
            assert not db.table(table).count_where("handoff_id = ?", [jordan["id"]])
        assert [row["conversation_id"] for row in db.query("select conversation_id from feedback")] == [
            "conversation-sam"
        ]
    with closing(sqlite3.connect(api_settings.outbox_db)) as outbox:
        payloads = [json.loads(row[0]) for row in outbox.execute("select payload from outbox")]
    assert [payload["name"] for payload in payloads] == ["Sam Patel"]
    # Everything of Sam's is as it was.
    assert api.get(f"/api/handoffs/{sam['id']}", auth=staff).json()["notes"][0]["text"] == "Emailed Sam"
    assert conversation(api_settings.rasa_tracker_db, "conversation-sam") == sams_conversation


def test_forget_leaves_no_trace_of_the_patient_in_the_database_files(
    clinic, api_settings, running_api, two_patients, tmp_path
):
    jordan, sam = two_patients
    files = sorted(tmp_path.glob("*.db*"))
    assert "handoffs.db-wal" in [f.name for f in files]
    assert [f.name for f in files if b"Jordan" in f.read_bytes()]

    assert clinic("forget", jordan["reference"])[0] == 0

    assert not [f.name for f in files if f.exists() and b"Jordan" in f.read_bytes()]
    assert [f.name for f in files if f.exists() and b"Sam Patel" in f.read_bytes()]


def test_forget_an_unknown_reference_deletes_nothing(clinic, api_settings, two_patients):
    before = [contents(path) for path in databases(api_settings)]

    code, out, err = clinic("forget", "REQ-ZZZZZ")

    assert code == 1
    assert "There is no request with reference REQ-ZZZZZ" in err
    assert [contents(path) for path in databases(api_settings)] == before


def test_forget_names_other_requests_from_the_same_conversation_and_keeps_them(clinic, api, hand_over, staff):
    booking = hand_over(conversation_id="conversation-jordan")
    question = hand_over(
        kind="question", therapy=None, question="Do you bill ICBC?", conversation_id="conversation-jordan"
    )

    code, out, err = clinic("forget", booking["reference"])

    assert code == 0, err
    assert f"Kept {question['reference']} from the same conversation: forget them too if asked." in out
    assert api.get(f"/api/handoffs/{question['id']}", auth=staff).status_code == 200


def test_forget_a_conversation_deletes_its_events_requests_feedback_and_queued_copies(
    clinic, api, api_settings, two_patients, hand_over, staff
):
    jordan, sam = two_patients
    question = hand_over(
        kind="question", therapy=None, question="Do you bill ICBC?", conversation_id="conversation-jordan"
    )
    sams_conversation = conversation(api_settings.rasa_tracker_db, "conversation-sam")

    code, out, err = clinic("forget", "conversation-jordan")

    assert code == 0, err
    assert out.splitlines() == [
        f"Deleted 2 request(s) from conversation conversation-jordan ({jordan['reference']}, "
        f"{question['reference']}) with their 1 note(s) and 4 history entries.",
        "Deleted 1 piece(s) of feedback given in it.",
        f"Deleted 9 conversation event(s) from {api_settings.rasa_tracker_db}.",
        f"Deleted 1 request(s) queued by the action server from {api_settings.outbox_db}.",
        "Backups made before now still hold this conversation.",
    ]
    for gone in (jordan, question):
        assert api.get(f"/api/handoffs/{gone['id']}", auth=staff).status_code == 404
    assert conversation(api_settings.rasa_tracker_db, "conversation-jordan") == []
    with connect(api_settings.handoffs_db) as db:
        assert [row["conversation_id"] for row in db.query("select conversation_id from feedback")] == [
            "conversation-sam"
        ]
        assert not db.execute(
            "select count(*) from handoff_notes where handoff_id = ?", [jordan["id"]]
        ).fetchone()[0]
    with closing(sqlite3.connect(api_settings.outbox_db)) as outbox:
        payloads = [json.loads(row[0]) for row in outbox.execute("select payload from outbox")]
    assert [payload["name"] for payload in payloads] == ["Sam Patel"]
    # Everything of Sam's is as it was.
    assert api.get(f"/api/handoffs/{sam['id']}", auth=staff).json()["notes"][0]["text"] == "Emailed Sam"
    assert conversation(api_settings.rasa_tracker_db, "conversation-sam") == sams_conversation


def test_forget_a_conversation_with_no_request_yet_deletes_what_there_is(clinic, api_settings, two_patients):
    save_conversation(api_settings.rasa_tracker_db, "just-asking", "does IMS hurt?")
    enqueue(
        {"kind": "question", "name": "Kim", "conversation_id": "just-asking"}, path=api_settings.outbox_db
    )

    code, out, err = clinic("forget", "just-asking")

    assert code == 0, err
    assert "Deleted 0 request(s) from conversation just-asking (none)" in out
    assert f"Deleted 6 conversation event(s) from {api_settings.rasa_tracker_db}." in out
    assert f"Deleted 1 request(s) queued by the action server from {api_settings.outbox_db}." in out
    assert conversation(api_settings.rasa_tracker_db, "just-asking") == []
    assert events_by_conversation(api_settings.rasa_tracker_db) == {
        "conversation-jordan": 9,
        "conversation-sam": 9,
    }


def test_forget_a_conversation_leaves_no_trace_of_the_patient_in_the_database_files(
    clinic, api_settings, running_api, two_patients, tmp_path
):
    files = sorted(tmp_path.glob("*.db*"))
    assert [f.name for f in files if b"Jordan" in f.read_bytes()]

    assert clinic("forget", "conversation-jordan")[0] == 0

    assert not [f.name for f in files if f.exists() and b"Jordan" in f.read_bytes()]
    assert [f.name for f in files if f.exists() and b"Sam Patel" in f.read_bytes()]


def test_forget_an_id_nothing_is_kept_under_says_so_and_deletes_nothing(clinic, api_settings, two_patients):
    before = [contents(path) for path in databases(api_settings)]

    code, out, err = clinic("forget", "conversation-nobody")

    assert code == 1
    assert "Nothing is kept under 'conversation-nobody'" in err and "Nothing was deleted." in err
    assert [contents(path) for path in databases(api_settings)] == before


def clinic_yml_with(tmp_path, monkeypatch, retention_days):
    """The clinic.yml we ship, with retention_days set to `retention_days` (or left out for None)."""
    clinic = yaml.safe_load(project_file("clinic.yml").read_text(encoding="utf-8"))
    clinic.pop("retention_days", None)
    if retention_days is not None:
        clinic["retention_days"] = retention_days
    (tmp_path / "clinic.yml").write_text(yaml.safe_dump(clinic))
    monkeypatch.setenv("CLINIC_CONFIG", str(tmp_path / "clinic.yml"))


@pytest.mark.parametrize(
    "retention_days, days, says",
    [
        (30, 30, "Keeping 30 days (retention_days in"),
        (None, 90, "Keeping 90 days, the default: set retention_days in"),
    ],
)
def test_purge_without_an_age_keeps_what_clinic_yml_says(
    clinic, api, api_settings, hand_over, staff, tmp_path, monkeypatch, retention_days, days, says
):
    clinic_yml_with(tmp_path, monkeypatch, retention_days)
    old, recent = hand_over(), hand_over()
    backdate(api_settings, old["id"], days=days + 1)
    backdate(api_settings, recent["id"], days=days - 1)
    rasa_events(
        api_settings.rasa_tracker_db,
        ("old", "session_started", days + 1),
        ("old", "user", days + 1),
        ("recent", "session_started", days - 1),
        ("recent", "user", days - 1),
    )

    code, out, err = clinic("purge")

    assert code == 0, err
    assert says in out
    assert "Deleted 1 request(s)" in out and "Deleted 2 conversation event(s)" in out
    assert api.get(f"/api/handoffs/{old['id']}", auth=staff).status_code == 404
    assert api.get(f"/api/handoffs/{recent['id']}", auth=staff).status_code == 200
    assert events_by_conversation(api_settings.rasa_tracker_db) == {"recent": 2}


def test_the_clinic_yml_we_ship_keeps_90_days(clinic):
    code, out, err = clinic("purge")

    assert code == 0, err
    assert "Keeping 90 days (retention_days in" in out


@pytest.mark.parametrize("value", ["ninety", 0, -30, 1.5, True])
def test_a_retention_that_is_not_a_number_of_days_is_refused(clinic, tmp_path, monkeypatch, value):
    clinic_yml_with(tmp_path, monkeypatch, value)

    code, out, err = clinic("purge")

    assert code == 1
    assert "make it a whole number of days, like 90" in err and "Nothing was deleted" in err


def test_an_incomplete_clinic_yml_is_refused_with_what_to_add(clinic, tmp_path, monkeypatch):
    (tmp_path / "clinic.yml").write_text("name: A clinic that said little\nretention_days: 30\n")
    monkeypatch.setenv("CLINIC_CONFIG", str(tmp_path / "clinic.yml"))

    code, out, err = clinic("purge")

    assert code == 1
    assert "lacks phone" in err and "Nothing was deleted" in err


def test_purge_deletes_whole_conversations_and_never_half_a_session(clinic, api_settings):
    rasa_events(
        api_settings.rasa_tracker_db,
        # Over and done with: every event goes.
        ("finished", "session_started", 100),
        ("finished", "user", 100),
        ("finished", "bot", 95),
        # Came back yesterday: the old session goes, yesterday's stays.
        ("came-back", "session_started", 100),
        ("came-back", "user", 100),
        ("came-back", "session_started", 1),
        ("came-back", "user", 1),
        # One session that started before the cut-off and is still going: it stays whole.
        ("ongoing", "session_started", 91),
        ("ongoing", "user", 91),
        ("ongoing", "user", 89),
    )

    code, out, err = clinic("purge", "--older-than", "90d")

    assert code == 0, err
    assert "Deleted 5 conversation event(s)" in out
    assert events_by_conversation(api_settings.rasa_tracker_db) == {"came-back": 2, "ongoing": 3}


def test_forget_finds_a_queued_request_among_delivered_ones_whose_details_are_blanked(tmp_path):
    from api.conversations import erasing
    from clinic.outbox import forget_queued_request

    outbox = tmp_path / "outbox.db"
    for conversation in ("delivered-1", "delivered-2", "waiting"):
        enqueue({"kind": "booking", "name": "Sam", "conversation_id": conversation}, path=outbox)
    with closing(sqlite3.connect(outbox)) as db, db:  # as `deliver` leaves the first two
        db.execute(
            "update outbox set reference = 'REQ-' || substr(id, 1, 5), payload = '', delivered_at = 1 "
            "where json_extract(payload, '$.conversation_id') like 'delivered-%'"
        )

    with erasing(outbox) as conn:
        assert forget_queued_request(conn, reference="REQ-NONE0", conversation_id="waiting") == 1
    with closing(sqlite3.connect(outbox)) as db:
        assert db.execute("select count(*) from outbox").fetchone()[0] == 2


def test_purge_deletes_old_finished_outbox_rows_and_keeps_waiting_ones(tmp_path):
    from api.conversations import erasing
    from clinic.outbox import purge_outbox

    outbox = tmp_path / "outbox.db"
    keys = {
        name: enqueue({"kind": "booking", "name": "Sam"}, path=outbox)
        for name in ("sent", "refused", "waiting")
    }
    with closing(sqlite3.connect(outbox)) as db, db:
        db.execute("update outbox set next_attempt_at = 1000")  # long ago
        db.execute("update outbox set delivered_at = 1000, payload = '' where id = ?", [keys["sent"]])
        db.execute("update outbox set failed = 1 where id = ?", [keys["refused"]])

    with erasing(outbox) as conn:
        assert purge_outbox(conn, before=2000) == 2
    with closing(sqlite3.connect(outbox)) as db:
        assert [row[0] for row in db.execute("select id from outbox")] == [keys["waiting"]]
