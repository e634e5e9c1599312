"""Patients' conversations outside the handoff database: Rasa's tracker store and the action server's outbox.

Rasa's SQL tracker store keeps every event of a conversation in one table, `events`, with the
conversation's id in `sender_id`, whatever the database (api/tracker_store.py finds which). The
outbox's schema and deletes are the shared core's (clinic/outbox.py).

On SQLite, deletes overwrite what they delete (secure_delete: some builds have it on, not all) and
then empty the WAL, so health data does not linger in free pages or old WAL frames; no VACUUM needed.
On PostgreSQL the deleted rows are dead tuples until VACUUM, which runs on `events` right after; like
any PostgreSQL, its WAL files and its pages' free space may still hold the bytes until they are reused
(and backups and pg_dump files made before hold them until they are deleted).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from api.tracker_store import TrackerStore

EVENTS = "events"


class TrackerStoreUnreachable(Exception):
    """The tracker store's database could not be opened; the message says which and why."""


@contextmanager
def erasing_conversations(store: TrackerStore) -> Iterator[sa.engine.Connection]:
    """A connection to the tracker store whose deletes are committed together at the end, then
    overwritten (SQLite) or vacuumed (PostgreSQL)."""
    engine = sa.create_engine(store.url, poolclass=NullPool)
    try:
        try:
            conn = engine.connect()
        except sa.exc.OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise TrackerStoreUnreachable(
                f"Cannot reach Rasa's tracker store at {store.name} (from {store.source}): {reason}. "
                "Nothing was deleted: run the command again when it is reachable."
            ) from None
        with conn:
            if store.dialect == "sqlite":
                conn.exec_driver_sql("pragma secure_delete = on")
            with conn.begin():
                yield conn
            if store.dialect == "sqlite":
                conn.exec_driver_sql("pragma wal_checkpoint(truncate)")
            elif store.dialect == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(f"vacuum {EVENTS}")
    finally:
        engine.dispose()


def has_events(conn: sa.engine.Connection) -> bool:
    """Whether the database has Rasa's `events` table (a tracker store that has kept anything)."""
    return bool(sa.inspect(conn).has_table(EVENTS))


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


def purge_conversations(conn: sa.engine.Connection, *, before: float) -> int:
    """Deletes conversations whose last event is before `before`, and earlier sessions of the others.

    A conversation's current session is kept whole: Rasa rebuilds a conversation from the events
    since its last `session_started`, and half a session would not make sense to it.
    """
    finished = conn.execute(
        sa.text(
            "delete from events where sender_id in "
            "(select sender_id from events group by sender_id having max(timestamp) < :before)"
        ),
        {"before": before},
    ).rowcount
    earlier_sessions = conn.execute(
        sa.text(
            "delete from events where timestamp < :before and id < (select max(id) from events as started "
            "where started.sender_id = events.sender_id and started.type_name = 'session_started')"
        ),
        {"before": before},
    ).rowcount
    return int(finished + earlier_sessions)


def forget_conversation(conn: sa.engine.Connection, *, conversation_id: str) -> int:
    """Deletes every event of one conversation; returns how many."""
    deleted = conn.execute(sa.text("delete from events where sender_id = :id"), {"id": conversation_id})
    return int(deleted.rowcount)
