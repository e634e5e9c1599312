"""`clinic`: staff accounts, purging old requests and conversations, and a CSV export.

clinic staff add USERNAME        (password from standard input, or asked for twice)
clinic staff password USERNAME   (a new password, the same way)
clinic staff list
clinic staff remove USERNAME
clinic purge --older-than 90d [--rasa-tracker var/rasa_tracker.db]
clinic export [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import re
import sqlite3
import sys
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Callable, List, Optional

from sqlite_utils import Database

from api import store
from api.auth import BadUsername, WeakPassword, check_username, hash_password
from api.db import connect
from api.settings import ConfigurationError, Settings

EXPORT_COLUMNS = [
    "id",
    "reference",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "name",
    "contact",
    "contact_type",
    "therapy",
    "preferred_time",
    "new_patient",
    "reason",
    "question",
    "conversation_id",
]
DURATION = re.compile(r"(\d+)\s*([dhw])")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class Refused(Exception):
    """Something the user asked for cannot be done; the message says why and what to do."""


def older_than(text: str) -> timedelta:
    """'90d', '12h' or '6w' as a duration (argparse type)."""
    match = DURATION.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90d, 12h or 6w")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def read_password(stdin: IO[str]) -> str:
    """The first line of standard input when it is piped; else asked for twice without echo."""
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Same password again: ") != password:
        raise Refused("The two passwords differ; nothing was changed.")
    return password


def staff_add(db: Database, args: argparse.Namespace) -> str:
    username = check_username(args.username)
    if store.staff_password_hash(db, username=username) is not None:
        raise Refused(f"There is already a staff account called {username!r}: use `clinic staff password`.")
    store.add_staff(db, username=username, password_hash=hash_password(read_password(sys.stdin)))
    return f"Staff account {username!r} added: log in at /staff."


def staff_password(db: Database, args: argparse.Namespace) -> str:
    hashed = hash_password(read_password(sys.stdin))
    store.set_staff_password(db, username=args.username, password_hash=hashed)
    return f"Password of {args.username!r} changed; their open sessions have ended."


def staff_list(db: Database, args: argparse.Namespace) -> str:
    accounts = store.list_staff(db)
    if not accounts:
        return "No staff accounts yet: add one with `clinic staff add USERNAME`."
    return "\n".join(f"{account['username']}\tadded {account['created_at']}" for account in accounts)


def staff_remove(db: Database, args: argparse.Namespace) -> str:
    store.remove_staff(db, username=args.username)
    return f"Staff account {args.username!r} removed."


def purge(db: Database, args: argparse.Namespace) -> str:
    cutoff = datetime.now(timezone.utc) - args.older_than
    deleted = store.purge_handoffs(db, before=store.timestamp(cutoff))
    feedback = store.purge_feedback(db, before=store.timestamp(cutoff))
    lines = [
        f"Deleted {deleted} request(s) created before {store.timestamp(cutoff)}, with their notes and history.",
        f"Deleted {feedback} piece(s) of feedback on answers given before then.",
    ]
    tracker: Path = args.rasa_tracker
    if tracker.exists():
        lines.append(_purge_conversations(tracker, before=cutoff.timestamp()))
    else:
        lines.append(f"No Rasa tracker store at {tracker}: no conversations to delete.")
    return "\n".join(lines)


def _purge_conversations(tracker: Path, *, before: float) -> str:
    """Deletes events older than `before` from Rasa's SQL tracker store (table `events`)."""
    with closing(sqlite3.connect(str(tracker), timeout=10)) as conn:
        if not conn.execute(
            "select 1 from sqlite_master where type = 'table' and name = 'events'"
        ).fetchone():
            return f"{tracker} has no `events` table: is it Rasa's SQL tracker store? Nothing deleted there."
        with conn:
            deleted = conn.execute("delete from events where timestamp < ?", [before]).rowcount
    return f"Deleted {deleted} conversation event(s) from {tracker}."


def export(db: Database, args: argparse.Namespace) -> Optional[str]:
    if args.out is None:
        _write_csv(db, sys.stdout)
        return None
    # Patient details: readable by the clinic's account only.
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
        count = _write_csv(db, out)
    return f"Wrote {count} request(s) to {args.out}."


def _write_csv(db: Database, out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for row in store.all_handoffs(db):
        writer.writerow({column: _cell(row[column]) for column in EXPORT_COLUMNS})
        count += 1
    return count


def _cell(value: object) -> object:
    # Patient text that starts like a formula would run as one in a spreadsheet: make it plain text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def parser(settings: Settings) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="clinic", description="Staff accounts and patient data of the clinic assistant."
    )
    top.add_argument(
        "--db",
        type=Path,
        default=settings.handoffs_db,
        help=f"the handoff database (default {settings.handoffs_db})",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    staff = commands.add_parser("staff", help="add, list or remove staff accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = staff.add_parser("add", help="add an account (password from standard input, or asked for)")
    add.add_argument("username")
    add.set_defaults(run=staff_add)
    password = staff.add_parser("password", help="set a new password for an account")
    password.add_argument("username")
    password.set_defaults(run=staff_password)
    staff.add_parser("list", help="list the accounts").set_defaults(run=staff_list)
    remove = staff.add_parser("remove", help="remove an account")
    remove.add_argument("username")
    remove.set_defaults(run=staff_remove)

    old = commands.add_parser("purge", help="delete old requests and old Rasa conversations")
    old.add_argument(
        "--older-than", type=older_than, required=True, metavar="AGE", help="e.g. 90d, 12h or 6w"
    )
    old.add_argument(
        "--rasa-tracker",
        type=Path,
        default=settings.rasa_tracker_db,
        metavar="PATH",
        help=f"Rasa's SQLite tracker store (default {settings.rasa_tracker_db})",
    )
    old.set_defaults(run=purge)

    csv_export = commands.add_parser("export", help="write every request as CSV")
    csv_export.add_argument(
        "--out", type=Path, metavar="FILE", help="a file to write (default: standard output)"
    )
    csv_export.set_defaults(run=export)
    return top


def main(argv: Optional[List[str]] = None) -> int:
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2
    args = parser(settings).parse_args(argv)
    run: Callable[[Database, argparse.Namespace], Optional[str]] = args.run
    try:
        with connect(args.db) as db:
            message = run(db, args)
    except (Refused, store.StaffExists, store.StaffNotFound, BadUsername, WeakPassword) as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped; nothing was changed.", file=sys.stderr)
        return 130
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
