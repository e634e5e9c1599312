"""/staff/account and /staff/team: "change my password" for everyone, and the team's accounts for a
clinic manager (the `clinic staff` commands stay for whoever runs the server)."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlite_utils import Database

from api import store
from api.auth import BadUsername, LockedOut, WeakPassword, check_staff_password, check_username, hash_password
from api.cli import REFERENCE, forget_request
from api.clinic_time import clinic_zone
from api.conversations import TrackerStoreUnreachable
from api.deps import DbDep, ManagerPageDep, SettingsDep, StaffPageDep
from api.export import write_csv
from api.limits import LoginsDep, locked_out
from api.sessions import find_session, set_session_cookie, start_session, tell_next_page
from api.staff_views import EXPIRED, csrf_ok, render_page
from api.tracker_store import TrackerStoreConfigError, configured

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff", tags=["staff pages"], include_in_schema=False)
ROLE_NAMES = {"front_desk": "Front desk", "manager": "Manager"}


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, db: DbDep, session: StaffPageDep) -> Response:
    """My account: who I am, my role, and a form to change my password."""
    return render_page(request, "account.html", {"ROLE_NAMES": ROLE_NAMES}, signed_in=(db, session))


@router.post("/account/password")
def change_my_password(
    db: DbDep,
    settings: SettingsDep,
    logins: LoginsDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    """A new password for whoever is logged in: the current one first (counted like a login), then the
    policy; every other session of the account ends, this one goes on as a new session."""
    back = RedirectResponse("/staff/account", status_code=303)
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
        return back
    try:
        right = check_staff_password(db, logins, username=session.username, password=current)
    except LockedOut as locked:
        tell_next_page(db, session, locked_out(locked.seconds))
        return back
    if not right:
        tell_next_page(db, session, "That is not your current password: nothing was changed.")
        return back
    if new != again:
        tell_next_page(db, session, "The two new passwords differ: nothing was changed.")
        return back
    try:
        hashed = hash_password(new, username=session.username)
    except WeakPassword as weak:
        tell_next_page(db, session, f"{weak} Nothing was changed.")
        return back
    ended = store.set_staff_password(db, username=session.username, password_hash=hashed)
    log.info("A staff member changed their password (%s session(s) ended)", ended)
    store.record_activity(db, who=session.username, what="changed their password")
    # Every session ended with the old password, this one too: carry on in a new one.
    fresh = start_session(db, username=session.username)
    signed_in = RedirectResponse("/staff/account", status_code=303)
    set_session_cookie(signed_in, fresh, settings)
    new_session = find_session(db, fresh)
    if new_session is not None:
        tell_next_page(db, new_session, "Password changed. You are logged out everywhere else.")
    return signed_in


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, db: DbDep, session: ManagerPageDep) -> Response:
    """The team's accounts (managers only): who, which role, since when; add, change role, remove."""
    context = {
        "accounts": store.list_staff(db),
        "activity": store.recent_activity(db),
        "ROLE_NAMES": ROLE_NAMES,
    }
    return render_page(request, "team.html", context, signed_in=(db, session))


@router.post("/team")
def add_account(
    db: DbDep,
    session: ManagerPageDep,
    csrf: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "front_desk",
) -> Response:
    """Adds an account with a first password the manager passes on (the person changes it after)."""
    tell_next_page(
        db, session, _add(db, session.username, csrf_ok(session, csrf), username.strip(), password, role)
    )
    return RedirectResponse("/staff/team", status_code=303)


def _add(db: Database, by: str, fresh_form: bool, username: str, password: str, role: str) -> str:
    if not fresh_form:
        return EXPIRED
    if role not in store.ROLES:
        return "Choose front desk or manager."
    try:
        check_username(username)
        store.add_staff(
            db, username=username, password_hash=hash_password(password, username=username), role=role
        )
    except (BadUsername, WeakPassword, store.StaffExists) as refused:
        return f"{sentence(str(refused))} Nothing was added."
    log.info("A manager added a staff account")
    store.record_activity(
        db, who=by, what="added an account", detail=f"{username} ({ROLE_NAMES[role].lower()})"
    )
    return f"Added {username} ({ROLE_NAMES[role].lower()}). Give them the password; they can change it under My account."


@router.post("/team/accounts/{username}")
def change_account(
    username: str,
    db: DbDep,
    session: ManagerPageDep,
    csrf: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    """Changes an account's role, or removes it (never your own: another manager does that)."""
    tell_next_page(db, session, _change(db, session.username, csrf_ok(session, csrf), username, action, role))
    return RedirectResponse("/staff/team", status_code=303)


def _change(db: Database, me: str, fresh_form: bool, username: str, action: str, role: str) -> str:
    if not fresh_form:
        return EXPIRED
    try:
        if action == "remove":
            if username == me:
                return "You cannot remove your own account: another manager can."
            ended = store.remove_staff(db, username=username)
            store.record_activity(db, who=me, what="removed an account", detail=username)
            return f"Removed {username}; their {ended} open session(s) ended."
        if action == "role" and role in store.ROLES:
            store.set_staff_role(db, username=username, role=role)
            store.record_activity(
                db, who=me, what="changed a role", detail=f"{username}: {ROLE_NAMES[role].lower()}"
            )
            return f"{username} is now {ROLE_NAMES[role].lower()}."
    except (store.StaffNotFound, store.LastManager) as refused:
        return sentence(str(refused))
    return "Nothing to change."


def sentence(text: str) -> str:
    """The message with one full stop at its end."""
    return text if text.endswith((".", "!", "?")) else text + "."


@router.post("/team/export")
def export_requests(
    db: DbDep, settings: SettingsDep, session: ManagerPageDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Every request as CSV (the same file as `clinic export`), downloaded by a manager."""
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
        return RedirectResponse("/staff/team", status_code=303)
    out = io.StringIO()
    count = write_csv(db, out)
    log.info("A manager exported %s request(s) as CSV", count)
    store.record_activity(
        db,
        who=session.username,
        what="downloaded every request",
        detail=f"{count} request{'' if count == 1 else 's'}",
    )
    day = datetime.now(clinic_zone(settings.clinic_config)).date().isoformat()
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="requests-{day}.csv"'},
    )


@router.post("/team/forget")
def forget_patient(
    db: DbDep,
    settings: SettingsDep,
    session: ManagerPageDep,
    csrf: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Deletes one patient's request with its notes, history, conversation and feedback, as
    `clinic forget REQ-…` does: for a patient who asked to be forgotten."""
    given = reference.strip().upper()[:20]
    if not csrf_ok(session, csrf):
        message = EXPIRED
    elif not REFERENCE.fullmatch(given):
        message = "Give the request's reference, like REQ-73CRF."
    elif confirm != "yes":
        message = "Tick the box to confirm: forgetting cannot be undone."
    else:
        try:
            tracker = configured(settings.rasa_endpoints, settings.rasa_tracker_db)
            forget_request(db, settings, tracker, given)
        except store.ReferenceNotFound as missing:
            message = sentence(str(missing)) + " Nothing was deleted."
        except (TrackerStoreConfigError, TrackerStoreUnreachable) as trouble:
            log.warning("A manager could not forget request %s: %s", given, type(trouble).__name__)
            message = f"{trouble} The request is kept: try again, or use `clinic forget {given}`."
        else:
            log.info("A manager forgot request %s", given)
            store.record_activity(db, who=session.username, what="forgot a patient", detail=given)
            message = (
                f"Forgot {given}: the request, its notes and history, its conversation and feedback are "
                "deleted. Backups made before now still hold it."
            )
    tell_next_page(db, session, message)
    return RedirectResponse("/staff/team", status_code=303)
