"""The clinic's facts from clinic.yml, as the placeholders answers use ({phone}, {hours}, ...)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

REQUIRED = (
    "name",
    "phone",
    "email",
    "address",
    "hours",
    "prices",
    "insurance",
    "referral",
    "cancellation",
    "booking",
    "practitioners",
    "therapies_offered",
    "sources",
)


class ClinicConfigError(Exception):
    """clinic.yml is missing or incomplete."""


def load_clinic(path: Path) -> Dict[str, Any]:
    """The parsed clinic.yml, failing with a message that says what to fix.

    Read again only when the file changes: every answer asks which therapies are offered.
    """
    if not path.exists():
        raise ClinicConfigError(f"{path} not found: copy clinic.yml from the repository and edit it.")
    return _parsed(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _parsed(path: Path, mtime_ns: int) -> Dict[str, Any]:
    clinic = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [key for key in REQUIRED if not clinic.get(key)]
    if missing:
        raise ClinicConfigError(f"{path} lacks {', '.join(missing)}: add them (see the example clinic.yml).")
    return clinic


def _join(items: List[str]) -> str:
    return "; ".join(items)


def placeholders(clinic: Dict[str, Any]) -> Dict[str, str]:
    """Every {placeholder} an answer or reply may use, as plain one-line text."""
    sources = clinic["sources"]
    return {
        "clinic_name": clinic["name"],
        "phone": clinic["phone"],
        "email": clinic["email"],
        "address": clinic["address"],
        "website": clinic.get("website", ""),
        "hours": _join([f"{h['days']}: {h['time']}" for h in clinic["hours"]]),
        "prices": _join([f"{p['service']}: {p['price']}" for p in clinic["prices"]]),
        "prices_note": clinic.get("prices_note", ""),
        "insurance": clinic["insurance"],
        "referral": clinic["referral"],
        "cancellation": clinic["cancellation"],
        "booking": clinic["booking"],
        "practitioners": _join(
            [f"{p['name']}, {p['role']} ({p['credentials']})" for p in clinic["practitioners"]]
        ),
        "clinic_page": sources.get("clinic_page", clinic.get("website", "")),
        "ims_website": sources.get("ims_website", ""),
        "acupuncture_canada": sources.get("acupuncture_canada", ""),
        "privacy_notice": clinic.get("privacy_notice", ""),
        "emergency_number": str(clinic.get("emergency_number", "911")),
        "crisis_line": str(clinic.get("crisis_line", "988")),
    }


class Fill(dict):
    """Placeholders for str.format_map that leave unknown ones ({area}) for a later pass."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: Dict[str, str]) -> str:
    return " ".join(template.format_map(Fill(values)).split())
