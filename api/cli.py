"""`clinic`: staff accounts, patients' data (purge, forget, export) and backups.

clinic staff add USERNAME [--manager]   (password from standard input, or asked for twice)
clinic staff role USERNAME front_desk|manager
clinic staff password USERNAME   (a new password, the same way)
clinic staff list
clinic staff remove USERNAME
clinic purge [--older-than 90d] [--rasa-tracker var/rasa_tracker.db]
                                 (without --older-than: retention_days in clinic.yml, else 90 days)
clinic forget ID                 (a request REFERENCE: that request, its notes and history, its conversation
                                  and feedback; or a CONVERSATION id: the conversation, every request
                                  from it and its feedback)
clinic export [--out FILE]
clinic backup DIR                (a copy of every database, made while the assistant runs)
clinic restore DIR --yes         (puts a backup back; stop the assistant first)

Rasa's conversations are in the tracker store of Rasa's endpoints file when CLINIC_RASA_ENDPOINTS
(or --rasa-endpoints) names one (PostgreSQL with `make run-scaled`: api/tracker_store.py), else in the
SQLite file CLINIC_RASA_TRACKER_DB; the outboxes are CLINIC_OUTBOX_DB and every instance-N/outbox.db
beside it. Purge and forget overwrite what they delete in SQLite (secure_delete) and empty the WAL
afterwards, and VACUUM PostgreSQL's events table; backups made before then still hold it. Backup and
restore: see api/backup.py.

Everything the command creates (databases, exports, backups) is readable by the clinic's account only:
it runs with umask 077.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sqlite3
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Optional, Tuple

from sqlite_utils import Database

from api import model_runs, retraining, store, teaching
from api.auth import MIN_PASSWORD_LENGTH, BadUsername, WeakPassword, check_username, hash_password
from api.backup import BackupRefused, back_up, check_backup, restore
from api.conversations import (
    TrackerStoreUnreachable,
    erasing,
    erasing_conversations,
    forget_conversation,
    has_events,
    has_table,
    purge_conversations,
)
from api.db import connect
from api.export import write_csv
from api.sessions import purge_expired_sessions
from api.settings import Settings
from api.tracker_store import TrackerStore, TrackerStoreConfigError, configured
from clinic.facts import DEFAULT_RETENTION_DAYS, ClinicConfigError, load_clinic, retention_days
from clinic.files import keep_private
from clinic.outbox import forget_queued_request, purge_outbox
from clinic.settings import ConfigurationError

DURATION = re.compile(r"(\d+)\s*([dhw])")
# A request's reference, as store.py makes them; any other id given to `forget` is a conversation's.
REFERENCE = re.compile(r"REQ-[23456789ABCDEFGHJKMNPQRSTWXYZ]{5}", re.IGNORECASE)
# Patient details and staff accounts: nothing the command creates is for other accounts on the machine.
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
    password = getpass.getpass(f"Password (at least {MIN_PASSWORD_LENGTH} characters, not a common one): ")
    if getpass.getpass("Same password again: ") != password:
        raise Refused("The two passwords differ; nothing was changed.")
    return password


ROLE_NAMES = {"front_desk": "front desk", "manager": "manager"}


def staff_add(db: Database, args: argparse.Namespace) -> str:
    username = check_username(args.username)
    if store.staff_password_hash(db, username=username) is not None:
        raise Refused(f"There is already a staff account called {username!r}: use `clinic staff password`.")
    hashed = hash_password(read_password(sys.stdin), username=username)
    role = "manager" if args.manager else "front_desk"
    store.add_staff(db, username=username, password_hash=hashed, role=role)
    store.record_activity(
        db, who=store.COMMAND_LINE, what="added an account", detail=f"{username} ({ROLE_NAMES[role]})"
    )
    return f"Staff account {username!r} added ({ROLE_NAMES[role]}): log in at /staff."


def staff_password(db: Database, args: argparse.Namespace) -> str:
    hashed = hash_password(read_password(sys.stdin), username=args.username)
    ended = store.set_staff_password(db, username=args.username, password_hash=hashed)
    store.record_activity(db, who=store.COMMAND_LINE, what="set a new password", detail=args.username)
    return f"Password of {args.username!r} changed; their {ended} open session(s) have ended."


def staff_list(db: Database, args: argparse.Namespace) -> str:
    accounts = store.list_staff(db)
    if not accounts:
        return "No staff accounts yet: add one with `clinic staff add USERNAME`."
    return "\n".join(
        f"{account['username']}\t{ROLE_NAMES[account['role']]}\tadded {account['created_at']}"
        for account in accounts
    )


def staff_role(db: Database, args: argparse.Namespace) -> str:
    store.set_staff_role(db, username=args.username, role=args.role)
    store.record_activity(
        db, who=store.COMMAND_LINE, what="changed a role", detail=f"{args.username}: {ROLE_NAMES[args.role]}"
    )
    return f"{args.username!r} is now {ROLE_NAMES[args.role]}."


def staff_remove(db: Database, args: argparse.Namespace) -> str:
    ended = store.remove_staff(db, username=args.username)
    store.record_activity(db, who=store.COMMAND_LINE, what="removed an account", detail=args.username)
    return f"Staff account {args.username!r} removed; their {ended} open session(s) have ended."


def retention(clinic_config: Path) -> Tuple[timedelta, str]:
    """How long patients' data is kept: retention_days in clinic.yml, else 90 days; and where that came from."""
    try:
        days = retention_days(load_clinic(clinic_config), clinic_config)
    except ClinicConfigError as error:
        raise Refused(f"{error} Nothing was deleted.") from None
    if days is None:
        return timedelta(days=DEFAULT_RETENTION_DAYS), (
            f"Keeping {DEFAULT_RETENTION_DAYS} days, the default: set retention_days in {clinic_config} to change it."
        )
    return timedelta(days=days), f"Keeping {days} days (retention_days in {clinic_config})."


def purge(db: Database, args: argparse.Namespace) -> str:
    lines = []
    if args.older_than is None:
        age, source = retention(args.settings.clinic_config)
        lines.append(source)
    else:
        age = args.older_than
    cutoff = datetime.now(timezone.utc) - age
    db.execute("pragma secure_delete = on")
    deleted = store.purge_handoffs(db, before=store.timestamp(cutoff))
    feedback = store.purge_feedback(db, before=store.timestamp(cutoff))
    sessions = purge_expired_sessions(db)
    db.execute("pragma wal_checkpoint(truncate)")
    lines += [
        f"Deleted {deleted} request(s) created before {store.timestamp(cutoff)}, with their notes and history.",
        f"Deleted {feedback} piece(s) of feedback on answers given before then.",
        f"Deleted {sessions} expired staff session(s).",
        _delete_conversations(
            tracker_store(args, args.rasa_tracker),
            lambda conn: purge_conversations(conn, before=cutoff.timestamp()),
        )[0],
        *_delete_in_outboxes(
            args.settings,
            "delivered or refused request(s)",
            lambda conn: purge_outbox(conn, before=cutoff.timestamp()),
        )[0],
    ]
    return "\n".join(lines)


def tracker_store(args: argparse.Namespace, sqlite_file: Optional[Path] = None) -> Optional[TrackerStore]:
    """Where Rasa keeps conversations: the endpoints file's tracker store when one is given (None if it
    has none), else the SQLite file."""
    settings: Settings = args.settings
    return configured(args.rasa_endpoints, sqlite_file or settings.rasa_tracker_db)


def forget(db: Database, args: argparse.Namespace) -> str:
    """One patient's data, found by a request's reference or by their conversation's id."""
    given = args.id.strip()
    if REFERENCE.fullmatch(given):
        said = forget_request(db, args.settings, tracker_store(args), given.upper())
        store.record_activity(db, who=store.COMMAND_LINE, what="forgot a patient", detail=given.upper())
        return said
    said = forget_whole_conversation(db, args.settings, tracker_store(args), given)
    # Not the id: a conversation's id is the patient's own key to their chat.
    store.record_activity(db, who=store.COMMAND_LINE, what="forgot a patient's whole conversation")
    return said


def forget_request(db: Database, settings: Settings, tracker: Optional[TrackerStore], reference: str) -> str:
    # The request goes last: a forget stopped halfway (a locked database) can be run again.
    conversation = store.conversation_of(db, reference=reference)
    if conversation is None:
        conversation_lines = ["It has no conversation id: there is no conversation to delete."]
    else:
        conversation_lines = [
            _delete_conversations(
                tracker, lambda conn: forget_conversation(conn, conversation_id=conversation)
            )[0]
        ]
    conversation_lines += _delete_in_outboxes(
        settings,
        "request(s) queued by the action server",
        lambda conn: forget_queued_request(conn, reference=reference, conversation_id=conversation),
    )[0]
    db.execute("pragma secure_delete = on")
    gone = store.forget_handoff(db, reference=reference)
    db.execute("pragma wal_checkpoint(truncate)")
    lines = [
        f"Deleted request {reference} with its {gone['notes']} note(s) and {gone['history']} history entries.",
        f"Deleted {gone['feedback']} piece(s) of feedback given in its conversation.",
        *conversation_lines,
    ]
    if gone["other_requests"]:
        lines.append(
            f"Kept {', '.join(gone['other_requests'])} from the same conversation: forget them too if asked."
        )
    lines.append("Backups made before now still hold this request.")
    return "\n".join(lines)


def forget_whole_conversation(
    db: Database, settings: Settings, tracker: Optional[TrackerStore], conversation_id: str
) -> str:
    # The requests go last, as above; their references are read first, to find their queued copies.
    references = store.references_in(db, conversation_id=conversation_id)
    tracker_line, events = _delete_conversations(
        tracker, lambda conn: forget_conversation(conn, conversation_id=conversation_id)
    )
    outbox_lines, queued = _delete_in_outboxes(
        settings,
        "request(s) queued by the action server",
        # A delivered copy is found by its reference only (its details are blanked); no reference is "".
        lambda conn: sum(
            forget_queued_request(conn, reference=reference, conversation_id=conversation_id)
            for reference in references or [""]
        ),
    )
    db.execute("pragma secure_delete = on")
    gone = store.forget_conversation_data(db, conversation_id=conversation_id)
    db.execute("pragma wal_checkpoint(truncate)")
    if not (events or queued or gone["references"] or gone["feedback"]):
        raise Refused(
            f"Nothing is kept under {conversation_id!r}: no request with that reference (they look like "
            "REQ-73CRF) and no conversation with that id (a request's page shows its conversation's id). "
            "Nothing was deleted."
        )
    requests = ", ".join(gone["references"]) or "none"
    return "\n".join(
        [
            f"Deleted {len(gone['references'])} request(s) from conversation {conversation_id} ({requests}) "
            f"with their {gone['notes']} note(s) and {gone['history']} history entries.",
            f"Deleted {gone['feedback']} piece(s) of feedback given in it.",
            tracker_line,
            *outbox_lines,
            "Backups made before now still hold this conversation.",
        ]
    )


def _delete_conversations(tracker: Optional[TrackerStore], delete: Callable[[Any], int]) -> Tuple[str, int]:
    """Runs `delete` on Rasa's tracker store, whatever its database; says what it did, and how many went."""
    if tracker is None:
        return "Rasa's endpoints file has no tracker_store: Rasa keeps conversations in memory only.", 0
    path = tracker.sqlite_path
    if path is not None and not path.exists():
        return f"No Rasa tracker store at {path}: nothing to delete there.", 0
    with erasing_conversations(tracker) as conn:
        if not has_events(conn):
            return (
                f"{tracker.name} has no `events` table: is it the Rasa tracker store? Nothing deleted there.",
                0,
            )
        deleted = delete(conn)
    return f"Deleted {deleted} conversation event(s) from {tracker.name}.", deleted


def _delete_in_outboxes(
    settings: Settings, rows: str, delete: Callable[[sqlite3.Connection], int]
) -> Tuple[List[str], int]:
    """Runs `delete` on every action server's outbox on this machine (`make run-scaled` has one per instance)."""
    lines, total = [], 0
    for path in settings.outbox_dbs:
        line, deleted = _count_deleted_in(path, "outbox", "outbox", rows, delete)
        lines.append(line)
        total += deleted
    return lines, total


def _count_deleted_in(
    path: Path, store_name: str, table: str, rows: str, delete: Callable[[sqlite3.Connection], int]
) -> Tuple[str, int]:
    """Runs `delete` on the SQLite file at `path`, overwriting what it deletes; says what it did, and
    how many rows went."""
    if not path.exists():
        return f"No {store_name} at {path}: nothing to delete there.", 0
    with erasing(path) as conn:
        if not has_table(conn, table):
            return f"{path} has no `{table}` table: is it the {store_name}? Nothing deleted there.", 0
        deleted = delete(conn)
        return f"Deleted {deleted} {rows} from {path}.", deleted


def export(db: Database, args: argparse.Namespace) -> Optional[str]:
    if args.out is None:
        write_csv(db, sys.stdout)
        return None
    out_file: Path = args.out
    # Patient details: readable by the clinic's account only. A new file (0600 from mkstemp) is renamed
    # over the old, so a file that was there, readable by others, never gets them.
    fd, draft = tempfile.mkstemp(dir=out_file.parent, prefix=f".{out_file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            count = write_csv(db, out)
        os.replace(draft, out_file)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
    return f"Wrote {count} request(s) to {out_file}."


def teach_export(db: Database, args: argparse.Namespace) -> Optional[str]:
    """The staff's labels as Rasa NLU YAML, to review in git (data/nlu/taught.yml, say)."""
    rows = teaching.labels(db)
    text = teaching.nlu_yaml(rows)
    if args.out is None:
        sys.stdout.write(text)
        return None
    args.out.write_text(text, encoding="utf-8")
    return f"Wrote {len(rows)} taught wording(s) to {args.out}."


def teach_retrain(db: Database, args: argparse.Namespace) -> str:
    """What "Retrain now" does, from cron or by hand: started in the background, one at a time."""
    try:
        run = retraining.retrain(db, args.settings, by=f"{os.environ.get('USER') or 'cli'} (command line)")
    except model_runs.AlreadyTraining as busy:
        raise Refused(str(busy)) from None
    return f"Retraining {run} started in the background: see /staff/review (or `clinic teach status`)."


def teach_status(db: Database, args: argparse.Namespace) -> str:
    runs = model_runs.history(db, limit=5)
    if not runs:
        return "No retraining yet: Rasa runs the model `make train` built."
    return "\n".join(
        f"{run['id']}: {run['status']} (started {run['started_at']} by {run['started_by']})"
        + "".join(f"\n    {reason}" for reason in run["reasons"])
        for run in runs
    )


def _databases(args: argparse.Namespace, restoring: Optional[Path] = None) -> Dict[str, Path]:
    """The SQLite databases with patient data, by name: the requests, Rasa's conversations when they are
    in a SQLite file, and every outbox on this machine (`make run-scaled`: outbox-instance-N), with
    those a backup being restored holds."""
    settings: Settings = args.settings
    found = {"handoffs": args.db}
    tracker = tracker_store(args)
    if tracker is not None and tracker.sqlite_path is not None:
        found["rasa_tracker"] = tracker.sqlite_path
    found["outbox"] = settings.outbox_db
    instances = {path.parent.name for path in settings.outbox_dbs if path != settings.outbox_db}
    if restoring is not None:
        instances |= {copy.stem[len("outbox-") :] for copy in restoring.glob("outbox-instance-*.db")}
    for instance in sorted(instances, key=lambda name: (len(name), name)):
        found[f"outbox-{instance}"] = settings.outbox_db.parent / instance / "outbox.db"
    return found


def _servers(args: argparse.Namespace) -> Dict[str, TrackerStore]:
    """Rasa's conversations when they are on a database server (PostgreSQL with `make run-scaled`)."""
    tracker = tracker_store(args)
    return {"rasa_tracker": tracker} if tracker is not None and tracker.sqlite_path is None else {}


def backup(args: argparse.Namespace) -> str:
    return "\n".join(back_up(_databases(args), args.folder, servers=_servers(args)))


def restore_backup(args: argparse.Namespace) -> str:
    targets = _databases(args, restoring=args.folder)
    made_at, databases = check_backup(args.folder, [*targets, *_servers(args), "rasa_tracker"])
    names = ", ".join(entry["name"] for entry in databases)
    if not args.yes:
        raise Refused(
            f"{args.folder} is a sound backup made at {made_at} ({names}). Restoring replaces "
            "those live databases: stop the assistant first (Ctrl-C `make run`), then run "
            f"`clinic restore {args.folder} --yes`. Nothing was restored."
        )
    lines = restore(args.folder, databases, targets, servers=_servers(args))
    return "\n".join([*lines, f"Restored the backup made at {made_at}: start the assistant again."])


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
    top.add_argument(
        "--rasa-endpoints",
        type=Path,
        default=settings.rasa_endpoints,
        metavar="FILE",
        help="Rasa's endpoints file: conversations are deleted and backed up in its tracker_store "
        "(with ${VAR}s from the environment, as Rasa reads it), e.g. PostgreSQL with `make run-scaled` "
        "(default CLINIC_RASA_ENDPOINTS; without it, the SQLite file CLINIC_RASA_TRACKER_DB)",
    )
    top.set_defaults(settings=settings)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    staff = commands.add_parser("staff", help="add, list or remove staff accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = staff.add_parser("add", help="add an account (password from standard input, or asked for)")
    add.add_argument("username")
    add.add_argument("--manager", action="store_true", help="a manager, who also runs the team's accounts")
    add.set_defaults(run=staff_add)
    role = staff.add_parser("role", help="make an account front desk or manager")
    role.add_argument("username")
    role.add_argument("role", choices=store.ROLES)
    role.set_defaults(run=staff_role)
    password = staff.add_parser("password", help="set a new password for an account")
    password.add_argument("username")
    password.set_defaults(run=staff_password)
    staff.add_parser("list", help="list the accounts").set_defaults(run=staff_list)
    remove = staff.add_parser("remove", help="remove an account")
    remove.add_argument("username")
    remove.set_defaults(run=staff_remove)

    old = commands.add_parser("purge", help="delete old requests, feedback and Rasa conversations")
    old.add_argument(
        "--older-than",
        type=older_than,
        metavar="AGE",
        help=f"e.g. 90d, 12h or 6w (default: retention_days in {settings.clinic_config}, else 90d)",
    )
    old.add_argument(
        "--rasa-tracker",
        type=Path,
        default=settings.rasa_tracker_db,
        metavar="PATH",
        help=f"Rasa's SQLite tracker store (default {settings.rasa_tracker_db})",
    )
    old.set_defaults(run=purge)

    one = commands.add_parser(
        "forget", help="delete one request, or one conversation, with everything kept from it"
    )
    one.add_argument(
        "id",
        metavar="ID",
        help="a request's reference (e.g. REQ-73CRF): that request, its conversation and feedback; or a "
        "conversation's id: the conversation, every request from it and its feedback",
    )
    one.set_defaults(run=forget)

    csv_export = commands.add_parser("export", help="write every request as CSV")
    csv_export.add_argument(
        "--out", type=Path, metavar="FILE", help="a file to write (default: standard output)"
    )
    csv_export.set_defaults(run=export)

    teach = commands.add_parser(
        "teach", help="the staff's labels (/staff/review) and retraining"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    taught = teach.add_parser("export", help="write the labels as Rasa NLU YAML")
    taught.add_argument("--out", type=Path, metavar="FILE", help="a file to write (default: standard output)")
    taught.set_defaults(run=teach_export)
    teach.add_parser(
        "retrain", help="retrain in the background with the labels (as 'Retrain now')"
    ).set_defaults(run=teach_retrain)
    teach.add_parser("status", help="the latest retrainings and the gate's comparison").set_defaults(
        run=teach_status
    )

    copy = commands.add_parser("backup", help="copy every database into a new folder, while running")
    copy.add_argument("folder", type=Path, metavar="DIR", help="a new (or empty) folder")
    copy.set_defaults(run_on_files=backup)
    back = commands.add_parser("restore", help="put a backup back (stop the assistant first)")
    back.add_argument("folder", type=Path, metavar="DIR", help="a folder made by `clinic backup`")
    back.add_argument("--yes", action="store_true", help="the assistant is stopped: replace the databases")
    back.set_defaults(run_on_files=restore_backup)
    return top


def main(argv: Optional[List[str]] = None) -> int:
    keep_private()  # first: every file and folder made below is the clinic account's only
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2
    args = parser(settings).parse_args(argv)
    try:
        if "run_on_files" in args:  # backup and restore open each database themselves
            message = args.run_on_files(args)
        else:
            run: Callable[[Database, argparse.Namespace], Optional[str]] = args.run
            with connect(args.db) as db:
                message = run(db, args)
    except (
        Refused,
        BackupRefused,
        TrackerStoreConfigError,
        TrackerStoreUnreachable,
        store.ReferenceNotFound,
        store.StaffExists,
        store.StaffNotFound,
        store.LastManager,
        BadUsername,
        WeakPassword,
    ) as error:
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
