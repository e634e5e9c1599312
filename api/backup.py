"""`clinic backup` and `clinic restore`: copies of the assistant's SQLite databases, made while it runs.

Copies go through SQLite's online backup API, so each is one consistent moment of its database: what
the WAL holds is in it, what an open transaction has not committed is not. The databases with what
patients told us:

  handoffs      requests for staff with their notes and history, feedback, staff accounts
  rasa_tracker  Rasa's conversations
  outbox        requests the action server has not yet handed to the API

With `make run-scaled` each instance's action server has its own outbox (var/instance-N/outbox.db):
each is copied, as outbox-instance-N. When Rasa's conversations are in PostgreSQL (the tracker store
of CLINIC_RASA_ENDPOINTS), they are dumped with PostgreSQL's own pg_dump (custom format, checked with
pg_restore --list), and a restore says how to put the dump back with pg_restore rather than doing it:
replacing a live shared database is for a person to decide. A tracker store on any other server is
not backed up, and the backup says so and fails (exit 1) after copying the rest.

The knowledge base (var/knowledge.db) is not copied: it holds no patient data and the assistant
rebuilds it from content/ and clinic.yml, which belong in version control.

A backup is a new folder only the clinic's account can read (0700, files 0600): one file per database
and manifest.json with where each came from, its size, SHA-256 and SQLite's integrity_check.
A restore checks all of that before it writes anything, then copies back through the backup API, so
the WAL files beside the live databases stay consistent. Stop the assistant before restoring: what it
holds in memory would not match the restored data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from api.tracker_store import TrackerStore

MANIFEST = "manifest.json"


class BackupRefused(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


PG_DUMP = "pg_dump"  # the manifest's `format` of a PostgreSQL dump (a SQLite copy has none)


def back_up(
    databases: Dict[str, Path], folder: Path, servers: Optional[Dict[str, TrackerStore]] = None
) -> List[str]:
    """Copies each database that exists into the new folder `folder`, and dumps each database on a
    server (`servers`: PostgreSQL); returns what was done, a line each."""
    _new_private_folder(folder)
    copied: List[Dict[str, Any]] = []
    lines = []
    not_covered = []
    for name, store in (servers or {}).items():
        entry, line = _dump(name, store, folder)
        lines.append(line)
        if entry is None:
            not_covered.append(line)
        else:
            copied.append(entry)
    for name, source in databases.items():
        if not source.exists():
            lines.append(f"{name}: no database at {source} yet, nothing to copy.")
            continue
        copy = folder / f"{name}.db"
        _new_private_file(copy)
        with closing(sqlite3.connect(source, timeout=10)) as live, closing(sqlite3.connect(copy)) as out:
            live.backup(out)
            # One self-contained file: no -wal or -shm beside the copy.
            out.execute("pragma journal_mode = delete")
            integrity = _integrity(out)
        copied.append(
            {
                "name": name,
                "file": copy.name,
                "source": str(source.resolve()),
                "bytes": copy.stat().st_size,
                "sha256": _sha256(copy),
                "integrity_check": integrity,
            }
        )
        lines.append(
            f"{name}: {source} copied to {copy} ({copy.stat().st_size} bytes, integrity {integrity})."
        )
    manifest = {"made_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "databases": copied}
    _new_private_file(folder / MANIFEST)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if any(entry["integrity_check"] != "ok" for entry in copied):
        raise BackupRefused(
            "\n".join(lines) + "\nA copy failed its integrity check, so its live database is damaged: "
            "keep your last good backup and do not restore this one."
        )
    if not_covered:
        raise BackupRefused("\n".join(lines) + "\nThis backup is incomplete: see NOT BACKED UP above.")
    return lines


def _postgres_program(name: str) -> Optional[str]:
    """The newest installed PostgreSQL's program (pg_dump must be as new as the server it dumps)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return str(found[-1]) if found else shutil.which(name)


def _libpq(store: TrackerStore) -> Tuple[str, Dict[str, str]]:
    """A libpq URL without the password, and an environment with it (not on the command line, where
    other accounts could read it)."""
    url = store.url.set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False), {**os.environ, "PGPASSWORD": store.url.password or ""}


def _dump(name: str, store: TrackerStore, folder: Path) -> Tuple[Optional[Dict[str, Any]], str]:
    """pg_dump of a PostgreSQL tracker store into the folder: its manifest entry and a line, or None and
    a line saying why it is not in the backup."""
    if store.dialect != "postgresql":
        return None, (
            f"{name}: NOT BACKED UP: conversations are in {store.name} ({store.dialect}); back it up with "
            "that database's own tool."
        )
    pg_dump = _postgres_program("pg_dump")
    if pg_dump is None:
        return None, (
            f"{name}: NOT BACKED UP: conversations are in PostgreSQL ({store.name}) and pg_dump is not "
            "installed: apt-get install postgresql-client, then back up again."
        )
    copy = folder / f"{name}.pgdump"
    _new_private_file(copy)
    dsn, environment = _libpq(store)
    done = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={copy}", f"--dbname={dsn}"],
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        copy.unlink(missing_ok=True)
        return None, f"{name}: NOT BACKED UP: pg_dump of {store.name} failed: {done.stderr.strip()}"
    copy.chmod(0o600)
    integrity = _dump_integrity(copy)
    entry = {
        "name": name,
        "file": copy.name,
        "format": PG_DUMP,
        "source": store.name,
        "bytes": copy.stat().st_size,
        "sha256": _sha256(copy),
        "integrity_check": integrity,
    }
    return entry, (
        f"{name}: {store.name} dumped with pg_dump to {copy} ({entry['bytes']} bytes, integrity {integrity})."
    )


def _dump_integrity(copy: Path) -> str:
    """ok when pg_restore can read the dump's table of contents."""
    pg_restore = _postgres_program("pg_restore")
    if pg_restore is None:
        return "ok"  # pg_dump's own exit status is the check left
    done = subprocess.run([pg_restore, "--list", str(copy)], capture_output=True, text=True)
    return "ok" if done.returncode == 0 else (done.stderr.strip() or f"pg_restore exited {done.returncode}")


def check_backup(folder: Path, names: List[str]) -> Tuple[str, List[Dict[str, Any]]]:
    """When the backup was made and its databases, once every copy is there, unchanged and sound."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        made_at, databases = str(manifest["made_at"]), list(manifest["databases"])
    except FileNotFoundError:
        raise BackupRefused(
            f"{folder} has no {MANIFEST}: it is not a folder made by `clinic backup`. Nothing was restored."
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupRefused(f"{folder / MANIFEST} is not a backup manifest. Nothing was restored.") from None
    for entry in databases:
        copy = folder / str(entry.get("file"))
        if entry.get("name") not in names or copy.name != entry.get("file"):
            raise BackupRefused(
                f"{folder / MANIFEST} lists {entry!r}, not one of {names}. Nothing was restored."
            )
        if not copy.is_file() or _sha256(copy) != entry.get("sha256"):
            raise BackupRefused(
                f"{copy} is missing or changed since the backup was made. Nothing was restored."
            )
        if entry.get("format") == PG_DUMP:
            integrity, check = _dump_integrity(copy), "pg_restore's check"
        else:
            with closing(_read_only(copy)) as conn:
                integrity, check = _integrity(conn), "SQLite's integrity check"
        if integrity != "ok":
            raise BackupRefused(f"{copy} fails {check} ({integrity}). Nothing was restored.")
    return made_at, databases


def restore(
    folder: Path,
    databases: List[Dict[str, Any]],
    targets: Dict[str, Path],
    servers: Optional[Dict[str, TrackerStore]] = None,
) -> List[str]:
    """Copies each checked SQLite database back over its live file (created 0600 if it is not there);
    for a PostgreSQL dump, says how to put it back."""
    lines = []
    for entry in databases:
        if entry.get("format") == PG_DUMP:
            store = (servers or {}).get(entry["name"])
            where = store.name if store is not None else entry.get("source", "the database it came from")
            lines.append(
                f"{entry['name']}: {folder / entry['file']} is a pg_dump of PostgreSQL, not restored here. "
                "With every Rasa instance stopped, put it back with: PGPASSWORD=... pg_restore --clean "
                f"--if-exists --no-owner --dbname={where} {folder / entry['file']}"
            )
            continue
        target = targets.get(entry["name"])
        if target is None:
            lines.append(
                f"{entry['name']}: {folder / entry['file']} not restored: nothing here keeps it in a "
                "SQLite file now (Rasa's conversations are in the tracker store of CLINIC_RASA_ENDPOINTS)."
            )
            continue
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _new_private_file(target)
        with closing(_read_only(folder / entry["file"])) as copy:
            with closing(sqlite3.connect(target, timeout=10)) as live:
                copy.backup(live)
                integrity = _integrity(live)
        lines.append(
            f"{entry['name']}: {target} restored from {folder / entry['file']} (integrity {integrity})."
        )
    return lines


def _new_private_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused(
            f"{folder} already exists and is not an empty folder: back up into a new one, "
            "for example backups/$(date +%F-%H%M)."
        )
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)


def _new_private_file(path: Path) -> None:
    # An empty file is an empty SQLite database; made here so it is 0600 whatever the umask.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _integrity(conn: sqlite3.Connection) -> str:
    """The word ok, or what SQLite found wrong."""
    try:
        return "; ".join(str(row[0]) for row in conn.execute("pragma integrity_check"))
    except sqlite3.DatabaseError as error:  # too damaged to check at all
        return str(error)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
