"""The chat widget's public endpoints: its settings and words, and patients' feedback on answers."""

from __future__ import annotations

import logging
from typing import Any, Dict

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api import store
from api.content import site_content
from api.deps import DbDep, SettingsDep
from api.models import FeedbackCreate, FeedbackStored, Problem, ValidationProblem

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat widget"])


@router.get("/widget/config")
async def widget_config(settings: SettingsDep) -> Dict[str, Any]:
    """What the widget needs besides Rasa: the FAQ topic ids (answers that get "Was this helpful?"),
    its words, and the privacy notice."""
    content = await run_in_threadpool(site_content, settings)
    return {
        "faq_topics": content.faq_topics,
        "privacy_url": content.clinic.get("privacy_notice") or None,
        "texts": content.widget,
    }


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackStored,
    responses={
        200: {"model": FeedbackStored, "description": "The same feedback again: it replaced the first"},
        422: {"model": ValidationProblem, "description": "What was wrong, field by field"},
        429: {"model": Problem, "description": "This conversation has sent too much feedback"},
    },
)
def give_feedback(feedback: FeedbackCreate, db: DbDep, settings: SettingsDep) -> JSONResponse:
    """Keeps a patient's 👍/👎 on an FAQ answer, or a question the assistant could not answer.

    Anyone may call it, so it keeps no names or contacts and counts one vote per conversation and topic.
    """
    if feedback.kind == "rating" and feedback.topic not in site_content(settings).topics:
        return JSONResponse(
            {"detail": [{"field": "topic", "message": "Not one of the FAQ topics"}]}, status_code=422
        )
    try:
        row, created = store.record_feedback(db, feedback=feedback)
    except store.TooMuchFeedback as refused:
        return JSONResponse({"detail": str(refused)}, status_code=429)
    log.info("Feedback %s on %s (%s)", feedback.kind, feedback.topic, "new" if created else "replaced")
    stored = {key: row[key] for key in ("kind", "topic", "helpful", "question")}
    return JSONResponse(stored, status_code=201 if created else 200)
