"""The clinic's words for its web page and chat widget: clinic.yml, content/faq.yml and content/site.yml.

Read when asked (and again only when a file changes), never at import time, through the shared core's
loader (clinic/), so a broken clinic.yml fails here with the same fix-it message as in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Tuple

from api.settings import Settings
from clinic.content import ContentError, content_file
from clinic.facts import fill, fill_all, load_clinic, placeholders
from clinic.settings import ClinicFiles

SITE_FILE = "site.yml"
FAQ_FILE = "faq.yml"


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


def _mtimes(settings: Settings) -> Tuple[int, ...]:
    paths = [settings.clinic_config, settings.content_dir / FAQ_FILE, settings.content_dir / SITE_FILE]
    return tuple(path.stat().st_mtime_ns if path.exists() else 0 for path in paths)


def site_content(settings: Settings) -> SiteContent:
    """The content as it is on disk now (re-read only when a file changed)."""
    return _load(settings.files, _mtimes(settings))


@lru_cache(maxsize=4)
def _load(files: ClinicFiles, mtimes: Tuple[int, ...]) -> SiteContent:
    clinic = load_clinic(files.clinic_config)
    values = placeholders(clinic)
    faq = content_file(files, FAQ_FILE)
    site = content_file(files, SITE_FILE)
    try:
        topics = {
            t["id"]: Topic(t["id"], t["title"], t["question"], fill(t["answer"], values))
            for t in faq["topics"]
        }
    except (KeyError, TypeError) as error:
        raise ContentError(
            f"{files.content_dir / FAQ_FILE}: every topic needs id, title, question and answer ({error} is missing)"
        ) from None
    return SiteContent(
        clinic=clinic,
        topics=topics,
        page=fill_all(site.get("page") or {}, values),
        widget=fill_all(site.get("widget") or {}, values),
    )
