"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Iterator, Optional

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlite_utils import Database

from api import store
from api.auth import LoginRequired, authenticate_staff, is_bot_token
from api.db import connect
from api.limits import LoginsDep, locked_out, too_many
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


# Each route declares only the scheme it accepts (that is what /docs shows); the other one is read by
# hand, only to tell "right credentials, wrong door" (403) from "no credentials" (401).
def _credentials(request: Request, scheme: str) -> Optional[str]:
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if kind.lower() == scheme else None


def _basic_from(request: Request) -> Optional[HTTPBasicCredentials]:
    value = _credentials(request, "basic")
    try:
        username, colon, password = base64.b64decode(value or "", validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return HTTPBasicCredentials(username=username, password=password) if colon else None


def require_bot(request: Request, settings: SettingsDep, db: DbDep, bearer: BearerDep) -> None:
    """Only the assistant, with its bearer token, may hand a request over."""
    if not settings.bot_token:
        raise HTTPException(status_code=503, detail=BOT_TOKEN_MISSING)
    if bearer is not None and is_bot_token(bearer.credentials, settings.bot_token):
        return
    basic = _basic_from(request)
    if basic is not None and authenticate_staff(db, username=basic.username, password=basic.password):
        raise HTTPException(
            status_code=403, detail="Requests are created by the assistant only, not by staff"
        )
    raise _not_authenticated("Bearer", "Send the assistant's token as 'Authorization: Bearer <token>'")


def require_staff(
    request: Request, settings: SettingsDep, db: DbDep, basic: BasicDep, logins: LoginsDep
) -> str:
    """A staff member, by HTTP Basic; returns the username. The assistant's token reads nothing."""
    if basic is not None:
        locked = logins.attempt(basic.username)
        if locked:
            raise too_many(locked_out(locked), locked)
        if authenticate_staff(db, username=basic.username, password=basic.password):
            logins.succeeded(basic.username)
            return basic.username
    token = _credentials(request, "bearer")
    if token is not None and is_bot_token(token, settings.bot_token):
        raise HTTPException(
            status_code=403, detail="The assistant's token can create requests, not read or change them"
        )
    raise _not_authenticated('Basic realm="Clinic staff"', "Log in with a staff account (HTTP Basic)")


BotDep = Annotated[None, Depends(require_bot)]
StaffDep = Annotated[str, Depends(require_staff)]


def session_stamp(password_hash: str) -> str:
    """Changes when the password does, so a reset or removal ends the staff member's sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def require_staff_page(request: Request, db: DbDep) -> str:
    """A staff member logged in through the form; anyone else is sent to the login page."""
    username = request.session.get("staff")
    stored = store.staff_password_hash(db, username=username) if isinstance(username, str) else None
    if stored is None or request.session.get("stamp") != session_stamp(stored):
        request.session.clear()
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path)
    return str(username)


StaffPageDep = Annotated[str, Depends(require_staff_page)]
