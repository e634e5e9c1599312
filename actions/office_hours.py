"""When will the front desk see a request? From clinic.yml's office_hours, in the clinic's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Dict, Optional, Tuple
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _hours(spec: Optional[str]) -> Optional[Tuple[time, time]]:
    if not spec:
        return None
    start, end = spec.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def next_opening(now: datetime, office_hours: Dict[str, str], zone: str) -> Optional[datetime]:
    """None when the desk is open at `now`; otherwise when it next opens (within two weeks)."""
    local = now.astimezone(ZoneInfo(zone))
    for offset in range(15):
        day = local + timedelta(days=offset)
        hours = _hours(office_hours.get(DAYS[day.weekday()]))
        if hours is None:
            continue
        opens = day.replace(hour=hours[0].hour, minute=hours[0].minute, second=0, microsecond=0)
        closes = day.replace(hour=hours[1].hour, minute=hours[1].minute, second=0, microsecond=0)
        if offset == 0 and opens <= local < closes:
            return None
        if local < opens:
            return opens
    return None


def desk_reopens(now: datetime, clinic: Dict) -> Optional[Tuple[str, str]]:
    """None when the front desk is working now; else (day, time) it reopens: ("tomorrow", "8:00 am")."""
    office_hours = clinic.get("office_hours") or {}
    if not office_hours:
        return None
    opening = next_opening(now, office_hours, clinic.get("time_zone", "UTC"))
    if opening is None:
        return None
    today = now.astimezone(opening.tzinfo).date()
    if opening.date() == today:
        day = "today"
    elif opening.date() == today + timedelta(days=1):
        day = "tomorrow"
    else:
        day = opening.strftime("%A")
    return day, opening.strftime("%I:%M %p").lstrip("0").lower()
