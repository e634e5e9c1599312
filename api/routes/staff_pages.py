"""/staff: the front desk's inbox of requests, one request's page, and the login form."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any, Dict, Optional

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import store
from api.auth import authenticate_staff
from api.content import site_content
from api.deps import DbDep, SettingsDep, StaffPageDep, session_stamp
from api.limits import LoginsDep, locked_out
from api.models import MAX_PAGE, HandoffId
from api.rendering import KINDS, STATUSES, templates

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
    status_code: int = 200,
    headers: Optional[Dict[str, str]] = None,
) -> HTMLResponse:
    context = {
        "staff": request.session.get("staff"),
        "csrf": request.session.get("csrf", ""),
        "flash": request.session.pop("flash", None),
        **context,
    }
    return templates.TemplateResponse(
        request, f"staff/{template}", context, status_code=status_code, headers=headers
    )


def _csrf_ok(request: Request, token: str) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and hmac.compare_digest(expected.encode(), token.encode())


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Optional[str] = None) -> Response:
    """The login form."""
    return _page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def log_in(
    request: Request,
    db: DbDep,
    logins: LoginsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/staff",
) -> Response:
    """Checks the password and starts a session; a wrong one shows the form again, and too many lock out."""
    locked = logins.attempt(username)
    if locked:
        log.warning("Staff login refused: locked out after failed logins")
        context = {"next": _safe_next(next), "error": locked_out(locked), "username": username}
        return _page(request, "login.html", context, status_code=429, headers={"Retry-After": str(locked)})
    valid = authenticate_staff(db, username=username, password=password)
    stored = store.staff_password_hash(db, username=username)
    if not valid or stored is None:
        log.info("Staff login refused")
        context = {"next": _safe_next(next), "error": "Wrong username or password.", "username": username}
        return _page(request, "login.html", context, status_code=401)
    logins.succeeded(username)
    request.session.clear()
    request.session.update(staff=username, stamp=session_stamp(stored), csrf=secrets.token_urlsafe(32))
    return RedirectResponse(_safe_next(next), status_code=303)


@router.api_route("/logout", methods=["GET", "POST"])
def log_out(request: Request) -> Response:
    """Ends the session."""
    request.session.clear()
    return RedirectResponse("/staff/login", status_code=303)


@router.get("", response_class=HTMLResponse)
def inbox(
    request: Request,
    db: DbDep,
    staff: StaffPageDep,
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
    return _page(request, "inbox.html", context)


@router.get("/feedback", response_class=HTMLResponse)
def feedback(request: Request, db: DbDep, settings: SettingsDep, staff: StaffPageDep) -> Response:
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
    return _page(request, "feedback.html", context)


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_page(request: Request, handoff_id: HandoffId, db: DbDep, staff: StaffPageDep) -> Response:
    """Everything about one request, with a form to move it on and add a note."""
    try:
        handoff = store.get_handoff(db, handoff_id=handoff_id)
    except store.HandoffNotFound as missing:
        return _page(request, "missing.html", {"message": str(missing)}, status_code=404)
    context = {"handoff": handoff, "next_statuses": store.TRANSITIONS[handoff["status"]]}
    return _page(request, "handoff.html", context)


@router.post("/handoffs/{handoff_id}")
def update_from_form(
    request: Request,
    handoff_id: HandoffId,
    db: DbDep,
    staff: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Saves the status change and/or note, then goes back to the request's page."""
    back = RedirectResponse(f"/staff/handoffs/{handoff_id}", status_code=303)
    note = note.strip()
    if not _csrf_ok(request, csrf):
        request.session["flash"] = "That form had expired. Please try again."
    elif status and status not in STATUSES:
        request.session["flash"] = "Choose a status from the list."
    elif len(note) > NOTE_LIMIT:
        request.session["flash"] = f"A note can be at most {NOTE_LIMIT} characters."
    elif not status and not note:
        request.session["flash"] = "Nothing to save: choose a new status or write a note."
    else:
        try:
            store.update_handoff(
                db, handoff_id=handoff_id, by=staff, status=status or None, note=note or None
            )
        except store.HandoffNotFound as missing:
            return _page(request, "missing.html", {"message": str(missing)}, status_code=404)
        except store.IllegalTransition as refused:
            request.session["flash"] = f"{refused}."
        else:
            request.session["flash"] = "Saved."
    return back
