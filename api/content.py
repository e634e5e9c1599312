"""The clinic's words for its web page and chat widget: clinic.yml, content/faq.yml and content/site.yml.

Read when asked (and again only when a file changes), never at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml

from api.settings import Settings

SITE_FILE = "site.yml"
FAQ_FILE = "faq.yml"


class ContentError(Exception):
    """A content file is missing or incomplete; the message says which and how to fix it."""


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    question: str
    answer: str


@dataclass(frozen=True)
class SiteContent:
    clinic: Dict[str, Any]
    topics: Dict[str, Topic]
    page: Dict[str, Any]
    widget: Dict[str, Any]

    @property
    def faq_topics(self) -> List[str]:
        """Every FAQ topic id: replies carrying one of these get "Was this helpful?"."""
        return list(self.topics)

    def sections(self) -> List[Dict[str, Any]]:
        """The page's sections with their answers, in order."""
        return [
            {**section, "topics": [self.topics[t] for t in section.get("topics", []) if t in self.topics]}
            for section in self.page.get("sections", [])
        ]


class _Keep(dict):
    """Placeholders for str.format_map that leave unknown ones ({area}) as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _values(clinic: Dict[str, Any]) -> Dict[str, str]:
    sources = clinic.get("sources") or {}
    return {
        "clinic_name": str(clinic.get("name", "")),
        "phone": str(clinic.get("phone", "")),
        "email": str(clinic.get("email", "")),
        "address": str(clinic.get("address", "")),
        "website": str(clinic.get("website", "")),
        "hours": "; ".join(f"{h['days']}: {h['time']}" for h in clinic.get("hours") or []),
        "prices": "; ".join(f"{p['service']}: {p['price']}" for p in clinic.get("prices") or []),
        "prices_note": str(clinic.get("prices_note", "")),
        "insurance": str(clinic.get("insurance", "")),
        "referral": str(clinic.get("referral", "")),
        "cancellation": str(clinic.get("cancellation", "")),
        "booking": str(clinic.get("booking", "")),
        "practitioners": "; ".join(
            f"{p['name']}, {p['role']} ({p['credentials']})" for p in clinic.get("practitioners") or []
        ),
        "clinic_page": str(sources.get("clinic_page", clinic.get("website", ""))),
        "ims_website": str(sources.get("ims_website", "")),
        "acupuncture_canada": str(sources.get("acupuncture_canada", "")),
        "privacy_notice": str(clinic.get("privacy_notice", "")),
        "emergency_number": str(clinic.get("emergency_number", "911")),
        "crisis_line": str(clinic.get("crisis_line", "988")),
    }


def _fill(value: Any, values: Dict[str, str]) -> Any:
    """Fills placeholders in every string of a YAML value, one line each."""
    if isinstance(value, str):
        return " ".join(value.format_map(_Keep(values)).split())
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


def _read(path: Path) -> Any:
    if not path.exists():
        raise ContentError(f"{path} not found: restore it from the repository and edit it there.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path} is not valid YAML ({error}): fix it, then reload the page.") from None


def _mtimes(settings: Settings) -> Tuple[float, ...]:
    paths = [settings.clinic_config, settings.content_dir / FAQ_FILE, settings.content_dir / SITE_FILE]
    return tuple(path.stat().st_mtime if path.exists() else 0.0 for path in paths)


def site_content(settings: Settings) -> SiteContent:
    """The content as it is on disk now (re-read only when a file changed)."""
    return _load(settings.clinic_config, settings.content_dir, _mtimes(settings))


@lru_cache(maxsize=4)
def _load(clinic_path: Path, content_dir: Path, mtimes: Tuple[float, ...]) -> SiteContent:
    clinic = _read(clinic_path)
    values = _values(clinic)
    faq = _read(content_dir / FAQ_FILE)
    site = _read(content_dir / SITE_FILE)
    try:
        topics = {
            t["id"]: Topic(t["id"], t["title"], t["question"], _fill(t["answer"], values))
            for t in faq["topics"]
        }
    except (KeyError, TypeError) as error:
        raise ContentError(
            f"{content_dir / FAQ_FILE}: every topic needs id, title, question and answer ({error} is missing)"
        ) from None
    return SiteContent(
        clinic=clinic,
        topics=topics,
        page=_fill(site.get("page") or {}, values),
        widget=_fill(site.get("widget") or {}, values),
    )
