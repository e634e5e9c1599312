"""When will the front desk see a request? From clinic.yml's office_hours, in the clinic's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Dict, Optional, Sequence, Tuple
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


def desk_reopens(now: datetime, clinic: Dict, nearby_days: Sequence[str]) -> Optional[Tuple[str, str]]:
    """None when the front desk is working now; else (day, time) it reopens: ("tomorrow", "8:00 am").

    `nearby_days` names the days from today on, as the patient would say them (content/booking.yml's
    ["today", "tomorrow"]); days further away are named by weekday.
    """
    office_hours = clinic.get("office_hours") or {}
    if not office_hours:
        return None
    opening = next_opening(now, office_hours, clinic.get("time_zone", "UTC"))
    if opening is None:
        return None
    days_away = (opening.date() - now.astimezone(opening.tzinfo).date()).days
    day = nearby_days[days_away] if days_away < len(nearby_days) else opening.strftime("%A")
    return day, opening.strftime("%I:%M %p").lstrip("0").lower()
