"""A durable outbox: handoffs wait in SQLite until the staff API has them, so none is ever lost.

Each request gets an Idempotency-Key when it is queued; every retry uses the same key, so the API
creates it exactly once however often we send it. A background thread in the action server retries
with exponential backoff, and picks up what an earlier (stopped) action server left behind.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlite_utils

from actions.clinic_api import ApiRejected, ApiSettings, ApiUnavailable, hand_off
from actions.settings import PROJECT

log = logging.getLogger(__name__)
MAX_DELAY = 300.0
POLL_SECONDS = 1.0


def outbox_path() -> Path:
    return Path(os.environ.get("CLINIC_OUTBOX_DB", PROJECT / "var" / "outbox.db"))


def _db(path: Path) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("pragma journal_mode=wal")
    db.execute("pragma secure_delete=on")  # overwritten details are zeroed, not left in free pages
    if "outbox" not in db.table_names():
        db["outbox"].create(
            {
                "id": str,
                "kind": str,
                "payload": str,
                "attempts": int,
                "next_attempt_at": float,
                "delivered_at": float,
                "reference": str,
                "failed": int,
                "last_error": str,
            },
            pk="id",
        )
    return db


def enqueue(payload: Dict[str, Any], path: Optional[Path] = None) -> str:
    """Keep the request durably; returns its idempotency key."""
    key = str(uuid.uuid4())
    db = _db(path or outbox_path())
    db["outbox"].insert(
        {
            "id": key,
            "kind": payload["kind"],
            "payload": json.dumps(payload),
            "attempts": 0,
            "next_attempt_at": time.time(),
            "delivered_at": None,
            "reference": None,
            "failed": 0,
            "last_error": None,
        }
    )
    return key


def deliver(key: str, api: ApiSettings, path: Optional[Path] = None) -> Optional[str]:
    """Try to send one request now. Returns its reference once the API has it, else None."""
    db = _db(path or outbox_path())
    row = db["outbox"].get(key)
    if row["delivered_at"]:
        return row["reference"]
    try:
        result = hand_off(json.loads(row["payload"]), key, api)
    except ApiUnavailable as error:
        attempts = row["attempts"] + 1
        delay = min(MAX_DELAY, 2**attempts) * random.uniform(0.8, 1.2)
        db["outbox"].update(
            key, {"attempts": attempts, "next_attempt_at": time.time() + delay, "last_error": str(error)}
        )
        log.warning(
            "handoff %s not delivered (attempt %d, %s); retrying in %.0fs", key, attempts, error, delay
        )
        return None
    except ApiRejected as error:
        db["outbox"].update(key, {"failed": 1, "last_error": str(error)})
        log.error(
            "handoff %s refused by the API (%s); kept in the outbox for a person to look at", key, error
        )
        return None
    # Staff have it now: keep only the reference, not the patient's details.
    db["outbox"].update(
        key,
        {
            "delivered_at": time.time(),
            "reference": result["reference"],
            "attempts": row["attempts"] + 1,
            "payload": "",
        },
    )
    db.execute("pragma wal_checkpoint(truncate)")  # and not in the write-ahead log either
    log.info("handoff %s delivered as %s", key, result["reference"])
    return result["reference"]


def due(path: Optional[Path] = None) -> List[str]:
    db = _db(path or outbox_path())
    rows = db["outbox"].rows_where(
        "delivered_at is null and failed = 0 and next_attempt_at <= ?",
        [time.time()],
        order_by="next_attempt_at",
        select="id",
    )
    return [row["id"] for row in rows]


def retry_now(path: Optional[Path] = None) -> int:
    """Make every waiting request due now (a restart is a good moment to try); returns how many."""
    db = _db(path or outbox_path())
    with db.conn:
        cursor = db.execute(
            "update outbox set next_attempt_at = ? where delivered_at is null and failed = 0", [time.time()]
        )
    return cursor.rowcount


def pending(path: Optional[Path] = None) -> int:
    return _db(path or outbox_path())["outbox"].count_where("delivered_at is null and failed = 0")


_worker: Optional[threading.Thread] = None
_worker_lock = threading.Lock()


def start_worker() -> None:
    """Start the delivery thread once per process."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_deliver_forever, name="outbox", daemon=True)
            _worker.start()


def _deliver_forever() -> None:
    while True:
        try:
            for key in due():
                deliver(key, ApiSettings.from_env())
        except Exception:  # noqa: BLE001 - the worker must outlive any one bad row or locked file
            log.exception("outbox delivery pass failed")
        time.sleep(POLL_SECONDS)
