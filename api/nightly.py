"""The nightly retraining (`nightly_retrain: "02:30"` in clinic.yml, clinic time): once a day, at or after
that time, if staff taught something since the last retraining. Without the key, nothing runs."""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, time, timezone
from typing import Optional

from sqlite_utils import Database

from api import model_runs
from api.clinic_time import clinic_zone
from api.db import connect
from api.retraining import retrain
from api.settings import Settings, get_settings
from clinic.facts import ClinicConfigError, load_clinic

log = logging.getLogger(__name__)
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
CHECK_SECONDS = 60
NIGHTLY = "nightly (clinic.yml)"


def nightly_time(settings: Settings) -> Optional[time]:
    """clinic.yml's nightly_retrain as a time of day, None if it is not set."""
    value = load_clinic(settings.clinic_config).get("nightly_retrain")
    if value in (None, ""):
        return None
    found = CLOCK.fullmatch(str(value).strip())
    if not found:
        raise ClinicConfigError(
            f'nightly_retrain in {settings.clinic_config} is {value!r}: write a time of day in quotes, like "02:30".'
        )
    return time(int(found.group(1)), int(found.group(2)))


def due(now: datetime, at: time, last_started: Optional[datetime], taught_since: bool) -> bool:
    """At or after today's time (in `now`'s zone), none started since then, and something new to learn."""
    today_at = datetime.combine(now.date(), at, now.tzinfo)
    return taught_since and now >= today_at and (last_started is None or last_started < today_at)


def check_once(settings: Settings, now: Optional[datetime] = None) -> Optional[int]:
    """Starts the nightly retraining if it is due; returns the run's id if it did."""
    at = nightly_time(settings)
    if at is None:
        return None
    now = (now or datetime.now(timezone.utc)).astimezone(clinic_zone(settings.clinic_config))
    with connect(settings.handoffs_db) as db:
        last = _latest(db, "select max(started_at) from model_runs")
        newest_label = _latest(db, "select max(at) from teaching_labels")
        started = datetime.fromisoformat(last) if last else None
        taught_since = newest_label is not None and (last is None or newest_label > last)
        if not due(now, at, started, taught_since):
            return None
        try:
            run = retrain(db, settings, by=NIGHTLY)
        except model_runs.AlreadyTraining:
            return None
    log.info("Nightly retraining %s started", run)
    return run


def _latest(db: Database, sql: str) -> Optional[str]:
    row = db.execute(sql).fetchone()
    return str(row[0]) if row and row[0] else None


def start() -> threading.Event:
    """Checks every minute in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(CHECK_SECONDS):
            try:
                check_once(get_settings())
            except Exception as error:  # noqa: BLE001 - a bad clinic.yml must not stop the API
                log.error("Nightly retraining check failed: %s", error)

    threading.Thread(target=loop, name="nightly-retraining", daemon=True).start()
    return stop
