"""The clinic's facts from clinic.yml, and the placeholders answers and pages use ({phone}, {hours}, ...).

One loader and one validation for every process: a missing or incomplete clinic.yml fails with a
message saying what to fix, wherever it is read first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from clinic.settings import ConfigurationError
from clinic.yaml_files import read_yaml

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
DEFAULT_RETENTION_DAYS = 90


class ClinicConfigError(ConfigurationError):
    """clinic.yml is missing, not YAML, or incomplete."""


def load_clinic(path: Path) -> Dict[str, Any]:
    """The parsed and checked clinic.yml (parsed again only when the file changes: every answer asks
    which therapies are offered)."""
    clinic = read_yaml(
        path, error=ClinicConfigError, if_missing="copy clinic.yml from the repository and edit it"
    )
    if not isinstance(clinic, dict):
        raise ClinicConfigError(f"{path} must be a mapping of settings (see the example clinic.yml).")
    missing = [key for key in REQUIRED if not clinic.get(key)]
    if missing:
        raise ClinicConfigError(f"{path} lacks {', '.join(missing)}: add them (see the example clinic.yml).")
    return clinic


def retention_days(clinic: Dict[str, Any], path: Path) -> Optional[int]:
    """How many days patients' data is kept, when clinic.yml says (retention_days); None when it doesn't."""
    days = clinic.get("retention_days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ClinicConfigError(
            f"retention_days in {path} is {days!r}: make it a whole number of days, like 90."
        )
    return days


def _join(items: List[str]) -> str:
    return "; ".join(items)


def placeholders(clinic: Dict[str, Any]) -> Dict[str, str]:
    """Every {placeholder} an answer, reply or page may use, as plain one-line text."""
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
        "nurse_line": str(clinic.get("nurse_line", "811")),
    }


class _Keep(dict):
    """Placeholders for str.format_map that leave unknown ones ({area}) for a later pass."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: Dict[str, str]) -> str:
    """The template with its placeholders filled, on one line."""
    return " ".join(template.format_map(_Keep(values)).split())


def fill_all(value: Any, values: Dict[str, str]) -> Any:
    """Fills placeholders in every string of a YAML value (lists and mappings too)."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [fill_all(item, values) for item in value]
    if isinstance(value, dict):
        return {key: fill_all(item, values) for key, item in value.items()}
    return value
