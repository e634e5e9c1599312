"""Fresh resources for each test: a knowledge base in a temporary folder, our spaCy pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

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


# Every test talks from 127.0.0.1: the per-address chat limit would count them all as one client.
TEST_SETTINGS = {"CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE": "0"}


def running_stack(tmp_path_factory, name: str, *, var_dir: Optional[Path] = None, **settings: str):
    """Start Rasa, the action server and the API on free ports with their own SQLite files (in `var_dir`,
    else a new temporary folder)."""
    from scripts.stack import Ports, Stack

    var_dir = var_dir or tmp_path_factory.mktemp(name)
    log = (var_dir / "stack.log").open("w")
    stack = Stack(
        ports=Ports.free(),
        var_dir=var_dir,
        log=log,
        rasa_interface="127.0.0.1",
        settings={**TEST_SETTINGS, **settings},
    ).start()
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


# A patient's booking over the chat, message by message: the last "yes" sends it to staff.
BOOKING = [
    "I'd like to book an appointment",
    "IMS",
    "Jordan Lee",
    "604 555 0142",
    "weekday mornings",
    "I'm new",
    "lower back pain",
    "yes",
    "yes",
]


def sender_for(label: str, message: str) -> str:
    """A REST sender id of the allowed form for a conversation about `message` (which may hold any text)."""
    import hashlib

    return f"{label}-{hashlib.sha256(message.encode()).hexdigest()[:16]}"


def say(stack, sender, message):
    """One patient message over Rasa's REST channel; the replies, as the channel returns them."""
    import httpx

    response = httpx.post(
        f"{stack.urls['rasa']}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    assert response.status_code == 200
    return response.json()


STAFF_ACCOUNT = ("frontdesk", "a long enough password")


def add_staff_account(stack, account=STAFF_ACCOUNT, *, manager=False):
    """A staff account made the way a clinic makes one: `clinic staff add` with the password on stdin."""
    import os
    import subprocess
    import sys

    import httpx

    clinic = Path(sys.executable).parent / "clinic"
    subprocess.run(
        [str(clinic), "staff", "add", account[0], *(["--manager"] if manager else [])],
        input=account[1] + "\n",
        text=True,
        check=True,
        env={**os.environ, **stack.environment()},
        capture_output=True,
    )
    return httpx.BasicAuth(*account)


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
        rasa_tracker_db=tmp_path / "rasa_tracker.db",
        outbox_db=tmp_path / "outbox.db",
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


@pytest.fixture
def hand_over(api, bot):
    """Hands a booking request from Jordan Lee to staff as the assistant would; `changes` override fields."""

    def hand_over(**changes):
        body = {
            "kind": "booking",
            "name": "Jordan Lee",
            "contact": "604 555 0142",
            "contact_type": "phone",
            "therapy": "ims",
            "preferred_time": "Friday after 3",
            "consent": True,
            "transcript": [{"who": "patient", "text": "I'd like to book IMS"}],
            **changes,
        }
        response = api.post("/api/handoffs", json=body, headers=bot)
        assert response.status_code == 201, response.text
        return response.json()

    return hand_over
