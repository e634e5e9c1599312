"""The clinic's local time (clinic.yml `time_zone`): what staff read on the pages and in the API.

Times are stored in UTC (they sort as text and survive a change of clock); they are shown, and sent by
the API, in the clinic's zone with its offset, so 02:26 UTC is 18:26-08:00 the evening before.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.settings import get_settings
from clinic.facts import ClinicConfigError, load_clinic

# Every time a request carries: converted together, so the API never mixes zones in one answer.
TIME_FIELDS = ("created_at", "updated_at", "claimed_at", "appointment_at", "at")


def clinic_zone(clinic_config: Optional[Path] = None) -> ZoneInfo:
    """The clinic's time zone, from clinic.yml (UTC if it names none)."""
    path = clinic_config or get_settings().clinic_config
    return _zone(str(load_clinic(path).get("time_zone") or "UTC"), str(path))


@lru_cache(maxsize=8)
def _zone(name: str, path: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicConfigError(
            f"time_zone in {path} is {name!r}, which is not a time zone: use a name like America/Vancouver "
            "(the tz database's names)."
        ) from None


def local(moment: str, zone: ZoneInfo) -> datetime:
    """A stored UTC time in the clinic's zone."""
    then = datetime.fromisoformat(moment)
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return then.astimezone(zone)


def in_clinic_time(record: Dict[str, Any], zone: ZoneInfo) -> Dict[str, Any]:
    """The record (and its notes and history) with every time as ISO 8601 in the clinic's zone."""
    converted = {
        key: local(value, zone).isoformat() if key in TIME_FIELDS and isinstance(value, str) else value
        for key, value in record.items()
    }
    for nested in ("notes", "history"):
        if isinstance(record.get(nested), list):
            converted[nested] = [in_clinic_time(item, zone) for item in record[nested]]
    # A history entry about the appointment carries times in from/to (moved) or detail (booked).
    if record.get("what") == "appointment":
        for key in ("from", "to"):
            if isinstance(record.get(key), str):
                converted[key] = local(record[key], zone).isoformat()
    if (
        record.get("what") == "status"
        and record.get("to") == "booked"
        and isinstance(record.get("detail"), str)
    ):
        converted["detail"] = local(record["detail"], zone).isoformat()
    return converted


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """A time typed by staff ("2026-12-01T09:30" from a date-time field, or with an offset) as UTC.

    Raises ValueError when it is not a date and time.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc).replace(microsecond=0)
