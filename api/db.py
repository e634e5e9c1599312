"""The handoff database: one SQLite file in WAL mode, foreign keys on, schema through migrations."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Set

from sqlite_utils import Database, Migrations
from sqlite_utils.db import ForeignKey

from api.phone_numbers import contact_key

# sqlite-migrate 0.2 is now only a re-export of this class (migrations moved into sqlite-utils 4).
migrations = Migrations("clinic_handoffs")
_migrated: Set[Path] = set()
_migrating = threading.Lock()
# What the inbox's search box looks in (besides the phone number, matched on its digits).
SEARCHED = ("reference", "name", "contact", "reason", "question")


def _cascade(table: str, column: str, other: str) -> ForeignKey:
    """Deleting a handoff (clinic purge) takes its history, notes and idempotency keys with it."""
    return ForeignKey(table, column, other, "id", on_delete="CASCADE")


@migrations()
def m001_handoffs(db: Database) -> None:
    db.table("handoffs").create(
        {
            "id": int,
            "reference": str,
            "kind": str,
            "status": str,
            "created_at": str,
            "updated_at": str,
            "name": str,
            "contact": str,
            "contact_type": str,
            "therapy": str,
            "preferred_time": str,
            "new_patient": bool,
            "reason": str,
            "question": str,
            "consented_at": str,
            "conversation_id": str,
            "transcript": str,
        },
        pk="id",
        not_null=["reference", "kind", "status", "created_at", "updated_at", "name", "contact"],
    )
    db.table("handoffs").create_index(["reference"], unique=True)
    db.table("handoffs").create_index(["status", "created_at"])
    db.table("handoffs").create_index(["created_at"])

    db.table("handoff_history").create(
        {
            "id": int,
            "handoff_id": int,
            "at": str,
            "who": str,
            "what": str,
            "from_value": str,
            "to_value": str,
        },
        pk="id",
        not_null=["handoff_id", "at", "who", "what"],
        foreign_keys=[_cascade("handoff_history", "handoff_id", "handoffs")],
    )
    db.table("handoff_history").create_index(["handoff_id"])

    db.table("handoff_notes").create(
        {"id": int, "handoff_id": int, "at": str, "author": str, "text": str},
        pk="id",
        not_null=["handoff_id", "at", "author", "text"],
        foreign_keys=[_cascade("handoff_notes", "handoff_id", "handoffs")],
    )
    db.table("handoff_notes").create_index(["handoff_id"])

    db.table("staff").create(
        {"id": int, "username": str, "password_hash": str, "created_at": str},
        pk="id",
        not_null=["username", "password_hash", "created_at"],
    )
    db.table("staff").create_index(["username"], unique=True)

    # The first answer to each Idempotency-Key, replayed as it was to a retry.
    db.table("idempotency_keys").create(
        {"key": str, "fingerprint": str, "handoff_id": int, "response": str, "created_at": str},
        pk="key",
        not_null=["fingerprint", "handoff_id", "response", "created_at"],
        foreign_keys=[_cascade("idempotency_keys", "handoff_id", "handoffs")],
    )
    db.table("idempotency_keys").create_index(["handoff_id"])


@migrations()
def m002_feedback(db: Database) -> None:
    # What patients said about answers from the chat widget: a thumbs up or down on an FAQ topic
    # (kind "rating"), or a question the assistant could not answer (kind "unanswered", helpful null).
    # No names or contacts: the conversation id is the widget's random session id, and the question
    # is stored with email addresses and long numbers blanked out.
    db.table("feedback").create(
        {
            "id": int,
            "at": str,
            "kind": str,
            "topic": str,
            "helpful": bool,
            "conversation_id": str,
            "question": str,
            # One row per conversation and topic (rating) or question (unanswered): a second click
            # replaces the first instead of counting twice.
            "once_key": str,
        },
        pk="id",
        not_null=["at", "kind", "topic", "conversation_id", "once_key"],
    )
    db.table("feedback").create_index(["once_key"], unique=True)
    db.table("feedback").create_index(["kind", "topic"])
    db.table("feedback").create_index(["conversation_id"])
    db.table("feedback").create_index(["at"])


@migrations()
def m003_staff_sessions(db: Database) -> None:
    # Staff page sessions (api/sessions.py): the cookie's random id is stored only as its SHA-256, so this
    # table opens no session for whoever reads it. Logout, a new password and removing the account delete
    # the rows; expired ones go at the next login or `clinic purge`.
    db.table("staff_sessions").create(
        {
            "key": str,
            "username": str,
            "csrf": str,
            "flash": str,  # a message for the next page ("Saved."), shown once
            "created_at": str,
            "expires_at": str,
        },
        pk="key",
        not_null=["username", "csrf", "created_at", "expires_at"],
    )
    db.table("staff_sessions").create_index(["username"])
    db.table("staff_sessions").create_index(["expires_at"])


@migrations()
def m004_front_desk(db: Database) -> None:
    # Search, the same patient linked, claims and a workflow people can correct (#17). Existing rows keep
    # everything; their contact key is filled in here, and the search index built from them.
    handoffs = db.table("handoffs")
    handoffs.add_column("contact_key", str)  # E.164 for a phone, the lower-cased address for an email
    handoffs.add_column("claimed_by", str)
    handoffs.add_column("claimed_at", str)
    handoffs.add_column("close_reason", str)
    handoffs.add_column("duplicate_of", str)  # the reference of the request this one repeats
    handoffs.add_column("appointment_at", str)  # UTC, like every stored time
    db.table("handoff_history").add_column("detail", str)  # a reopen's reason, a close reason, ...
    for row in db.query("select id, contact, contact_type from handoffs"):
        key = contact_key(row["contact"], row["contact_type"])
        db.execute("update handoffs set contact_key = ? where id = ?", [key, row["id"]])
    handoffs.create_index(["contact_key"])
    handoffs.enable_fts(list(SEARCHED), create_triggers=True, tokenize="unicode61 remove_diacritics 2")
    db.execute("insert into handoffs_fts(handoffs_fts) values ('rebuild')")


@migrations()
def m005_feedback_handled(db: Database) -> None:
    # A clinic manager's "handled" mark on an unanswered question (api/feedback_groups.py's key): who and
    # when. A question asked again after it was handled is back on the list.
    db.table("feedback_handled").create(
        {"question_key": str, "by": str, "at": str}, pk="question_key", not_null=["by", "at"]
    )


@migrations()
def m006_staff_roles(db: Database) -> None:
    # Front desk or manager: managers also run the team's accounts from the staff pages. Existing
    # accounts stay front desk; `clinic staff role USERNAME manager` makes a manager.
    db.table("staff").add_column("role", str, not_null_default="front_desk")


@migrations()
def m007_staff_activity(db: Database) -> None:
    # What was done to accounts and to patients' data as a whole (accounts, passwords, exports,
    # forgetting), by whom and when, for the manager. No patient details: a reference at most.
    db.table("staff_activity").create(
        {"id": int, "at": str, "who": str, "what": str, "detail": str},
        pk="id",
        not_null=["at", "who", "what"],
    )
    db.table("staff_activity").create_index(["at"])


@migrations()
def m008_teaching(db: Database) -> None:
    # Staff teach the assistant (docs/teaching.md). A label is one wording of a patient's question (blanked
    # as on the feedback page) with what it should have got: a topic, "out_of_scope" (not for the
    # assistant) or "new_answer" (needs an answer the clinic has yet to write); who and when.
    db.table("teaching_labels").create(
        {"id": int, "text": str, "question_key": str, "label": str, "by": str, "at": str},
        pk="id",
        not_null=["text", "question_key", "label", "by", "at"],
    )
    db.table("teaching_labels").create_index(["text"], unique=True)
    db.table("teaching_labels").create_index(["question_key"])
    # Each retraining: who started it, how far it got, the scores of the model it would replace and of
    # the new one, and whether the gate promoted it. The promoted file is served to Rasa by its SHA-256.
    db.table("model_runs").create(
        {
            "id": int,
            "started_at": str,
            "started_by": str,
            "finished_at": str,
            "status": str,  # training, scoring, promoted, refused, failed
            "pid": int,
            "labels": int,
            "model_path": str,
            "sha256": str,
            "baseline": str,  # JSON: the scores of the model it was compared with
            "scores": str,  # JSON: its own scores
            "reasons": str,  # JSON: the gate's reasons, one line each
            "seconds": float,  # training time
            "promoted_at": str,
        },
        pk="id",
        not_null=["started_at", "started_by", "status"],
    )
    db.table("model_runs").create_index(["status"])


def connect(path: Path) -> Database:
    """Opens (creating if needed) the database at `path`, brought up to the latest schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Sync routes run in a thread pool: a request may open its connection on one thread and use it on
    # another, never on two at once.
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db = Database(conn)
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    if path not in _migrated:
        # Under the write lock, so two processes opening a new database do not both create tables.
        with _migrating, write_lock(db):
            migrations.apply(db)
        _migrated.add(path)
    return db


@contextmanager
def write_lock(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front, so a read-then-write cannot race another."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.commit()
