"""A durable outbox: handoffs wait in SQLite until the staff API has them, so none is ever lost.

Each request gets an Idempotency-Key when it is queued; every retry uses the same key, so the API
creates it exactly once however often it is sent. One delivery thread per action server is the only
sender: it wakes as soon as a request is queued, retries with exponential backoff, and picks up what
an earlier (stopped) action server left behind. The action that queued a request awaits the first
try's outcome without blocking the server's event loop, so the patient hears the reference at once
when the API is up, and "saved, staff will have it" when it is not.

Each thread keeps one connection to the outbox (SQLite connections are not for sharing between
threads); the schema is the shared core's (clinic/outbox.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import sqlite_utils

from actions.clinic_api import ApiRejected, ApiUnavailable, hand_off
from actions.settings import Settings, settings
from clinic.outbox import TABLE, open_outbox

log = logging.getLogger(__name__)
MAX_DELAY = 300.0
POLL_SECONDS = 1.0

_connections = threading.local()


def _db(path: Optional[Path] = None) -> sqlite_utils.Database:
    """This thread's connection to the outbox at `path` (opened, and migrated, once)."""
    path = path or settings().outbox_db
    open_here: Dict[Path, sqlite_utils.Database] = _connections.__dict__.setdefault("by_path", {})
    if path not in open_here:
        open_here[path] = open_outbox(path)
    return open_here[path]


def close() -> None:
    """Close this thread's connections (the delivery thread does so when it stops)."""
    for db in _connections.__dict__.pop("by_path", {}).values():
        db.close()


def new_key() -> str:
    return str(uuid.uuid4())


def enqueue(payload: Dict[str, Any], path: Optional[Path] = None, *, key: Optional[str] = None) -> str:
    """Keep the request durably; returns its idempotency key."""
    key = key or new_key()
    _db(path).table(TABLE).insert(
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


def deliver(key: str, config: Settings, path: Optional[Path] = None) -> Optional[str]:
    """Try to send one request now. Returns its reference once the API has it, else None."""
    db = _db(path)
    row = db.table(TABLE).get(key)
    if row["delivered_at"]:
        return row["reference"]
    try:
        result = hand_off(json.loads(row["payload"]), key, config)
    except ApiUnavailable as error:
        attempts = row["attempts"] + 1
        delay = min(MAX_DELAY, 2**attempts) * random.uniform(0.8, 1.2)
        db.table(TABLE).update(
            key, {"attempts": attempts, "next_attempt_at": time.time() + delay, "last_error": str(error)}
        )
        log.warning(
            "handoff %s not delivered (attempt %d, %s); retrying in %.0fs", key, attempts, error, delay
        )
        return None
    except ApiRejected as error:
        db.table(TABLE).update(key, {"failed": 1, "last_error": str(error)})
        log.error(
            "handoff %s refused by the API (%s); kept in the outbox for a person to look at", key, error
        )
        return None
    # Staff have it now: keep only the reference, not the patient's details.
    db.table(TABLE).update(
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
    return str(result["reference"])


def due(path: Optional[Path] = None) -> List[str]:
    rows = (
        _db(path)
        .table(TABLE)
        .rows_where(
            "delivered_at is null and failed = 0 and next_attempt_at <= ?",
            [time.time()],
            order_by="next_attempt_at",
            select="id",
        )
    )
    return [row["id"] for row in rows]


def retry_now(path: Optional[Path] = None) -> int:
    """Make every waiting request due now (a restart is a good moment to try); returns how many."""
    db = _db(path)
    with db.conn:
        cursor = db.execute(
            f"update {TABLE} set next_attempt_at = ? where delivered_at is null and failed = 0", [time.time()]
        )
    return cursor.rowcount


# --- the delivery thread, and the actions awaiting it ------------------------------------------------

# The action awaiting each request's first try (one per request: its key is new when it is queued).
Waiter = Tuple[asyncio.AbstractEventLoop, "asyncio.Future[Optional[str]]"]
_waiters: Dict[str, Waiter] = {}
_waiters_lock = threading.Lock()
_wake = threading.Event()
_stop = threading.Event()
_worker: Optional[threading.Thread] = None
_worker_lock = threading.Lock()


def start_worker() -> None:
    """Start the delivery thread once per process."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_deliver_forever, name="outbox", daemon=True)
            _worker.start()


def stop_worker() -> None:
    """Stop the delivery thread (tests; the action server's runs until the process ends)."""
    global _worker
    with _worker_lock:
        if _worker is not None:
            _stop.set()
            _wake.set()
            _worker.join()
            _worker = None
            _stop.clear()


async def first_try(key: str, payload: Dict[str, Any], *, timeout: float) -> Optional[str]:
    """Queue the request and await the delivery thread's first try: its reference, or None when it
    must wait for a retry (or the try takes longer than `timeout`)."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[Optional[str]] = loop.create_future()
    with _waiters_lock:  # before queueing: the thread may try it the moment it is stored
        _waiters[key] = (loop, outcome)
    try:
        await asyncio.to_thread(enqueue, payload, key=key)
        start_worker()
        _wake.set()
        return await asyncio.wait_for(outcome, timeout)
    except asyncio.TimeoutError:
        return None
    finally:
        with _waiters_lock:
            _waiters.pop(key, None)


def _tell_waiter(key: str, reference: Optional[str]) -> None:
    with _waiters_lock:
        waiting = _waiters.pop(key, None)
    if waiting is not None:
        loop, outcome = waiting
        loop.call_soon_threadsafe(_settle, outcome, reference)


def _settle(outcome: asyncio.Future[Optional[str]], reference: Optional[str]) -> None:
    if not outcome.done():
        outcome.set_result(reference)


def _deliver_forever() -> None:
    try:
        while not _stop.is_set():
            _wake.wait(POLL_SECONDS)
            _wake.clear()
            _delivery_pass()
    finally:
        close()


def _delivery_pass() -> None:
    try:
        config = settings()
        for key in due(config.outbox_db):
            _tell_waiter(key, deliver(key, config, config.outbox_db))
    except Exception:  # noqa: BLE001 - the worker must outlive any one bad row or locked file
        log.exception("outbox delivery pass failed")
