"""The chat widget's server side: the demo page, the widget's files and settings, feedback on answers,
the staff feedback page, CORS for the widget's endpoints, and our socket.io channel's whole replies."""

from __future__ import annotations

import asyncio
import gzip
import re
from typing import Any, Dict, List

import pytest

from api import store
from api.db import connect
from tests.conftest import FAQ_TOPICS, project_file
from tests.test_staff_pages import log_in

WIDGET_BUDGET = 30 * 1024  # the widget's own code, gzipped (socket.io's client aside)
CONVERSATION = "0123456789abcdef0123456789abcdef"


def rating(**changes: Any) -> Dict[str, Any]:
    return {"topic": "needle_pain", "helpful": False, "conversation_id": CONVERSATION, **changes}


def unanswered(question: str, **changes: Any) -> Dict[str, Any]:
    body = {"kind": "unanswered", "topic": "out_of_scope", "helpful": None, "question": question}
    return {"conversation_id": CONVERSATION, **body, **changes}


def test_the_widget_is_at_most_30_kb_gzipped():
    sizes = {
        name: len(gzip.compress(project_file("api", "static", name).read_bytes(), compresslevel=9))
        for name in ("widget.js", "widget.css")
    }
    assert sum(sizes.values()) <= WIDGET_BUDGET, sizes


def test_the_widget_fetches_nothing_from_other_servers():
    code = re.sub(r"/\*.*?\*/", "", project_file("api", "static", "widget.js").read_text(), flags=re.S)
    # Only its own folder (stylesheet, socket.io client), the API and Rasa named on the script tag.
    assert not re.search(r"""["'](https?:)?//""", code)


def test_the_home_page_shows_the_clinic_and_its_answers_and_embeds_the_widget(api, api_settings):
    page = api.get("/")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Harbourview Physio &amp; Acupuncture" in page.text
    assert "What is IMS (intramuscular stimulation)?" in page.text  # from content/faq.yml
    assert "Acupuncture treatment (45 min)" in page.text  # prices from clinic.yml
    assert "Jordan Chen" in page.text  # the team from clinic.yml
    assert "{" not in re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page.text, flags=re.S)  # all filled in
    tag = re.search(r"<script src=\"/static/widget.js\"[^>]*>", page.text).group(0)
    assert f'data-rasa-url="{api_settings.public_rasa_url}"' in tag
    assert 'data-clinic-name="Harbourview Physio &amp; Acupuncture (EXAMPLE)"' in tag
    assert 'data-colour="#0b5d6b"' in tag and " defer" in tag


def test_the_widget_files_are_served(api):
    script = api.get("/static/widget.js")
    style = api.get("/static/widget.css")

    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


def test_the_widget_config_lists_the_faq_topics_and_the_clinic_words(api):
    config = api.get("/api/widget/config").json()

    assert config["faq_topics"] == FAQ_TOPICS
    assert config["privacy_url"] == "https://clinic.example.com/privacy"
    assert "Harbourview" in config["texts"]["privacy"] and "911" in config["texts"]["privacy"]
    assert config["texts"]["asks"]["contact"] == "Phone number or email"


def test_feedback_is_kept_once_per_conversation_and_topic(api, api_settings):
    first = api.post("/api/feedback", json=rating())
    changed_mind = api.post("/api/feedback", json=rating(helpful=True))
    other = api.post("/api/feedback", json=rating(conversation_id="another-conversation-1"))

    assert first.status_code == 201 and first.json() == {
        "kind": "rating",
        "topic": "needle_pain",
        "helpful": False,
        "question": None,
    }
    assert changed_mind.status_code == 200 and other.status_code == 201
    with connect(api_settings.handoffs_db) as db:
        assert store.feedback_by_topic(db) == [{"topic": "needle_pain", "unhelpful": 1, "helpful": 1}]


def test_an_unanswered_question_is_kept_without_emails_or_phone_numbers(api):
    response = api.post(
        "/api/feedback",
        json=unanswered("Can you call me at 604 555-0142 or write to jo.lee@example.com about cupping?"),
    )

    assert response.status_code == 201
    assert response.json()["question"] == "Can you call me at [number] or write to [email] about cupping?"


@pytest.mark.parametrize(
    "body, field",
    [
        (rating(topic="not_a_topic"), "topic"),
        (rating(topic="<script>"), "topic"),
        (rating(helpful=None), "body"),
        (rating(helpful="yes"), "helpful"),
        (rating(conversation_id="x"), "conversation_id"),
        (rating(name="Jordan Lee"), "name"),
        (unanswered(""), "body"),
        (unanswered("what about cupping?", helpful=True), "body"),
        (unanswered("what about cupping?", topic="needle_pain"), "body"),
        (unanswered("x" * 501), "question"),
    ],
)
def test_feedback_that_is_not_one_of_ours_is_refused_field_by_field(api, body, field):
    response = api.post("/api/feedback", json=body)

    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["detail"]] == [field]


def test_one_conversation_cannot_flood_the_feedback(api, api_settings, monkeypatch):
    monkeypatch.setattr(store, "FEEDBACK_PER_CONVERSATION", 3)
    answers = [api.post("/api/feedback", json=rating(topic=topic)).status_code for topic in FAQ_TOPICS[:4]]

    assert answers == [201, 201, 201, 429]
    assert api.post("/api/feedback", json=rating(topic=FAQ_TOPICS[0])).status_code == 200  # a change is fine


def test_the_staff_feedback_page_needs_a_login_and_puts_the_least_helpful_first(api, staff):
    assert api.get("/staff/feedback", follow_redirects=False).status_code == 303
    for n in range(3):
        api.post("/api/feedback", json=rating(topic="needle_fear", conversation_id=f"conversation-{n:04}"))
    api.post("/api/feedback", json=rating(topic="cost_insurance", conversation_id="conversation-9999"))
    api.post("/api/feedback", json=rating(topic="evidence", helpful=True))
    for n in range(2):
        api.post("/api/feedback", json=unanswered("Do you do cupping?", conversation_id=f"asker-{n:04}"))
    api.post("/api/feedback", json=unanswered("<b>parking</b>?"))
    log_in(api, staff)

    page = api.get("/staff/feedback")
    inbox = api.get("/staff")

    assert page.status_code == 200
    text = page.text
    assert text.index("What if I&#39;m afraid of needles?") < text.index("How much does it cost?")
    assert text.index("How much does it cost?") < text.index("Does it really work?")
    assert text.index("Do you do cupping?") < text.index("&lt;b&gt;parking&lt;/b&gt;?")
    assert '<rect width="100.0"' in text  # the longest bar of each chart
    assert 'href="/staff/feedback"' in inbox.text


@pytest.mark.parametrize(
    "origin, allowed", [("https://clinic.example.com", True), ("https://elsewhere.example", False)]
)
def test_only_the_clinic_site_may_call_the_widget_endpoints_from_another_origin(
    api, api_settings, origin, allowed
):
    from dataclasses import replace

    from api.main import app
    from api.settings import get_settings

    app.dependency_overrides[get_settings] = lambda: replace(
        api_settings, allowed_origins=("https://clinic.example.com",)
    )
    preflight = api.options(
        "/api/feedback",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    config = api.get("/api/widget/config", headers={"Origin": origin})
    staff_api = api.get("/api/handoffs", headers={"Origin": origin})

    assert (preflight.headers.get("access-control-allow-origin") == origin) is allowed
    assert (config.headers.get("access-control-allow-origin") == origin) is allowed
    assert "access-control-allow-origin" not in staff_api.headers


def test_the_purge_also_deletes_old_feedback(api_settings):
    with connect(api_settings.handoffs_db) as db:
        db.table("feedback").insert(
            {
                "at": "2020-01-01T00:00:00+00:00",
                "kind": "rating",
                "topic": "needle_pain",
                "helpful": False,
                "conversation_id": CONVERSATION,
                "once_key": "old",
            }
        )
        assert store.purge_feedback(db, before="2021-01-01T00:00:00+00:00") == 1


class FakeSocketServer:
    def __init__(self) -> None:
        self.emitted: List[Any] = []

    async def emit(self, event: str, data: Any = None, room: Any = None, **kwargs: Any) -> None:
        self.emitted.append((event, data, room))


def test_the_socketio_channel_emits_each_reply_whole_in_the_stock_shape_with_our_metadata():
    from bot.channels import WholeReplySocketIOOutput

    sio = FakeSocketServer()
    output = WholeReplySocketIOOutput(sio, "bot_uttered")  # type: ignore[arg-type]
    reply = {
        "text": "Most people feel little discomfort.\n\nTell your practitioner.",
        "buttons": [{"title": "What if I'm afraid of needles?", "payload": "/needle_fear"}],
        "custom": {"topic": "needle_pain", "sources": [{"name": "clinic_page", "url": "https://x.example"}]},
    }

    asyncio.run(output.send_response("session-1", dict(reply)))

    assert sio.emitted == [
        (
            "bot_uttered",
            {
                "text": reply["text"],
                "metadata": reply["custom"],
                "quick_replies": [
                    {
                        "content_type": "text",
                        "title": "What if I'm afraid of needles?",
                        "payload": "/needle_fear",
                    }
                ],
            },
            "session-1",
        )
    ]


@pytest.mark.parametrize(
    "value, origins",
    [
        (None, []),
        ("", []),
        ("http://localhost:8000", ["http://localhost:8000"]),
        ("https://a.example/, https://b.example", ["https://a.example", "https://b.example"]),
    ],
)
def test_allowed_origins_are_read_from_spaces_or_commas(value, origins):
    from clinic.settings import origins as read_origins

    env = {} if value is None else {"CLINIC_ALLOWED_ORIGINS": value}
    assert list(read_origins(env)) == origins
