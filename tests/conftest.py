"""Fresh resources for each test: a knowledge base in a temporary folder, our spaCy pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from actions.settings import PROJECT, Settings

FAQ_TOPICS = [  # fixed by topics.md: every reply to an FAQ carries one of these ids
    "ims_what_is",
    "ims_how_it_works",
    "ims_conditions",
    "ims_vs_acupuncture",
    "ims_assessment",
    "acu_what_is",
    "acu_qi_meridians",
    "acu_how_it_works",
    "acu_benefits",
    "acu_conditions",
    "needle_pain",
    "needle_safety",
    "needle_type",
    "session_what_to_expect",
    "session_count",
    "needle_free_alternatives",
    "needle_placement",
    "practitioner",
    "needle_fear",
    "contraindications",
    "preparation_aftercare",
    "cost_insurance",
    "booking",
    "evidence",
    "more_info",
]


@pytest.fixture(scope="session")
def nlp():
    from bot.pipeline import build

    return build()


@pytest.fixture
def clinic_files(tmp_path, monkeypatch) -> Settings:
    """A copy of clinic.yml and content/ that a test may edit, and a fresh knowledge-base path."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    clinic = tmp_path / "clinic.yml"
    shutil.copy(PROJECT / "clinic.yml", clinic)
    db = tmp_path / "knowledge.db"
    monkeypatch.setenv("CLINIC_CONFIG", str(clinic))
    monkeypatch.setenv("CLINIC_CONTENT_DIR", str(content))
    monkeypatch.setenv("CLINIC_KNOWLEDGE_DB", str(db))
    return Settings(clinic_config=clinic, content_dir=content, knowledge_db=db)


@pytest.fixture
def kb(clinic_files):
    from actions.knowledge import knowledge_base

    return knowledge_base(clinic_files)


def project_file(*parts: str) -> Path:
    return PROJECT.joinpath(*parts)
