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


def running_stack(tmp_path_factory, name: str):
    """Start Rasa, the action server and the API on free ports with their own SQLite files."""
    from scripts.stack import Ports, Stack

    var_dir = tmp_path_factory.mktemp(name)
    log = (var_dir / "stack.log").open("w")
    stack = Stack(ports=Ports.free(), var_dir=var_dir, log=log, rasa_interface="127.0.0.1").start()
    try:
        stack.wait_until_ready(timeout=240)
        yield stack
    except Exception:
        log.flush()
        print((var_dir / "stack.log").read_text()[-5000:])
        raise
    finally:
        stack.stop()
        log.close()


# The staff API: a fresh handoff database per test, a known bot token and a staff account.
BOT_TOKEN = "test-token-for-the-assistant-0123456789"


@pytest.fixture
def api_settings(tmp_path):
    from api.settings import Settings as ApiSettings

    nowhere = "http://127.0.0.1:9"
    return ApiSettings(
        rasa_url=nowhere,
        action_server_url=nowhere,
        public_rasa_url=nowhere,
        handoffs_db=tmp_path / "handoffs.db",
        bot_token=BOT_TOKEN,
        session_secret_file=tmp_path / "session_secret",
        rasa_tracker_db=tmp_path / "rasa_tracker.db",
    )


@pytest.fixture
def api(api_settings):
    """A TestClient on the API, with its settings (and so its database) overridden."""
    from fastapi.testclient import TestClient

    from api.main import app
    from api.settings import get_settings

    app.dependency_overrides[get_settings] = lambda: api_settings
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def bot():
    return {"Authorization": f"Bearer {BOT_TOKEN}"}


@pytest.fixture
def staff(api_settings):
    """A staff account, as (username, password): pass it as `auth=` for HTTP Basic."""
    from api import store
    from api.auth import hash_password
    from api.db import connect

    with connect(api_settings.handoffs_db) as db:
        store.add_staff(db, username="frontdesk", password_hash=hash_password("correct horse battery"))
    return ("frontdesk", "correct horse battery")
