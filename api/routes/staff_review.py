"""/staff/review: staff teach the assistant. The messages it could not answer well, one click to say
what each should have got, and (for a manager) "Retrain now", the gate's comparison and the history."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Annotated, Any, Dict, List

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlite_utils import Database

from api import model_runs, retraining, store, teaching
from api.content import site_content
from api.deps import DbDep, ManagerPageDep, SettingsDep, StaffPageDep
from api.review_queue import ReviewGroup, review_groups
from api.sessions import tell_next_page
from api.settings import Settings
from api.staff_views import EXPIRED, csrf_ok, render_page

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff", tags=["staff pages"], include_in_schema=False)
GROUPS_SHOWN = 50


def _queue(db: Database, settings: Settings) -> List[ReviewGroup]:
    unhelpful = [
        (row["conversation_id"], row["topic"])
        for row in db.query(
            "select conversation_id, topic from feedback where kind = 'rating' and helpful = 0"
        )
    ]
    topics = set(site_content(settings).topics)
    return review_groups(settings.rasa_tracker_db, unhelpful, teaching.labels_by_question(db), topics=topics)


def _stored_time(moment: float) -> str:
    return store.timestamp(datetime.fromtimestamp(moment, timezone.utc))


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, db: DbDep, settings: SettingsDep, session: StaffPageDep) -> Response:
    """The review queue (most asked first, labelled ones after), the labels and the model history."""
    groups = _queue(db, settings)
    titles = {topic.id: topic.title for topic in site_content(settings).topics.values()}
    to_review = [group for group in groups if group.label is None][:GROUPS_SHOWN]
    context: Dict[str, Any] = {
        "to_review": to_review,
        "last_asked": {group.key: _stored_time(group.last_at) for group in to_review},
        "labels": teaching.labels(db),
        "titles": titles,
        "label_names": {**teaching.LABEL_NAMES, **titles},
        "NOT_FOR_ASSISTANT": teaching.OUT_OF_SCOPE,
        "NEW_ANSWER": teaching.NEW_ANSWER,
        "trainable": teaching.trainable(db),
        "running": model_runs.running(db),
        "history": model_runs.history(db),
        "promoted": model_runs.promoted(db),
    }
    return render_page(request, "review.html", context, signed_in=(db, session))


@router.post("/review/label")
def label(
    db: DbDep,
    settings: SettingsDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    key: Annotated[str, Form(max_length=500)] = "",
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Labels every wording of one queued question: a topic, not for the assistant, or needs a new answer."""
    back = RedirectResponse("/staff/review", status_code=303)
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
        return back
    group = next((g for g in _queue(db, settings) if g.key == key), None)
    if group is None:
        tell_next_page(db, session, "That question is no longer in the queue.")
        return back
    try:
        teaching.label_question(
            db,
            wordings=[group.question, *group.other_wordings],
            label=label,
            by=session.username,
            topics=set(site_content(settings).topics),
        )
    except teaching.LabelRefused as refused:
        tell_next_page(db, session, f"Not taught: {refused}")
        return back
    log.info("%s labelled a question as %s", session.username, label)
    name = teaching.LABEL_NAMES.get(label) or site_content(settings).topics[label].title
    tell_next_page(db, session, f"Taught: “{group.question}” → {name}. It counts from the next retraining.")
    return back


@router.post("/review/unlabel")
def unlabel(
    db: DbDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    key: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Takes a label back: the question returns to the queue."""
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
    elif teaching.unlabel_question(db, key=key):
        tell_next_page(db, session, "Label taken back: the question is in the queue again.")
    return RedirectResponse("/staff/review", status_code=303)


@router.post("/review/retrain")
def retrain(
    db: DbDep,
    settings: SettingsDep,
    session: ManagerPageDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Retrain now (managers): trains in the background; the page shows its progress and the result."""
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
    else:
        try:
            run = retraining.retrain(db, settings, by=session.username)
        except model_runs.AlreadyTraining as busy:
            tell_next_page(db, session, str(busy))
        else:
            log.info("%s started retraining run %s", session.username, run)
            tell_next_page(db, session, "Retraining started: this page shows how it went when it is done.")
    return RedirectResponse("/staff/review#models", status_code=303)
