"""Patients' conversations outside the handoff database: Rasa's tracker store and the action server's outbox.

Rasa's SQL tracker store keeps every event of a conversation in one table, `events`, with the
conversation's id in `sender_id`. The outbox's schema and deletes are the shared core's (clinic/outbox.py).
Deletes here overwrite what they delete (SQLite's secure_delete: some builds have it on, not all) and
then empty the WAL, so health data does not linger in free pages or old WAL frames. No VACUUM needed:
it would rewrite the whole file to achieve the same.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def erasing(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose deletes overwrite the deleted content, committed and checkpointed at the end."""
    with closing(sqlite3.connect(path, timeout=10)) as conn:
        conn.execute("pragma secure_delete = on")
        with conn:
            yield conn
        conn.execute("pragma wal_checkpoint(truncate)")


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    return bool(
        conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    )


def purge_conversations(conn: sqlite3.Connection, *, before: float) -> int:
    """Deletes conversations whose last event is before `before`, and earlier sessions of the others.

    A conversation's current session is kept whole: Rasa rebuilds a conversation from the events
    since its last `session_started`, and half a session would not make sense to it.
    """
    finished = conn.execute(
        "delete from events where sender_id in "
        "(select sender_id from events group by sender_id having max(timestamp) < ?)",
        [before],
    ).rowcount
    earlier_sessions = conn.execute(
        "delete from events where timestamp < ? and id < (select max(id) from events as started "
        "where started.sender_id = events.sender_id and started.type_name = 'session_started')",
        [before],
    ).rowcount
    return int(finished + earlier_sessions)


def forget_conversation(conn: sqlite3.Connection, *, conversation_id: str) -> int:
    """Deletes every event of one conversation; returns how many."""
    return int(conn.execute("delete from events where sender_id = ?", [conversation_id]).rowcount)
