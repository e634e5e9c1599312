"""/staff/feedback: what patients made of the answers, for the clinic manager to act on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Annotated, Optional

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import store
from api.clinic_time import clinic_zone
from api.content import site_content
from api.deps import DbDep, SettingsDep, StaffPageDep
from api.feedback_groups import group_questions, question_key
from api.sessions import tell_next_page
from api.staff_views import EXPIRED, csrf_ok, render_page

router = APIRouter(prefix="/staff", tags=["staff pages"], include_in_schema=False)


@router.get("/feedback", response_class=HTMLResponse)
def feedback(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    session: StaffPageDep,
    since: str = "",
    until: str = "",
    handled: str = "",
) -> Response:
    """What patients made of the answers: topics marked unhelpful and questions with no answer, the
    same question however worded counted together; between two dates (clinic time) if asked."""
    zone = clinic_zone(settings.clinic_config)
    first, last = _day(since), _day(until)
    start = store.timestamp(datetime.combine(first, dt_time(), zone)) if first else None
    end = store.timestamp(datetime.combine(last + timedelta(days=1), dt_time(), zone)) if last else None
    titles = {topic.id: topic.title for topic in site_content(settings).topics.values()}
    topics = [
        {**row, "title": titles.get(row["topic"], row["topic"])}
        for row in store.feedback_by_topic(db, since=start, until=end)
    ]
    groups = group_questions(
        store.unanswered_questions(db, since=start, until=end), store.handled_questions(db)
    )
    show_handled = handled == "shown"
    shown = [group for group in groups if show_handled or not group.handled][:QUESTIONS_SHOWN]
    context = {
        "topics": topics,
        "questions": shown,
        "handled_count": sum(group.handled for group in groups),
        "show_handled": show_handled,
        "since": first.isoformat() if first else "",
        "until": last.isoformat() if last else "",
        "most_unhelpful": max([row["unhelpful"] for row in topics] + [1]),
        "most_asked": max([group.times for group in shown] + [1]),
    }
    return render_page(request, "feedback.html", context, signed_in=(db, session))


QUESTIONS_SHOWN = 50


def _day(text: str) -> Optional[date]:
    """A date from a date field (YYYY-MM-DD), or None when empty or not a date."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@router.post("/feedback/handled")
def mark_handled(
    db: DbDep,
    session: StaffPageDep,
    csrf: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    undo: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/staff/feedback",
) -> Response:
    """Marks a question (however worded) as handled, or takes the mark back."""
    key = question_key(question[:500])
    if not csrf_ok(session, csrf):
        tell_next_page(db, session, EXPIRED)
    elif not key:
        tell_next_page(db, session, "Nothing to mark: that question was empty.")
    elif undo:
        store.unmark_question_handled(db, question_key=key)
        tell_next_page(db, session, "Back on the list.")
    else:
        store.mark_question_handled(db, question_key=key, by=session.username)
        tell_next_page(db, session, "Marked handled: it comes back if patients ask it again.")
    target = (
        back
        if back.startswith("/staff/feedback") and "//" not in back and "\\" not in back
        else "/staff/feedback"
    )
    return RedirectResponse(target, status_code=303)
