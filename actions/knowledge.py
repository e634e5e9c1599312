"""The vetted knowledge base: content/faq.yml rendered with clinic.yml, kept in SQLite with full-text search.

The database is derived data: it is rebuilt whenever the content or the clinic's configuration is
newer than it, so a clinic edits YAML and never touches SQLite.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlite_utils

from actions.settings import Settings, settings
from clinic.content import content_file
from clinic.facts import fill, load_clinic, placeholders

FAQ_FILE = "faq.yml"
# Words too common to say what a question is about.
STOPWORDS = set(
    "the and for are but not you your can how what why when who does did will would could should "
    "with this that have has had its it's was were there their they them then than from into about "
    "just like get got any all our out very really much many some".split()
)


class UnknownTopic(KeyError):
    """No answer in the knowledge base has this topic id."""


@dataclass(frozen=True)
class Answer:
    topic: str
    title: str
    question: str
    text: str
    about: Optional[str]
    follow_ups: List[str]
    sources: List[Dict[str, str]]

    def for_area(self, area: Optional[str]) -> str:
        """The answer, told about the body area or condition the patient named when we have such a text."""
        if area and self.about:
            return self.about.replace("{area}", area)
        return self.text


def build(config: Settings) -> Path:
    """Render the content with the clinic's facts into a fresh SQLite file (atomically replaced)."""
    clinic = load_clinic(config.clinic_config)
    values = placeholders(clinic)
    topics = content_file(config.files, FAQ_FILE)["topics"]
    rows = [
        {
            "id": t["id"],
            "title": t["title"],
            "question": t["question"],
            "answer": fill(t["answer"], values),
            "about": fill(t["about"], values) if t.get("about") else None,
            "follow_ups": json.dumps(t.get("follow_ups", [])),
            "sources": json.dumps(
                [
                    {"name": s, "url": clinic["sources"][s]}
                    for s in t.get("sources", [])
                    if s in clinic["sources"]
                ]
            ),
        }
        for t in topics
    ]
    config.knowledge_db.parent.mkdir(parents=True, exist_ok=True)
    fresh = config.knowledge_db.with_suffix(".building")
    fresh.unlink(missing_ok=True)
    db = sqlite_utils.Database(fresh)
    answers = db.table("answers")
    answers.insert_all(rows, pk="id")
    answers.enable_fts(["title", "question", "answer"], tokenize="porter")
    db.close()
    os.replace(fresh, config.knowledge_db)
    return config.knowledge_db


def _is_stale(config: Settings) -> bool:
    if not config.knowledge_db.exists():
        return True
    built = config.knowledge_db.stat().st_mtime
    sources = [config.clinic_config, *config.content_dir.glob("*.yml")]
    return any(path.stat().st_mtime > built for path in sources)


class KnowledgeBase:
    """Read access to the answers."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite_utils.Database(path)  # opened read-mostly; rows are tiny
        self._answers = {row["id"]: self._answer(row) for row in self.db["answers"].rows}

    @staticmethod
    def _answer(row: Dict[str, Any]) -> Answer:
        return Answer(
            topic=row["id"],
            title=row["title"],
            question=row["question"],
            text=row["answer"],
            about=row["about"],
            follow_ups=json.loads(row["follow_ups"]),
            sources=json.loads(row["sources"]),
        )

    @property
    def topics(self) -> List[str]:
        return list(self._answers)

    def __contains__(self, topic: object) -> bool:
        return topic in self._answers

    def answer(self, topic: str) -> Answer:
        try:
            return self._answers[topic]
        except KeyError:
            raise UnknownTopic(topic) from None

    def search(self, text: str, limit: int = 3) -> List[str]:
        """Topic ids whose answers best match the words of `text` (full-text search)."""
        words = " OR ".join(
            w
            for w in "".join(c if c.isalnum() else " " for c in text.lower()).split()
            if len(w) > 2 and w not in STOPWORDS
        )
        if not words:
            return []
        rows = self.db.query(
            "select answers.id from answers join answers_fts on answers.rowid = answers_fts.rowid "
            "where answers_fts match :q order by answers_fts.rank limit :limit",
            {"q": words, "limit": limit},
        )
        return [row["id"] for row in rows]


@lru_cache(maxsize=1)
def _open(path: Path, mtime: float) -> KnowledgeBase:
    return KnowledgeBase(path)


def knowledge_base(config: Optional[Settings] = None) -> KnowledgeBase:
    """The knowledge base, rebuilt first if the content changed since it was built."""
    config = config or settings()
    if _is_stale(config):
        build(config)
    return _open(config.knowledge_db, config.knowledge_db.stat().st_mtime)


if __name__ == "__main__":
    print(f"knowledge base written to {build(settings())}")
