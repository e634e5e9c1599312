"""The outbox: its schema through migrations, one connection per thread, and one sender."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import closing

from actions import outbox
from clinic.outbox import open_outbox

OLD_SCHEMA = (
    "create table outbox (id text primary key, kind text, payload text, attempts integer, "
    "next_attempt_at float, delivered_at float, reference text, failed integer, last_error text)"
)


def test_an_outbox_made_before_migrations_keeps_its_waiting_requests(tmp_path):
    path = tmp_path / "outbox.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_SCHEMA)
        db.execute("insert into outbox values ('k1', 'booking', '{}', 0, 0, null, null, 0, null)")

    db = open_outbox(path)

    assert [row["id"] for row in db["outbox"].rows] == ["k1"]
    assert [row["name"] for row in db["_sqlite_migrations"].rows] == ["m001_outbox"]


def test_each_thread_keeps_one_connection(tmp_path):
    path = tmp_path / "outbox.db"
    here = [outbox._db(path), outbox._db(path)]
    there = []
    worker = threading.Thread(target=lambda: there.append(outbox._db(path)))
    worker.start()
    worker.join()

    assert here[0] is here[1]
    assert there[0] is not here[0]


def test_a_queued_request_waits_for_the_delivery_thread_when_the_api_is_away(tmp_path, monkeypatch):
    """With the API unreachable, the action hears "not yet" and the request stays queued for a retry."""
    path = tmp_path / "outbox.db"
    monkeypatch.setenv("CLINIC_OUTBOX_DB", str(path))
    monkeypatch.setenv("CLINIC_API_URL", "http://127.0.0.1:9")  # nothing listens on the discard port

    try:
        reference = asyncio.run(
            outbox.first_try(outbox.new_key(), {"kind": "booking", "name": "Sam"}, timeout=8)
        )
    finally:
        outbox.stop_worker()

    assert reference is None
    with closing(sqlite3.connect(path)) as db:
        attempts, delivered, failed = db.execute(
            "select attempts, delivered_at, failed from outbox"
        ).fetchone()
    assert (attempts, delivered, failed) == (1, None, 0)
