"""/staff: the front desk's inbox of requests, one request's page, and the login form."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any, Dict, Optional, Tuple

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlite_utils import Database

from api import store
from api.auth import LockedOut, check_staff_password
from api.content import site_content
from api.deps import DbDep, SettingsDep, StaffPageDep
from api.limits import LoginsDep, locked_out
from api.models import MAX_PAGE, HandoffId
from api.rendering import KINDS, STATUSES, templates
from api.sessions import (
    COOKIE,
    StaffSession,
    clear_session_cookie,
    end_session,
    find_session,
    set_session_cookie,
    start_session,
    take_message,
    tell_next_page,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff", tags=["staff pages"], include_in_schema=False)
PER_PAGE = 25
NOTE_LIMIT = 2000


def _safe_next(next_path: Optional[str]) -> str:
    """Only back into the staff pages: never an open redirect to somewhere else."""
    if next_path and next_path.startswith("/staff") and "\\" not in next_path and "//" not in next_path:
        return next_path
    return "/staff"


def _page(
    request: Request,
    template: str,
    context: Dict[str, Any],
    *,
    signed_in: Optional[Tuple[Database, StaffSession]] = None,
    status_code: int = 200,
    headers: Optional[Dict[str, str]] = None,
) -> HTMLResponse:
    """A staff page; with the session (and its database) it shows who is in, the log-out button and
    the message left for it."""
    if signed_in is not None:
        db, session = signed_in
        context = {
            "staff": session.username,
            "csrf": session.csrf,
            "flash": take_message(db, session),
            **context,
        }
    return templates.TemplateResponse(
        request, f"staff/{template}", context, status_code=status_code, headers=headers
    )


def _csrf_ok(session: StaffSession, token: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), token.encode())


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Optional[str] = None) -> Response:
    """The login form."""
    return _page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def log_in(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    logins: LoginsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    """Checks the password and starts a session; a wrong one shows the form again, and too many lock out."""
    context = {"next": _safe_next(next), "username": username}
    try:
        right = check_staff_password(db, logins, username=username, password=password)
    except LockedOut as locked:
        log.warning("Staff login refused: locked out after failed logins")
        context["error"] = locked_out(locked.seconds)
        headers = {"Retry-After": str(locked.seconds)}
        return _page(request, "login.html", context, status_code=429, headers=headers)
    if not right:
        log.info("Staff login refused")
        context["error"] = "Wrong username or password."
        return _page(request, "login.html", context, status_code=401)
    earlier = find_session(db, request.cookies.get(COOKIE))
    if earlier is not None:  # a new login is a new session: never carry an old id over
        end_session(db, earlier)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, start_session(db, username=username), settings)
    return response


@router.get("/logout", response_class=HTMLResponse)
def log_out_page(request: Request, db: DbDep) -> Response:
    """Logging out is a form (POST with the session's token): a link could be followed by another site."""
    session = find_session(db, request.cookies.get(COOKIE))
    if session is None:
        return RedirectResponse("/staff/login", status_code=303)
    return _page(request, "logout.html", {}, signed_in=(db, session))


@router.post("/logout")
def log_out(
    request: Request, db: DbDep, settings: SettingsDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Ends the session, here and for every copy of its cookie; without the form's token it stays."""
    session = find_session(db, request.cookies.get(COOKIE))
    if session is not None and not _csrf_ok(session, csrf):
        tell_next_page(db, session, "That form had expired: use the Log out button again.")
        return RedirectResponse("/staff/logout", status_code=303)
    if session is not None:
        end_session(db, session)
    response = RedirectResponse("/staff/login", status_code=303)
    if COOKIE in request.cookies:
        clear_session_cookie(response, settings)
    return response


@router.get("", response_class=HTMLResponse)
def inbox(
    request: Request,
    db: DbDep,
    session: StaffPageDep,
    status: Optional[str] = None,
    kind: Optional[str] = None,
    page: int = 1,
) -> Response:
    """Open requests first (new, then contacted), newest first; filter by status and kind."""
    status = status if status in STATUSES else None
    kind = kind if kind in KINDS else None
    page = min(max(page, 1), MAX_PAGE)
    items, total = store.list_handoffs(
        db, status=status, kind=kind, page=page, per_page=PER_PAGE, open_first=True
    )
    context = {
        "items": items,
        "total": total,
        "status": status,
        "kind": kind,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
    }
    return _page(request, "inbox.html", context, signed_in=(db, session))


@router.get("/feedback", response_class=HTMLResponse)
def feedback(request: Request, db: DbDep, settings: SettingsDep, session: StaffPageDep) -> Response:
    """What patients made of the answers: topics marked unhelpful and questions with no answer."""
    titles = {topic.id: topic.title for topic in site_content(settings).topics.values()}
    topics = [{**row, "title": titles.get(row["topic"], row["topic"])} for row in store.feedback_by_topic(db)]
    questions = store.unanswered_questions(db)
    context = {
        "topics": topics,
        "questions": questions,
        "most_unhelpful": max([row["unhelpful"] for row in topics] + [1]),
        "most_asked": max([row["times"] for row in questions] + [1]),
    }
    return _page(request, "feedback.html", context, signed_in=(db, session))


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_page(request: Request, handoff_id: HandoffId, db: DbDep, session: StaffPageDep) -> Response:
    """Everything about one request, with a form to move it on and add a note."""
    signed_in = (db, session)
    try:
        handoff = store.get_handoff(db, handoff_id=handoff_id)
    except store.HandoffNotFound as missing:
        return _page(request, "missing.html", {"message": str(missing)}, signed_in=signed_in, status_code=404)
    context = {"handoff": handoff, "next_statuses": store.TRANSITIONS[handoff["status"]]}
    return _page(request, "handoff.html", context, signed_in=signed_in)


@router.post("/handoffs/{handoff_id}")
def update_from_form(
    request: Request,
    handoff_id: HandoffId,
    db: DbDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Saves the status change and/or note, then goes back to the request's page."""
    try:
        outcome = _save(db, session, handoff_id, csrf=csrf, status=status, note=note.strip())
    except store.HandoffNotFound as missing:
        return _page(
            request, "missing.html", {"message": str(missing)}, signed_in=(db, session), status_code=404
        )
    tell_next_page(db, session, outcome)
    return RedirectResponse(f"/staff/handoffs/{handoff_id}", status_code=303)


def _save(db: Database, session: StaffSession, handoff_id: int, *, csrf: str, status: str, note: str) -> str:
    """Saves what the form asks for; returns what to tell staff: saved, or why nothing was."""
    if not _csrf_ok(session, csrf):
        return "That form had expired. Please try again."
    if status and status not in STATUSES:
        return "Choose a status from the list."
    if len(note) > NOTE_LIMIT:
        return f"A note can be at most {NOTE_LIMIT} characters."
    if not status and not note:
        return "Nothing to save: choose a new status or write a note."
    try:
        store.update_handoff(
            db, handoff_id=handoff_id, by=session.username, status=status or None, note=note or None
        )
    except store.IllegalTransition as refused:
        return f"{refused}."
    return "Saved."
