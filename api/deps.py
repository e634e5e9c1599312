"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Iterator, Optional

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlite_utils import Database

from api.auth import LockedOut, LoginRequired, check_staff_password, is_bot_token
from api.db import connect
from api.limits import Logins, LoginsDep, locked_out, too_many
from api.sessions import COOKIE, StaffSession, find_session
from api.settings import Settings, get_settings

SettingsDep = Annotated[Settings, Depends(get_settings)]

bot_token = HTTPBearer(
    auto_error=False,
    scheme_name="Assistant token",
    description="The assistant's token (CLINIC_BOT_TOKEN). It can create requests and nothing else.",
)
staff_login = HTTPBasic(
    auto_error=False,
    realm="Clinic staff",
    scheme_name="Staff account",
    description="A staff account made with `clinic staff add USERNAME`.",
)
BearerDep = Annotated[Optional[HTTPAuthorizationCredentials], Depends(bot_token)]
BasicDep = Annotated[Optional[HTTPBasicCredentials], Depends(staff_login)]

BOT_TOKEN_MISSING = (
    "The API has no token for the assistant: set CLINIC_BOT_TOKEN to the same long random value for the "
    "API and the action server (for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and restart both."
)


def get_db(settings: SettingsDep) -> Iterator[Database]:
    """One connection per request, closed when the request is done."""
    db = connect(settings.handoffs_db)
    try:
        yield db
    finally:
        db.close()


DbDep = Annotated[Database, Depends(get_db)]


def _not_authenticated(scheme: str, message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": scheme})


# The assistant's token on a staff route is read by hand, only to answer "right key, wrong door" (403):
# it is a long random key, not a password, so telling it apart from nothing gives a guesser nothing.
def _credentials(request: Request, scheme: str) -> Optional[str]:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if kind.lower() == scheme else None


def require_bot(settings: SettingsDep, bearer: BearerDep) -> None:
    """Only the assistant, with its bearer token, may hand a request over.

    A staff password sent here is never checked: anything but the token gets the same 401, so this
    route tells a guesser nothing and cannot be used to go on guessing past the lock-out.
    """
    if not settings.bot_token:
        raise HTTPException(status_code=503, detail=BOT_TOKEN_MISSING)
    if bearer is not None and is_bot_token(bearer.credentials, settings.bot_token):
        return
    raise _not_authenticated("Bearer", "Send the assistant's token as 'Authorization: Bearer <token>'")


STAFF_LOGIN_NEEDED = "Log in with a staff account (HTTP Basic)"


def _staff_by_basic(db: Database, logins: Logins, basic: HTTPBasicCredentials) -> Optional[str]:
    """The username if the password is right, None if not; 429 while the account is locked out."""
    try:
        right = check_staff_password(db, logins, username=basic.username, password=basic.password)
    except LockedOut as locked:
        raise too_many(locked_out(locked.seconds), locked.seconds) from None
    return basic.username if right else None


def require_staff(
    request: Request, settings: SettingsDep, db: DbDep, basic: BasicDep, logins: LoginsDep
) -> str:
    """A staff member, by HTTP Basic; returns the username. The assistant's token reads nothing."""
    if basic is not None:
        username = _staff_by_basic(db, logins, basic)
        if username is not None:
            return username
    token = _credentials(request, "bearer")
    if token is not None and is_bot_token(token, settings.bot_token):
        raise HTTPException(
            status_code=403, detail="The assistant's token can create requests, not read or change them"
        )
    raise _not_authenticated('Basic realm="Clinic staff"', STAFF_LOGIN_NEEDED)


def staff_if_any(settings: SettingsDep, basic: BasicDep, logins: LoginsDep) -> Optional[str]:
    """A staff member if HTTP Basic credentials come (401 if wrong), else None: for answers that say
    more to staff. Opens the database only to check a password, so it works while the database is down."""
    if basic is None:
        return None
    try:
        db = connect(settings.handoffs_db)
    except (sqlite3.Error, OSError):
        return None  # no password can be checked: the answer is the one anyone gets
    try:
        username = _staff_by_basic(db, logins, basic)
    finally:
        db.close()
    if username is None:
        raise _not_authenticated('Basic realm="Clinic staff"', STAFF_LOGIN_NEEDED)
    return username


BotDep = Annotated[None, Depends(require_bot)]
StaffDep = Annotated[str, Depends(require_staff)]
StaffIfAnyDep = Annotated[Optional[str], Depends(staff_if_any)]


def require_staff_page(request: Request, db: DbDep) -> StaffSession:
    """A staff member logged in through the form; anyone else is sent to the login page."""
    session = find_session(db, request.cookies.get(COOKIE))
    if session is None:
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path)
    return session


StaffPageDep = Annotated[StaffSession, Depends(require_staff_page)]


class ManagersOnly(Exception):
    """A staff page for managers, asked for by someone who is not one (a 403 page)."""


def require_manager_page(session: StaffPageDep) -> StaffSession:
    """A manager logged in through the form (others get a 403 page saying who can help)."""
    if not session.is_manager:
        raise ManagersOnly()
    return session


ManagerPageDep = Annotated[StaffSession, Depends(require_manager_page)]
