"""`clinic`: staff accounts, purging old requests and conversations, and the CSV export."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from api import store
from api.cli import EXPORT_COLUMNS, main
from api.db import connect

CLINIC = Path(sys.executable).parent / "clinic"


@pytest.fixture
def clinic(api_settings, monkeypatch, capsys):
    """Runs `clinic ...` in this process against the test's database; returns (exit code, out, err)."""
    monkeypatch.setenv("CLINIC_HANDOFFS_DB", str(api_settings.handoffs_db))

    def run(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def hand_over(api, bot, **changes):
    body = {
        "kind": "booking",
        "name": "Jordan Lee",
        "contact": "604 555 0142",
        "contact_type": "phone",
        "therapy": "ims",
        "consent": True,
    }
    body.update(changes)
    response = api.post("/api/handoffs", json=body, headers=bot)
    assert response.status_code == 201, response.text
    return response.json()


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
    assert "at least 10 characters" in err
    assert "robin" not in clinic("staff", "list")[1]


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

    assert clinic("staff", "list")[1].split("\n")[0].startswith("frontdesk\tadded ")
    assert "robin\tadded " in clinic("staff", "list")[1]

    assert clinic("staff", "remove", "robin")[0] == 0
    assert "robin" not in clinic("staff", "list")[1]
    assert api.get("/api/handoffs", auth=("robin", "a long enough password")).status_code == 401

    code, out, err = clinic("staff", "remove", "robin")
    assert code == 1 and "no staff account called 'robin'" in err


def test_a_new_password_replaces_the_old_one(clinic, api, staff):
    assert clinic("staff", "password", staff[0], stdin="a brand new password\n")[0] == 0

    assert api.get("/api/handoffs", auth=staff).status_code == 401
    assert api.get("/api/handoffs", auth=(staff[0], "a brand new password")).status_code == 200


def test_purge_deletes_old_requests_with_their_notes_and_history_and_keeps_the_rest(
    clinic, api, api_settings, bot, staff
):
    old = hand_over(api, bot)
    recent = hand_over(api, bot)
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


def test_export_writes_csv_with_a_header_readable_only_by_the_clinic(clinic, api, bot, tmp_path):
    hand_over(api, bot)
    hand_over(
        api, bot, name='=HYPERLINK("http://evil.example")', kind="question", therapy=None, question="Hi?"
    )
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


def test_export_to_standard_output(clinic, api, bot):
    hand_over(api, bot)

    code, out, err = clinic("export")

    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert len(lines) == 2


def test_export_of_an_empty_database_is_just_the_header(clinic):
    code, out, err = clinic("export")

    assert out.strip() == ",".join(EXPORT_COLUMNS)
