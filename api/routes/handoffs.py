"""/api/handoffs: the assistant hands requests to staff; staff list, read and move them on."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Dict, Optional

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api import notify, store
from api.clinic_time import clinic_zone, in_clinic_time, parse_local
from api.deps import BotDep, DbDep, SettingsDep, StaffDep
from api.limits import limit_handoffs
from api.models import (
    MAX_PAGE,
    HandoffCreate,
    HandoffId,
    HandoffPage,
    HandoffPublic,
    HandoffReopen,
    HandoffUpdate,
    Kind,
    Problem,
    Status,
    ValidationProblem,
)
from api.search import Search
from api.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/handoffs", tags=["handoffs"])

UNAUTHENTICATED: Dict[int | str, Dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid credentials"},
    403: {"model": Problem, "description": "Valid credentials, but not for this"},
    429: {"model": Problem, "description": "Too many failed logins, or too many requests: see Retry-After"},
    422: {"model": ValidationProblem, "description": "What was wrong, field by field"},
}
IdempotencyKey = Annotated[
    Optional[str],
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        description="A retry with the same key gets the first answer and creates nothing new.",
    ),
]


def public(record: Dict[str, Any], settings: Settings) -> Dict[str, Any]:
    """A stored request as JSON in the clinic's time zone, the same bytes every time for the same record."""
    local = in_clinic_time(record, clinic_zone(settings.clinic_config))
    encoded: Dict[str, Any] = jsonable_encoder(HandoffPublic.parse_obj(local), by_alias=True)
    return encoded


CHANGE_REFUSED = {
    **UNAUTHENTICATED,
    404: {"model": Problem, "description": "No such request"},
    409: {"model": Problem, "description": "That change is not allowed now (the message says why)"},
}


@router.post(
    "",
    status_code=201,
    response_model=HandoffPublic,
    responses={
        **UNAUTHENTICATED,
        409: {"model": Problem, "description": "The Idempotency-Key was used for a different request"},
        413: {"model": Problem, "description": "The body is over 64 KB"},
        429: {"model": Problem, "description": "Too many requests from this client in the last minute"},
        503: {"model": Problem, "description": "The API has no bot token configured"},
    },
    dependencies=[Depends(limit_handoffs)],
)
def create_handoff(
    handoff: HandoffCreate,
    _: BotDep,
    db: DbDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Stores a booking request or a question for staff (the assistant's token only)."""
    record, created = store.create_handoff(db, handoff=handoff, idempotency_key=idempotency_key)
    if created:
        log.info("Handoff %s created (id %s, %s)", record["reference"], record["id"], record["kind"])
        background.add_task(
            notify.new_handoff,
            settings,
            handoff_id=record["id"],
            reference=record["reference"],
            kind=record["kind"],
        )
    else:
        log.info("Handoff %s replayed for a retried Idempotency-Key", record["reference"])
    return JSONResponse(public(record, settings), status_code=201)


@router.get("", response_model=HandoffPage, responses=UNAUTHENTICATED)
def list_handoffs(
    db: DbDep,
    settings: SettingsDep,
    _: StaffDep,
    status: Optional[Status] = None,
    kind: Optional[Kind] = None,
    q: Annotated[
        Optional[str],
        Query(
            max_length=200,
            description="Name, phone number (any format), email, reference, or words of the reason or question",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Dict[str, Any]:
    """Requests, newest first, filtered by status and kind and found by what was typed (staff only)."""
    items, total = store.list_handoffs(
        db, status=status, kind=kind, search=Search.of(q), page=page, per_page=per_page
    )
    return {
        "items": [public(item, settings) for item in items],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": max(1, -(-total // per_page)),
    }


@router.get(
    "/{handoff_id}",
    response_model=HandoffPublic,
    responses={**UNAUTHENTICATED, 404: {"model": Problem, "description": "No such request"}},
)
def read_handoff(handoff_id: HandoffId, db: DbDep, settings: SettingsDep, _: StaffDep) -> Dict[str, Any]:
    """One request with its transcript, notes and history (staff only)."""
    return public(store.get_handoff(db, handoff_id=handoff_id), settings)


@router.patch("/{handoff_id}", response_model=HandoffPublic, responses=CHANGE_REFUSED)
def update_handoff(
    handoff_id: HandoffId, change: HandoffUpdate, db: DbDep, settings: SettingsDep, username: StaffDep
) -> Dict[str, Any]:
    """Moves a request on (new → contacted → booked/closed, or new → closed) and/or adds a note.

    Closing needs a close_reason; booking needs appointment_at."""
    appointment = None
    if change.appointment_at is not None:
        zone = clinic_zone(settings.clinic_config)
        appointment = store.timestamp(parse_local(change.appointment_at.isoformat(), zone))
    record = store.update_handoff(
        db,
        handoff_id=handoff_id,
        by=username,
        status=change.status,
        note=change.note,
        close_reason=change.close_reason,
        duplicate_of=change.duplicate_of,
        appointment_at=appointment,
    )
    log.info("Handoff %s updated by staff (status %s)", record["reference"], record["status"])
    return public(record, settings)


@router.post("/{handoff_id}/reopen", response_model=HandoffPublic, responses=CHANGE_REFUSED)
def reopen_handoff(
    handoff_id: HandoffId, reopen: HandoffReopen, db: DbDep, settings: SettingsDep, username: StaffDep
) -> Dict[str, Any]:
    """Reopens a booked or closed request, back to the status it had before; the reason goes in the history."""
    record = store.reopen_handoff(db, handoff_id=handoff_id, by=username, reason=reopen.reason)
    log.info("Handoff %s reopened by staff", record["reference"])
    return public(record, settings)


@router.put("/{handoff_id}/claim", response_model=HandoffPublic, responses=CHANGE_REFUSED)
def claim_handoff(
    handoff_id: HandoffId, db: DbDep, settings: SettingsDep, username: StaffDep
) -> Dict[str, Any]:
    """Claims a request for the caller, so colleagues see who is calling the patient (409 if someone else has)."""
    return public(store.claim_handoff(db, handoff_id=handoff_id, by=username), settings)


@router.delete("/{handoff_id}/claim", response_model=HandoffPublic, responses=CHANGE_REFUSED)
def release_handoff(
    handoff_id: HandoffId, db: DbDep, settings: SettingsDep, username: StaffDep
) -> Dict[str, Any]:
    """Releases the claim on a request, whoever holds it (kept in the history)."""
    return public(store.release_handoff(db, handoff_id=handoff_id, by=username), settings)
