"""/staff: the login form, the front desk's inbox of requests and one request's page with its forms."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Dict, List, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlite_utils import Database

from api import store
from api.auth import LockedOut, check_staff_password
from api.clinic_time import clinic_zone, parse_local
from api.deps import DbDep, SettingsDep, StaffPageDep
from api.limits import LoginsDep, locked_out
from api.models import MAX_PAGE, HandoffId
from api.rendering import KINDS, STATUSES
from api.search import Search
from api.sessions import (
    COOKIE,
    StaffSession,
    clear_session_cookie,
    end_session,
    find_session,
    set_session_cookie,
    start_session,
    tell_next_page,
)
from api.settings import Settings
from api.staff_views import EXPIRED, csrf_ok, render_page

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff", tags=["staff pages"], include_in_schema=False)
PER_PAGE = 25
NOTE_LIMIT = 2000
SEARCH_LIMIT = 200
REASON_LIMIT = 500
# Sent by static/inbox.js with its polls.
POLL_HEADER = "X-Inbox-Poll"


def _safe_next(next_path: Optional[str]) -> str:
    """Only back into the staff pages: never an open redirect to somewhere else."""
    if next_path and next_path.startswith("/staff") and "\\" not in next_path and "//" not in next_path:
        return next_path
    return "/staff"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Optional[str] = None) -> Response:
    """The login form."""
    return render_page(request, "login.html", {"next": _safe_next(next), "error": None})


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
        return render_page(request, "login.html", context, status_code=429, headers=headers)
    if not right:
        log.info("Staff login refused")
        context["error"] = "Wrong username or password."
        return render_page(request, "login.html", context, status_code=401)
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
    return render_page(request, "logout.html", {}, signed_in=(db, session))


@router.post("/logout")
def log_out(
    request: Request, db: DbDep, settings: SettingsDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Ends the session, here and for every copy of its cookie; without the form's token it stays."""
    session = find_session(db, request.cookies.get(COOKIE))
    if session is not None and not csrf_ok(session, csrf):
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
    settings: SettingsDep,
    session: StaffPageDep,
    status: Optional[str] = None,
    kind: Optional[str] = None,
    q: Optional[str] = None,
    page: str = "1",
) -> Response:
    """Open requests first (new, then contacted), newest first; filter by status and kind, search.

    The page polls itself (static/inbox.js) with If-None-Match: nothing changed is a 304, so new requests
    appear without a reload and cost nothing while the inbox is quiet."""
    status = status if status in STATUSES else None
    kind = kind if kind in KINDS else None
    search = Search.of((q or "")[:SEARCH_LIMIT])
    etag = _inbox_etag(db, session, str(request.url.query))
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    wanted = int(page) if page.isdigit() else 1
    wanted = min(max(wanted, 1), MAX_PAGE)
    items, total = store.list_handoffs(
        db, status=status, kind=kind, search=search, page=wanted, per_page=PER_PAGE, open_first=True
    )
    pages = max(1, -(-total // PER_PAGE))
    if wanted > pages:  # ?page=99 of 3: the last page, not an empty "Page 99 of 3"
        wanted = pages
        items, total = store.list_handoffs(
            db, status=status, kind=kind, search=search, page=wanted, per_page=PER_PAGE, open_first=True
        )
    linked = store.same_patient(db, handoff_ids=[item["id"] for item in items])
    filters = {"status": status, "kind": kind, "q": search.text if search else None}
    context = {
        "items": [{**item, "same_patient": linked[item["id"]]} for item in items],
        "total": total,
        **filters,
        "page": wanted,
        "pages": pages,
        "page_links": page_links(wanted, pages),
        "query_for": lambda number: _query({**filters, "page": number if number > 1 else None}),
        "new_count": store.open_count(db),
        "poll_seconds": settings.inbox_poll_seconds,
    }
    # A poll must not eat the message meant for the page the receptionist is looking at.
    polling = request.headers.get(POLL_HEADER) == "1"
    return render_page(
        request,
        "inbox.html",
        context,
        signed_in=(db, session),
        headers={"ETag": etag},
        keep_message=polling,
    )


def _inbox_etag(db: Database, session: StaffSession, query: str) -> str:
    """The inbox's version as this person sees it: any change to any request, the filters, and the
    minute (so "Age" moves on even when the inbox is quiet)."""
    minute = int(time.time() // 60)
    seen = repr((store.inbox_version(db), session.username, session.csrf, query, minute))
    return '"' + hashlib.sha256(seen.encode()).hexdigest()[:32] + '"'


def _query(values: Dict[str, Any]) -> str:
    kept = {key: value for key, value in values.items() if value}
    return "/staff" + ("?" + urlencode(kept) if kept else "")


def page_links(page: int, pages: int, around: int = 2) -> List[Optional[int]]:
    """Page numbers to link: the first, the last and those near this one; None where some are skipped."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    links: List[Optional[int]] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
def handoff_page(request: Request, handoff_id: HandoffId, db: DbDep, session: StaffPageDep) -> Response:
    """Everything about one request, with forms to claim it, move it on, add a note or reopen it."""
    signed_in = (db, session)
    try:
        handoff = store.get_handoff(db, handoff_id=handoff_id)
    except store.HandoffNotFound as missing:
        return render_page(
            request, "missing.html", {"message": str(missing)}, signed_in=signed_in, status_code=404
        )
    context = {
        "handoff": handoff,
        "next_statuses": store.TRANSITIONS[handoff["status"]],
        "same_patient": store.same_patient(db, handoff_ids=[handoff_id])[handoff_id],
    }
    return render_page(request, "handoff.html", context, signed_in=signed_in)


@router.post("/handoffs/{handoff_id}")
def update_from_form(
    request: Request,
    handoff_id: HandoffId,
    db: DbDep,
    settings: SettingsDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    close_reason: Annotated[str, Form()] = "",
    duplicate_of: Annotated[str, Form()] = "",
    appointment_at: Annotated[str, Form()] = "",
) -> Response:
    """Saves the status change and/or note, then goes back to the request's page."""
    change = Change(
        status=status,
        note=note.strip(),
        close_reason=close_reason,
        duplicate_of=duplicate_of.strip()[:20],
        appointment_at=appointment_at.strip()[:40],
    )
    return _then_back(
        request, db, session, handoff_id, lambda: _save(db, settings, session, handoff_id, csrf, change)
    )


@router.post("/handoffs/{handoff_id}/reopen")
def reopen_from_form(
    request: Request,
    handoff_id: HandoffId,
    db: DbDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Reopens a booked or closed request with the reason given."""

    def reopen() -> str:
        if not csrf_ok(session, csrf):
            return EXPIRED
        why = " ".join(reason.split())
        if not why:
            return "Say why it is reopened: the history keeps the reason."
        if len(why) > REASON_LIMIT:
            return f"A reason can be at most {REASON_LIMIT} characters."
        try:
            store.reopen_handoff(db, handoff_id=handoff_id, by=session.username, reason=why)
        except store.NotFinal as refused:
            return f"{refused}."
        return "Reopened."

    return _then_back(request, db, session, handoff_id, reopen)


@router.post("/handoffs/{handoff_id}/claim")
def claim_from_form(
    request: Request,
    handoff_id: HandoffId,
    db: DbDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "claim",
) -> Response:
    """Claims the request for whoever is logged in ("I'm calling"), or releases the claim."""

    def claim() -> str:
        if not csrf_ok(session, csrf):
            return EXPIRED
        try:
            if action == "release":
                store.release_handoff(db, handoff_id=handoff_id, by=session.username)
                return "Released: anyone can call this patient now."
            store.claim_handoff(db, handoff_id=handoff_id, by=session.username)
        except (store.ClaimedByOther, store.NotOpen) as refused:
            return f"{refused}."
        return "Claimed: colleagues see that you are calling."

    return _then_back(request, db, session, handoff_id, claim)


def _then_back(
    request: Request, db: Database, session: StaffSession, handoff_id: int, act: Callable[[], str]
) -> Response:
    """Does what a form asks, tells the next page how it went, and goes back to the request."""
    try:
        outcome = act()
    except store.HandoffNotFound as missing:
        return render_page(
            request, "missing.html", {"message": str(missing)}, signed_in=(db, session), status_code=404
        )
    tell_next_page(db, session, outcome)
    return RedirectResponse(f"/staff/handoffs/{handoff_id}", status_code=303)


@dataclass(frozen=True)
class Change:
    """What the request page's Update form sent."""

    status: str
    note: str
    close_reason: str
    duplicate_of: str
    appointment_at: str


def _save(
    db: Database, settings: Settings, session: StaffSession, handoff_id: int, csrf: str, change: Change
) -> str:
    """Saves what the form asks for; returns what to tell staff: saved, or why nothing was."""
    if not csrf_ok(session, csrf):
        return EXPIRED
    if change.status and change.status not in STATUSES:
        return "Choose a status from the list."
    if len(change.note) > NOTE_LIMIT:
        return f"A note can be at most {NOTE_LIMIT} characters."
    if not (change.status or change.note or change.appointment_at):
        return "Nothing to save: choose a new status or write a note."
    appointment = None
    if change.appointment_at:
        try:
            moment = parse_local(change.appointment_at, clinic_zone(settings.clinic_config))
        except ValueError:
            return "Give the appointment's date and time, like 2026-12-01 09:30."
        appointment = store.timestamp(moment)
    try:
        store.update_handoff(
            db,
            handoff_id=handoff_id,
            by=session.username,
            status=change.status or None,
            note=change.note or None,
            close_reason=(change.close_reason or None) if change.status == "closed" else None,
            duplicate_of=(change.duplicate_of or None) if change.close_reason == "duplicate" else None,
            appointment_at=appointment,
        )
    except (store.IllegalTransition, store.DetailNeeded) as refused:
        if not change.note:
            return f"Not saved: {refused}."
        # What the receptionist wrote is never lost to a status that could not change.
        store.update_handoff(db, handoff_id=handoff_id, by=session.username, note=change.note)
        return f"Your note is saved, but the status did not change: {refused}."
    return "Saved."
