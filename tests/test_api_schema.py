"""Schemathesis against our OpenAPI schema: every operation, with generated valid and invalid data, sent
anonymously, as the assistant (bearer token) and as staff (HTTP Basic). No answer may be a server error,
an undocumented status code or a body that breaks its documented schema.

Malformed JSON, wrong types, unknown fields and over-long strings are also spelled out below, next to
the ones tests/test_handoffs_api.py already has (they are named there, not repeated here).

In-process through the ASGI app, on a fresh database per test. Deterministic (the same cases every run);
raise the number of generated cases per operation with SCHEMA_FUZZ_EXAMPLES=500 to dig deeper.
"""

from __future__ import annotations

import base64
import collections
import json
import os
from dataclasses import replace
from typing import Any, Counter, Dict, Iterator, Tuple

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

import api.limits
from api import store
from api.db import connect
from api.main import app
from api.models import HandoffCreate
from api.settings import Settings, get_settings
from tests.conftest import BOT_TOKEN

STAFF = ("frontdesk", "correct horse battery")  # the account the `staff` fixture makes
MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "30"))


def _schema(**auth: Any) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
    )
    # A body over 64 KB is refused before it is read: 413 is a rejection too.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    schema.config.update(**auth)
    return schema


# The credentials are part of each generated case, so schemathesis knows them for what they are: its
# auth checks then also try each operation without them and with made-up ones.
anonymous = _schema()
as_assistant = _schema(headers={"Authorization": f"Bearer {BOT_TOKEN}"})
as_staff = _schema(basic_auth=STAFF)

# Cases sent, by (who, operation, status): `pytest -v` prints the totals.
SENT: Counter[Tuple[str, str, int]] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not SENT or request.config.getoption("verbose") < 1:
        return
    operations = {operation for _, operation, _ in SENT}
    identities: Counter[str] = collections.Counter()
    statuses: Counter[int] = collections.Counter()
    for (who, _, status), count in SENT.items():
        identities[who] += count
        statuses[status] += count
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(
            f"\nschemathesis: {len(operations)} operations, {sum(SENT.values())} cases {dict(identities)} "
            f"(up to {MAX_EXAMPLES} generated per operation and identity, plus explicit and coverage cases); "
            f"statuses: {dict(sorted(statuses.items()))}"
        )


def _prepare(api_settings: Settings, *, rate_limits: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app on this test's database, with a staff account and three requests to read and change.

    Without rate limits the cases reach the code behind them instead of a 429; the anonymous test keeps
    them, as anyone on the internet meets them.
    """
    if not rate_limits:
        api_settings = replace(api_settings, handoff_limit_per_minute=0)
        monkeypatch.setattr(api.limits, "FAILED_LOGINS_PER_ACCOUNT", 0)
        monkeypatch.setattr(api.limits, "FAILED_LOGINS_PER_CLIENT", 0)
    with connect(api_settings.handoffs_db) as db:
        for name in ("Ada Lovelace", "Sam Park", "Jordan Lee"):
            handoff = HandoffCreate(
                kind="question",
                name=name,
                contact_type="email",
                contact="patient@example.com",
                question="Is IMS safe for me?",
                consent=True,
            )
            store.create_handoff(db, handoff=handoff)
    app.dependency_overrides[get_settings] = lambda: api_settings
    try:
        yield
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def limited(api_settings, staff, monkeypatch) -> Iterator[None]:
    assert staff == STAFF
    yield from _prepare(api_settings, rate_limits=True, monkeypatch=monkeypatch)


@pytest.fixture
def unlimited(api_settings, staff, monkeypatch) -> Iterator[None]:
    assert staff == STAFF
    yield from _prepare(api_settings, rate_limits=False, monkeypatch=monkeypatch)


def _check(case: schemathesis.Case, who: str) -> None:
    # Not checked: "valid data is accepted". Some rules span fields and are not in the schema (a booking
    # names a therapy, an email contact looks like an email, consent is true, a change changes something),
    # and data breaking them rightly gets a 422 naming the field.
    excluded = [positive_data_acceptance]
    if case.operation.path == "/healthz":
        excluded.append(not_a_server_error)  # here a 503 is the answer, documented: "a part is down"
    response = case.call_and_validate(excluded_checks=excluded)
    SENT[(who, case.operation.label, response.status_code)] += 1
    if case.operation.path == "/healthz":
        assert response.status_code < 500 or response.status_code == 503


# One database per operation and identity, shared by its cases (requests pile up: that is fine).
shared_fixture = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@anonymous.parametrize()
@shared_fixture
def test_anonymous_requests_get_no_server_error_and_match_the_schema(case, limited):
    _check(case, "anonymous")


@as_assistant.parametrize()
@shared_fixture
def test_requests_with_the_assistant_token_get_no_server_error_and_match_the_schema(case, unlimited):
    _check(case, "assistant")


@as_staff.parametrize()
@shared_fixture
def test_requests_as_staff_get_no_server_error_and_match_the_schema(case, unlimited):
    _check(case, "staff")


# Bad input, written out. Already in tests/test_handoffs_api.py, so not repeated here:
# - malformed JSON: test_malformed_json_is_a_422_too
# - a body that is not an object: test_a_body_that_is_not_an_object_is_a_422
# - unknown fields, wrong enum values, over-long strings, wrong booleans (POST and PATCH):
#   test_bad_requests_get_422_naming_the_field_in_words_a_person_understands, test_bad_changes_are_422
# - bodies over 64 KB, announced or streamed: test_a_body_over_64_kb_is_413,
#   test_a_streamed_body_over_64_kb_without_a_length_is_413_too
# - bad list parameters: test_bad_list_parameters_are_422
# - bad feedback (tests/test_widget.py): test_feedback_that_is_not_one_of_ours_is_refused_field_by_field

BOOKING: Dict[str, Any] = {
    "kind": "booking",
    "name": "Jordan Lee",
    "contact": "604 555 0142",
    "contact_type": "phone",
    "therapy": "acupuncture",
    "consent": True,
}
FEEDBACK: Dict[str, Any] = {
    "kind": "rating",
    "topic": "needle_pain",
    "helpful": True,
    "conversation_id": "conv-12345678",
}


def _basic(username: str, password: str) -> Dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def _send(api, method: str, path: str, body: Any, headers: Dict[str, str]) -> Any:
    """JSON as json.dumps writes it: a lone surrogate or a null character goes as a \\u escape."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.request(method, path, content=content, headers={**headers, "Content-Type": "application/json"})


NOT_TEXT = "This has characters that are not text (a null character or broken Unicode)"


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("POST", "/api/handoffs", {**BOOKING, "name": "Jordan \ud800 Lee"}, "name"),  # was a 500
        ("POST", "/api/handoffs", {**BOOKING, "reason": "sore \udfff shoulder"}, "reason"),  # was a 500
        ("POST", "/api/handoffs", {**BOOKING, "name": "Jordan \x00 Lee"}, "name"),  # was stored
        (
            "POST",
            "/api/handoffs",
            {**BOOKING, "transcript": [{"who": "patient", "text": "\ud83d"}]},
            "transcript.0.text",
        ),
        ("PATCH", "/api/handoffs/1", {"note": "called \ud83d back"}, "note"),  # was a 500
        (
            "POST",
            "/api/feedback",
            {
                **FEEDBACK,
                "kind": "unanswered",
                "topic": "clarify",
                "helpful": None,
                "question": "why \udc00?",
            },
            "question",
        ),  # was a 500
    ],
)
def test_text_that_is_not_text_is_a_422_not_a_server_error(api, bot, staff, method, path, body, field):
    _send(api, "POST", "/api/handoffs", BOOKING, bot)
    headers = _basic(*staff) if method == "PATCH" else bot

    response = _send(api, method, path, body, headers)

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": field, "message": NOT_TEXT}]


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/handoffs", {**BOOKING, "name": 12345}, "name"),  # was stored as "12345"
        ("/api/handoffs", {**BOOKING, "contact": 6045550142}, "contact"),
        ("/api/handoffs", {**BOOKING, "reason": True}, "reason"),  # was stored as "True"
        ("/api/handoffs", {**BOOKING, "transcript": [{"who": "patient", "text": 1.5}]}, "transcript.0.text"),
        ("/api/feedback", {**FEEDBACK, "kind": "unanswered", "helpful": None, "question": 42}, "question"),
    ],
)
def test_a_number_or_boolean_where_text_belongs_is_a_422(api, bot, path, body, field):
    response = api.post(path, json=body, headers=bot)

    assert response.status_code == 422
    assert {"field": field, "message": "Must be text"} in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b'{"name": "Jordan \xe9"}', b"[" * 5000 + b"]" * 5000],
    ids=["not UTF-8", "nested deeper than Python recurses"],
)
def test_a_body_that_cannot_be_decoded_at_all_is_the_same_422_as_malformed_json(api, bot, body):
    response = _send(api, "POST", "/api/handoffs", body, bot)

    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "body", "message": "The request body is not valid JSON"}]}


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize(
    "handoff_id, message",
    [("99999999999999999999", "Must be 9223372036854775807 or less"), ("0", "Must be 1 or more")],
)
def test_an_id_sqlite_cannot_hold_is_a_422(api, staff, method, handoff_id, message):  # was a 500
    response = _send(api, method, f"/api/handoffs/{handoff_id}", {"note": "x"}, _basic(*staff))

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "handoff_id", "message": message}]


def test_a_page_past_what_sqlite_can_count_is_a_422(api, staff):  # found by schemathesis: was a 500
    response = api.get("/api/handoffs?page=461168601842738792", auth=staff)

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "page", "message": "Must be 1000000 or less"}]


@pytest.mark.parametrize(
    "path, allowed",
    [("/api/handoffs", "GET, POST"), ("/api/handoffs/1", "GET, PATCH"), ("/api/feedback", "POST")],
)
def test_a_method_not_allowed_lists_every_method_the_path_has(api, path, allowed):
    response = api.delete(path)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


def test_the_schema_says_which_fields_may_be_null(api):
    schemas = api.get("/openapi.json").json()["components"]["schemas"]

    assert schemas["HandoffPublic"]["properties"]["reason"]["type"] == ["string", "null"]
    assert schemas["HandoffPublic"]["properties"]["therapy"]["enum"][-1] is None
    assert schemas["HandoffCreate"]["properties"]["new_patient"]["type"] == ["boolean", "null"]
    assert schemas["HandoffPublic"]["properties"]["name"]["type"] == "string"
    assert "null" not in str(schemas["HandoffCreate"]["properties"]["consent"])


def test_a_degraded_health_answer_is_documented(api):
    operation = api.get("/openapi.json").json()["paths"]["/healthz"]["get"]

    assert {"200", "503"} <= set(operation["responses"])
    assert api.get("/healthz").status_code == 503  # nothing else runs in this test


def test_staff_pages_take_numbers_too_large_for_the_database_without_a_server_error(api, staff):
    api.post("/staff/login", data={"username": staff[0], "password": staff[1]})

    assert api.get("/staff?page=461168601842738792").status_code == 200  # the last page there can be
    assert api.get("/staff/handoffs/99999999999999999999").status_code == 422
