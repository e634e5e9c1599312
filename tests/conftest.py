"""Fresh resources for each test: a knowledge base in a temporary folder, our spaCy pipeline."""

from __future__ import annotations

import shutil
from http.server import SimpleHTTPRequestHandler
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


def run_clinic(environment, *args: str, stdin: Optional[str] = None):
    """The `clinic` command as staff run it, with `environment` on top of this process's; its result."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [str(Path(sys.executable).parent / "clinic"), *args],
        input=stdin,
        text=True,
        env={**os.environ, **environment},
        capture_output=True,
    )


def add_staff_account(stack, account=STAFF_ACCOUNT, *, manager=False):
    """A staff account made the way a clinic makes one: `clinic staff add` with the password on stdin."""
    import httpx

    done = run_clinic(
        stack.environment(),
        "staff",
        "add",
        account[0],
        *(["--manager"] if manager else []),
        stdin=account[1] + "\n",
    )
    done.check_returncode()
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


def book(target, sender, messages=BOOKING):
    """The booking (or the given part of it) from one patient; the last message's replies."""
    for message in messages:
        replies = say(target, sender, message)
    return replies


def turns_of(rows):
    """(patient's text, topic of the answer that followed) for each turn, from the tracker store's
    (type_name, data) rows of one conversation's user and bot events, oldest first."""
    import json

    turns = []
    for kind, data in rows:
        event = json.loads(data)
        if kind == "user":
            turns.append([event["text"], None])
        elif turns and turns[-1][1] is None:
            turns[-1][1] = ((event.get("data") or {}).get("custom") or {}).get("topic")
    return [tuple(turn) for turn in turns]


def waiting_in_outbox(outbox_db: Path) -> int:
    """Requests an action server's outbox holds that the API has not yet received."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(outbox_db)) as db:
        return db.execute("select count(*) from outbox where delivered_at is null").fetchone()[0]


def wait_until(condition, timeout=90.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(1)


def requests_by_conversation(stack, staff):
    """How many requests the staff API holds from each conversation."""
    from collections import Counter

    import httpx

    counts: Counter = Counter()
    page = 1
    while True:
        response = httpx.get(
            f"{stack.urls['api']}/api/handoffs", params={"page": page, "per_page": 100}, auth=staff
        )
        items = response.json()["items"]
        counts.update(item["conversation_id"] for item in items)
        if len(items) < 100:
            return counts
        page += 1


# The questions each simulated patient asks in turn, and the topic each answer must carry.
QUESTIONS = [
    ("does dry needling hurt?", "needle_pain"),
    ("how many sessions will i need", "session_count"),
    ("how much does a session cost", "cost_insurance"),
    ("is acupuncture safe? any side effects", "needle_safety"),
    ("what's acupuncture", "acu_what_is"),
    ("how long do the needles stay in", "session_what_to_expect"),
]


async def patient(client, url, sender, start, until):
    """Asks QUESTIONS in turn (from `start`) until `until`; returns what it asked, in order."""
    import time

    asked = []
    while time.monotonic() < until:
        question, topic = QUESTIONS[(start + len(asked)) % len(QUESTIONS)]
        response = await client.post(url, json={"sender": sender, "message": question})
        assert response.status_code == 200, response.text
        assert [reply["custom"]["topic"] for reply in response.json()] == [topic], (sender, question)
        asked.append((question, topic))
    return asked


# Browsers: Debian's Chromium, driven by Playwright (never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 30_000  # ms: a reply goes through Rasa and the action server on a busy 2-core machine


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def page_at(browser, base_url):
    """A page in a new browser profile at `base_url`; the page's script errors gather in `page.errors`."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


# rasa-webchat 1.0.1's standalone bundle: `make test` and `make test-scaled` fetch it (Makefile).
WEBCHAT = project_file("build", "webchat", "rasa-webchat-1.0.1.js")


class QuietFiles(SimpleHTTPRequestHandler):
    """http.server's file handler, without its log lines."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A clinic's own web site: a static server on its own port, serving rasa-webchat's bundle (and the
    page a test writes into its folder)."""
    import functools
    import threading
    from http.server import ThreadingHTTPServer

    from scripts.stack import free_port

    assert WEBCHAT.exists(), f"{WEBCHAT} is missing: `make test` and `make test-scaled` fetch it"
    folder = tmp_path_factory.mktemp("clinic-site")
    shutil.copy(WEBCHAT, folder / "rasa-webchat.js")
    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(QuietFiles, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield folder, f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
