"""The Jinja2 templates (autoescaped: patient text is never markup) and the filters they use."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional

from fastapi.templating import Jinja2Templates

from api.clinic_time import clinic_zone, local
from api.phone_numbers import for_display
from api.settings import get_settings
from clinic.content import therapies

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

KINDS = {"booking": "Booking", "question": "Question"}
STATUSES = {"new": "New", "contacted": "Contacted", "booked": "Booked", "closed": "Closed"}
CLOSE_REASONS = {
    "no_answer": "No answer",
    "not_needed": "No longer needed",
    "booked_elsewhere": "Booked another way",
    "duplicate": "Duplicate",
    "spam": "Spam",
    "other": "Other",
}
FIRST_WORDS = 60  # characters of a question shown in the list


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
    """A stored UTC time in the clinic's time zone, readable: Thu 26 Nov 2026, 6:26 pm PST."""
    then = local(moment, clinic_zone())
    clock = then.strftime("%I:%M %p").lstrip("0").lower()
    return f"{then:%a} {then.day} {then:%b %Y}, {clock} {then.tzname()}"


def iso(moment: str) -> str:
    """A stored UTC time as ISO 8601 in the clinic's zone, with its offset (for <time datetime>)."""
    return local(moment, clinic_zone()).isoformat()


def datetime_local(moment: Optional[str]) -> str:
    """A stored UTC time as an <input type=datetime-local> value in the clinic's zone."""
    return local(moment, clinic_zone()).strftime("%Y-%m-%dT%H:%M") if moment else ""


def first_words(text: Optional[str], limit: int = FIRST_WORDS) -> str:
    """The start of a question, cut at a word: enough to know what to call about."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def contact(handoff: Dict[str, Any]) -> str:
    """A phone number the way the front desk dials it, or the email as it is."""
    value = str(handoff["contact"])
    return for_display(value) if handoff["contact_type"] == "phone" else value


templates.env.filters["age"] = age
templates.env.filters["ago"] = ago
templates.env.filters["when"] = when
templates.env.filters["iso"] = iso
templates.env.filters["datetime_local"] = datetime_local
templates.env.filters["first_words"] = first_words
templates.env.filters["contact"] = contact
templates.env.filters["therapy"] = therapy
templates.env.globals.update(KINDS=KINDS, STATUSES=STATUSES, CLOSE_REASONS=CLOSE_REASONS)
