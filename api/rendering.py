"""The Jinja2 templates (autoescaped: patient text is never markup) and the filters they use."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from fastapi.templating import Jinja2Templates

from api.settings import get_settings
from clinic.content import therapies

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

KINDS = {"booking": "Booking", "question": "Question"}
STATUSES = {"new": "New", "contacted": "Contacted", "booked": "Booked", "closed": "Closed"}


def age(created_at: str, now: Optional[datetime] = None) -> str:
    """How long ago, the way staff say it: "just now", "25 min", "3 h", "2 d"."""
    then = datetime.fromisoformat(created_at)
    minutes = int(((now or datetime.now(timezone.utc)) - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def ago(created_at: str) -> str:
    """ "just now" or "3 h ago"."""
    elapsed = age(created_at)
    return elapsed if elapsed == "just now" else f"{elapsed} ago"


def therapy(therapy_id: Optional[str]) -> str:
    """A therapy's label for staff (content/therapies.yml), or its id if the file no longer has it."""
    if not therapy_id:
        return ""
    return therapies(get_settings().files).labels().get(therapy_id, therapy_id)


def when(moment: str) -> str:
    """A stored UTC time, readable: 2026-11-25 13:44 UTC."""
    return datetime.fromisoformat(moment).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["age"] = age
templates.env.filters["ago"] = ago
templates.env.filters["when"] = when
templates.env.filters["therapy"] = therapy
templates.env.globals.update(KINDS=KINDS, STATUSES=STATUSES)
