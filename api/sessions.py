"""Staff page sessions, kept server-side in the handoff database (table staff_sessions).

The cookie carries only a random session id; the database keeps only its SHA-256, so a copy of the
database (a backup) holds nothing that opens a session. Logging out deletes the row, and so do a new
password and the account's removal (api/store.py), so a cookie copied before then opens nothing after.

The cookie is not signed: its 256 random bits are what make it unguessable, and a signature would only
add a second secret to keep without stopping anything those bits do not.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlite_utils import Database
from starlette.responses import Response

from api import store
from api.db import write_lock
from api.settings import Settings

COOKIE = "clinic_staff"
COOKIE_PATH = "/staff"
MAX_AGE = 12 * 60 * 60  # a working day: a lost laptop's session does not outlive it by much


@dataclass(frozen=True)
class StaffSession:
    """A logged-in staff member: who, and the token their forms carry (CSRF)."""

    key: str  # the SHA-256 of the cookie's id, as stored
    username: str
    csrf: str
    role: str = "front_desk"

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(db: Database, *, username: str) -> str:
    """A new session for `username`; returns the id for the cookie (stored only as its hash)."""
    session_id = secrets.token_urlsafe(32)
    started = datetime.now(timezone.utc)
    with write_lock(db):
        purge_expired_sessions(db)  # logins are rare enough to do the tidying
        db.table("staff_sessions").insert(
            {
                "key": _key(session_id),
                "username": username,
                "csrf": secrets.token_urlsafe(32),
                "created_at": store.timestamp(started),
                "expires_at": store.timestamp(started + timedelta(seconds=MAX_AGE)),
            }
        )
    return session_id


def find_session(db: Database, session_id: Optional[str]) -> Optional[StaffSession]:
    """The session with this id, if it has not expired and its account still exists."""
    if not session_id:
        return None
    rows = list(
        db.query(
            "select s.key, s.username, s.csrf, staff.role from staff_sessions as s join staff using (username) "
            "where s.key = ? and s.expires_at > ?",
            [_key(session_id), store.now()],
        )
    )
    return StaffSession(**rows[0]) if rows else None


def end_session(db: Database, session: StaffSession) -> None:
    with write_lock(db):
        db.execute("delete from staff_sessions where key = ?", [session.key])


def purge_expired_sessions(db: Database) -> int:
    """Deletes sessions past their end; returns how many. Runs at each login and in `clinic purge`."""
    return int(db.execute("delete from staff_sessions where expires_at <= ?", [store.now()]).rowcount)


def tell_next_page(db: Database, session: StaffSession, message: str) -> None:
    """A message shown once, on the next page this session opens ("Saved.")."""
    with write_lock(db):
        db.execute("update staff_sessions set flash = ? where key = ?", [message, session.key])


def take_message(db: Database, session: StaffSession) -> Optional[str]:
    """The message left for this page, if any, which is then gone."""
    rows = list(db.query("select flash from staff_sessions where key = ?", [session.key]))
    message: Optional[str] = rows[0]["flash"] if rows else None
    if message is not None:
        with write_lock(db):
            db.execute("update staff_sessions set flash = null where key = ?", [session.key])
    return message


def set_session_cookie(response: Response, session_id: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=bool(settings.secure_cookies),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=bool(settings.secure_cookies)
    )
