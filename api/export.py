"""Every request as CSV, for the clinic's own records: the same file from `clinic export` and from the
Team page. Formula-safe: patient text that starts like a spreadsheet formula is made plain text."""

from __future__ import annotations

import csv
from typing import IO

from sqlite_utils import Database

from api import store

EXPORT_COLUMNS = [
    "id",
    "reference",
    "kind",
    "status",
    "created_at",
    "updated_at",
    "name",
    "contact",
    "contact_type",
    "therapy",
    "preferred_time",
    "new_patient",
    "reason",
    "question",
    "conversation_id",
    "close_reason",
    "duplicate_of",
    "appointment_at",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(db: Database, out: IO[str]) -> int:
    """Writes the header and every request, oldest first; returns how many requests."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for row in store.all_handoffs(db):
        writer.writerow({column: cell(row[column]) for column in EXPORT_COLUMNS})
        count += 1
    return count


def cell(value: object) -> object:
    # Patient text that starts like a formula would run as one in a spreadsheet: make it plain text.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
