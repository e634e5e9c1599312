"""`clinic backup` and `clinic restore`: copies of the assistant's SQLite databases, made while it runs.

Copies go through SQLite's online backup API, so each is one consistent moment of its database: what
the WAL holds is in it, what an open transaction has not committed is not. The databases with what
patients told us:

  handoffs      requests for staff with their notes and history, feedback, staff accounts
  rasa_tracker  Rasa's conversations
  outbox        requests the action server has not yet handed to the API

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
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

MANIFEST = "manifest.json"


class BackupRefused(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


def back_up(databases: Dict[str, Path], folder: Path) -> List[str]:
    """Copies each database that exists into the new folder `folder`; returns what was done, a line each."""
    _new_private_folder(folder)
    copied: List[Dict[str, Any]] = []
    lines = []
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
            "\n".join(lines) + "\nA copy failed SQLite's integrity check, so its live database is damaged: "
            "keep your last good backup and do not restore this one."
        )
    return lines


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
        with closing(_read_only(copy)) as conn:
            integrity = _integrity(conn)
        if integrity != "ok":
            raise BackupRefused(f"{copy} fails SQLite's integrity check ({integrity}). Nothing was restored.")
    return made_at, databases


def restore(folder: Path, databases: List[Dict[str, Any]], targets: Dict[str, Path]) -> List[str]:
    """Copies each checked database back over its live file (created 0600 if it is not there)."""
    lines = []
    for entry in databases:
        target = targets[entry["name"]]
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
