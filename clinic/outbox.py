"""The outbox's schema, and the deletes the staff side runs on it (`clinic purge`, `clinic forget`).

The action server writes the outbox (actions/outbox.py); the API's command line purges and forgets in
it. Both know its columns from here only. The schema changes through migrations, like the API's own
database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Optional

from sqlite_utils import Database, Migrations

TABLE = "outbox"
migrations = Migrations("clinic_outbox")


@migrations()
def m001_outbox(db: Database) -> None:
    # if_not_exists: outboxes made before migrations already have this table, exactly so.
    db.table(TABLE).create(
        {
            "id": str,  # the request's Idempotency-Key
            "kind": str,
            "payload": str,  # the request as JSON; blanked once delivered
            "attempts": int,
            "next_attempt_at": float,
            "delivered_at": float,
            "reference": str,
            "failed": int,  # refused by the API: kept for a person to look at
            "last_error": str,
        },
        pk="id",
        if_not_exists=True,
    )


def open_outbox(path: Path) -> Database:
    """A connection to the outbox at `path`, created and brought up to the latest schema if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(sqlite3.connect(str(path), timeout=10))
    db.enable_wal()
    db.execute("pragma secure_delete = on")  # overwritten details are zeroed, not left in free pages
    migrations.apply(db)
    return db


def forget_queued_request(conn: sqlite3.Connection, *, reference: str, conversation_id: Optional[str]) -> int:
    """Deletes the outbox rows of a request, found by its reference or its conversation; returns how many."""
    return int(
        conn.execute(
            # A delivered request's payload is blanked (not JSON any more): only its reference is left.
            f"delete from {TABLE} where reference = ? "
            "or (json_valid(payload) and json_extract(payload, '$.conversation_id') = ?)",
            [reference, conversation_id],
        ).rowcount
    )


def purge_outbox(conn: sqlite3.Connection, *, before: float) -> int:
    """Deletes outbox rows finished before `before`: delivered, or refused by the API and kept for a
    person to look at (with the patient's details). Requests still waiting are kept: they are not sent yet.
    """
    return int(
        conn.execute(
            f"delete from {TABLE} where (delivered_at is not null or failed = 1) "
            "and coalesce(delivered_at, next_attempt_at) < ?",
            [before],
        ).rowcount
    )
