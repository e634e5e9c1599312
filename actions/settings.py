"""Where the action server finds the clinic's files. Environment variables override the defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    clinic_config: Path
    content_dir: Path
    knowledge_db: Path


def settings() -> Settings:
    """Read now, not at import, so tests can point the action server at their own files."""
    return Settings(
        clinic_config=Path(os.environ.get("CLINIC_CONFIG", PROJECT / "clinic.yml")),
        content_dir=Path(os.environ.get("CLINIC_CONTENT_DIR", PROJECT / "content")),
        knowledge_db=Path(os.environ.get("CLINIC_KNOWLEDGE_DB", PROJECT / "var" / "knowledge.db")),
    )
