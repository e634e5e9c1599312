"""The handoff API: the assistant hands requests over once, staff read them and move them on."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from api import notify
from api.main import app
from api.settings import get_settings

REFERENCE = re.compile(r"REQ-[23456789ABCDEFGHJKMNPQRSTWXYZ]{5}")


def booking(**changes):
    body = {
        "kind": "booking",
        "name": "Jordan Lee",
        "contact": "604 555 0142",
        "contact_type": "phone",
        "therapy": "acupuncture",
        "preferred_time": "Tuesday mornings",
        "new_patient": True,
        "reason": "sore shoulder",
        "question": None,
        "consent": True,
        "conversation_id": "conv-1",
        "transcript": [
            {"who": "patient", "text": "book acupuncture for Jordan"},
            {"who": "assistant", "text": "What is the best way to reach you?"},
        ],
    }
    body.update(changes)
    return body


def question(**changes):
    body = {
        "kind": "question",
        "name": "Sam Park",
        "contact": "sam@example.com",
        "contact_type": "email",
        "question": "Can I have IMS while pregnant?",
        "consent": True,
    }
    body.update(changes)
    return body


def hand_over(api, bot, body=None, **headers):
    response = api.post("/api/handoffs", json=body or booking(), headers={**bot, **headers})
    assert response.status_code == 201, response.text
    return response.json()


# Handing over


def test_a_booking_is_stored_with_a_reference_and_shown_back_whole(api, bot):
    response = api.post("/api/handoffs", json=booking(), headers=bot)

    assert response.status_code == 201
    handoff = response.json()
    assert REFERENCE.fullmatch(handoff["reference"])
    assert handoff["status"] == "new"
    assert handoff["kind"] == "booking"
    assert handoff["name"] == "Jordan Lee"
    assert handoff["therapy"] == "acupuncture"
    assert handoff["new_patient"] is True
    assert handoff["transcript"][0] == {"who": "patient", "text": "book acupuncture for Jordan"}
    assert handoff["notes"] == []
    assert [(h["who"], h["what"], h["to"]) for h in handoff["history"]] == [("assistant", "created", "new")]
    created = datetime.fromisoformat(
        handoff["created_at"]
    )  # in the clinic's zone (clinic.yml), with its offset
    assert created.utcoffset() == created.astimezone(ZoneInfo("America/Vancouver")).utcoffset()


def test_a_question_keeps_the_question_and_needs_no_therapy(api, bot):
    handoff = hand_over(api, bot, question())

    assert handoff["kind"] == "question"
    assert handoff["question"] == "Can I have IMS while pregnant?"
    assert handoff["therapy"] is None
    assert handoff["transcript"] == []


def test_references_are_unique(api, bot):
    references = {hand_over(api, bot)["reference"] for _ in range(20)}
    assert len(references) == 20


# Who may do what

ANONYMOUS = {}
WRONG_TOKEN = {"Authorization": "Bearer not-the-token"}


def basic(username, password):
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    "who, create, read, change",
    [
        ("anonymous", 401, 401, 401),
        ("bot", 201, 403, 403),
        ("wrong token", 401, 401, 401),
        ("staff", 401, 200, 200),  # on the assistant's route a staff password is not even checked
        ("wrong password", 401, 401, 401),
        ("unknown user", 401, 401, 401),
    ],
)
def test_only_the_assistant_creates_and_only_staff_read_or_change(api, bot, staff, who, create, read, change):
    existing = hand_over(api, bot)["id"]
    headers = {
        "anonymous": ANONYMOUS,
        "bot": bot,
        "wrong token": WRONG_TOKEN,
        "staff": basic(*staff),
        "wrong password": basic(staff[0], "not the password"),
        "unknown user": basic("nobody", staff[1]),
    }[who]

    responses = {
        "POST /api/handoffs": (api.post("/api/handoffs", json=booking(), headers=headers), create),
        "GET /api/handoffs": (api.get("/api/handoffs", headers=headers), read),
        "GET /api/handoffs/{id}": (api.get(f"/api/handoffs/{existing}", headers=headers), read),
        "PATCH /api/handoffs/{id}": (
            api.patch(f"/api/handoffs/{existing}", json={"note": "called"}, headers=headers),
            change,
        ),
    }

    for operation, (response, expected) in responses.items():
        assert response.status_code == expected, f"{operation} as {who}: {response.text}"
        if expected == 401:
            assert response.headers["WWW-Authenticate"].startswith(("Bearer", "Basic")), operation
        if expected >= 400:
            assert response.json()["detail"], operation


def test_the_bot_token_reads_nothing_even_one_request(api, bot):
    handoff = hand_over(api, bot)

    response = api.get(f"/api/handoffs/{handoff['id']}", headers=bot)

    assert response.status_code == 403
    assert "Jordan" not in response.text


def test_without_a_bot_token_configured_posts_get_503_saying_how_to_fix_it(api, api_settings, bot):
    app.dependency_overrides[get_settings] = lambda: replace(api_settings, bot_token=None)

    response = api.post("/api/handoffs", json=booking(), headers=bot)

    assert response.status_code == 503
    assert "CLINIC_BOT_TOKEN" in response.json()["detail"]


# Retries


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_creates_nothing(api, bot, staff):
    first = api.post("/api/handoffs", json=booking(), headers={**bot, "Idempotency-Key": "outbox-1"})
    api.patch(f"/api/handoffs/{first.json()['id']}", json={"status": "contacted"}, auth=staff)
    retry = api.post("/api/handoffs", json=booking(), headers={**bot, "Idempotency-Key": "outbox-1"})

    assert retry.status_code == first.status_code == 201
    assert retry.content == first.content  # the first answer, as it was, even after staff moved it on
    assert api.get("/api/handoffs", auth=staff).json()["total"] == 1


def test_the_same_key_with_a_different_request_is_a_conflict(api, bot, staff):
    hand_over(api, bot, booking(), **{"Idempotency-Key": "outbox-2"})

    response = api.post(
        "/api/handoffs", json=booking(name="Someone Else"), headers={**bot, "Idempotency-Key": "outbox-2"}
    )

    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["detail"]
    assert api.get("/api/handoffs", auth=staff).json()["total"] == 1


def test_without_a_key_or_with_different_keys_each_post_is_a_new_request(api, bot, staff):
    hand_over(api, bot)
    hand_over(api, bot)
    hand_over(api, bot, **{"Idempotency-Key": "a"})
    hand_over(api, bot, **{"Idempotency-Key": "b"})

    assert api.get("/api/handoffs", auth=staff).json()["total"] == 4


def test_an_idempotency_key_over_100_characters_is_refused(api, bot):
    response = api.post("/api/handoffs", json=booking(), headers={**bot, "Idempotency-Key": "k" * 101})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "Idempotency-Key", "message": "At most 100 characters, please"}
    ]


# Bad input


@pytest.mark.parametrize(
    "body, field, message",
    [
        (
            {k: v for k, v in booking().items() if k != "consent"},
            "consent",
            "We can only keep a request the patient agreed to",
        ),
        (booking(consent=False), "consent", "We can only keep a request the patient agreed to"),
        (booking(consent="yes"), "consent", "We can only keep a request the patient agreed to"),
        (booking(kind="appointment"), "kind", "Must be one of: booking, question"),
        (
            booking(favourite_colour="blue"),
            "favourite_colour",
            "This field is not part of a request: remove it",
        ),
        (booking(name="J" * 101), "name", "At most 100 characters, please"),
        (booking(name="   "), "name", "This must not be empty"),
        (booking(reason="x" * 501), "reason", "At most 500 characters, please"),
        (
            booking(therapy=None),
            "therapy",
            "A booking request needs a therapy: ims, acupuncture, assessment or not_sure",
        ),
        (booking(therapy="massage"), "therapy", "Must be one of: ims, acupuncture, assessment, not_sure"),
        (question(question=None), "question", "A question for staff needs the question itself"),
        (booking(contact_type="email"), "contact", "This does not look like an email address"),
        (booking(contact="12"), "contact", "At least 3 characters, please"),
        (booking(new_patient="maybe"), "new_patient", "Must be true or false"),
        (
            booking(transcript=[{"who": "patient", "text": "hi"}] * 31),
            "transcript",
            "At most 30 items, please",
        ),
        (
            booking(transcript=[{"who": "doctor", "text": "hi"}]),
            "transcript.0.who",
            "Must be one of: patient, assistant",
        ),
        (
            booking(transcript=[{"who": "patient", "text": "x" * 2001}]),
            "transcript.0.text",
            "At most 2000 characters, please",
        ),
    ],
)
def test_bad_requests_get_422_naming_the_field_in_words_a_person_understands(api, bot, body, field, message):
    response = api.post("/api/handoffs", json=body, headers=bot)

    assert response.status_code == 422
    assert {"field": field, "message": message} in response.json()["detail"]


def test_validation_errors_never_echo_what_the_patient_sent(api, bot):
    secret = "Jordan-" + "x" * 200
    response = api.post("/api/handoffs", json=booking(name=secret, kind="nope"), headers=bot)

    assert response.status_code == 422
    assert "Jordan" not in response.text


def test_malformed_json_is_a_422_too(api, bot):
    response = api.post(
        "/api/handoffs", content=b'{"kind": "booking", ', headers={**bot, "Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "body", "message": "The request body is not valid JSON"}]}


def test_a_body_that_is_not_an_object_is_a_422(api, bot):
    response = api.post("/api/handoffs", json=["booking"], headers=bot)

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "body", "message": "Must be a JSON object"}]


def test_a_body_over_64_kb_is_413(api, bot):
    huge = booking(reason="x" * 70_000)

    response = api.post("/api/handoffs", json=huge, headers=bot)

    assert response.status_code == 413
    assert "64 KB" in response.json()["detail"]


def test_a_streamed_body_over_64_kb_without_a_length_is_413_too(api, bot):
    def chunks():
        yield b'{"kind": "booking", "reason": "'
        for _ in range(10):
            yield b"x" * 8_000

    response = api.post(
        "/api/handoffs", content=chunks(), headers={**bot, "Content-Type": "application/json"}
    )

    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413


def test_a_full_request_under_64_kb_is_fine(api, bot):
    transcript = [{"who": "patient", "text": "x" * 1900}] * 30  # about 57 KB
    assert len(json.dumps(booking(transcript=transcript))) < 64 * 1024

    hand_over(api, bot, booking(transcript=transcript))


# Listing


def test_staff_list_requests_newest_first_a_page_at_a_time(api, bot, staff):
    ids = [hand_over(api, bot)["id"] for _ in range(5)]

    first = api.get("/api/handoffs?per_page=2", auth=staff).json()
    third = api.get("/api/handoffs?per_page=2&page=3", auth=staff).json()
    beyond = api.get("/api/handoffs?per_page=2&page=4", auth=staff).json()

    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert [item["id"] for item in third["items"]] == [ids[0]]
    assert beyond["items"] == [] and beyond["total"] == 5


def test_the_default_page_is_20(api, bot, staff):
    for _ in range(21):
        hand_over(api, bot)

    page = api.get("/api/handoffs", auth=staff).json()

    assert (len(page["items"]), page["page"], page["per_page"], page["total"]) == (20, 1, 20, 21)


def test_staff_filter_by_status_and_kind(api, bot, staff):
    first = hand_over(api, bot, booking())
    hand_over(api, bot, booking())
    asked = hand_over(api, bot, question())
    api.patch(f"/api/handoffs/{first['id']}", json={"status": "contacted"}, auth=staff)

    def ids(query):
        return [item["id"] for item in api.get(f"/api/handoffs?{query}", auth=staff).json()["items"]]

    assert ids("kind=question") == [asked["id"]]
    assert ids("status=contacted") == [first["id"]]
    assert ids("status=contacted&kind=question") == []
    assert len(ids("status=new&kind=booking")) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("status=lost", "status"),
        ("kind=x", "kind"),
    ],
)
def test_bad_list_parameters_are_422(api, staff, query, field):
    response = api.get(f"/api/handoffs?{query}", auth=staff)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_an_unknown_request_is_404_with_a_message(api, staff):
    assert api.get("/api/handoffs/7", auth=staff).json() == {"detail": "No request with id 7"}
    assert api.get("/api/handoffs/7", auth=staff).status_code == 404
    assert api.patch("/api/handoffs/7", json={"status": "closed"}, auth=staff).status_code == 404


# Moving a request on


def move_to(status):
    """A status change with what it needs: a reason to close, an appointment to book."""
    details = {"closed": {"close_reason": "no_answer"}, "booked": {"appointment_at": "2026-12-01T09:30:00"}}
    return {"status": status, **details.get(status, {})}


@pytest.mark.parametrize(
    "path",
    [["contacted", "booked"], ["contacted", "closed"], ["closed"]],
)
def test_allowed_status_changes_are_kept_in_the_history(api, bot, staff, path):
    handoff = hand_over(api, bot)
    for status in path:
        response = api.patch(f"/api/handoffs/{handoff['id']}", json=move_to(status), auth=staff)
        assert response.status_code == 200

    history = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["history"]
    changes = [(h["who"], h["from"], h["to"]) for h in history if h["what"] == "status"]
    assert changes == [
        ("frontdesk", before, after) for before, after in zip(["new", *path], path, strict=False)
    ]
    assert all(datetime.fromisoformat(h["at"]) for h in history)


@pytest.mark.parametrize(
    "path, refused, message",
    [
        (
            [],
            "booked",
            "A request that is new cannot become booked: from new it can become contacted or closed",
        ),
        (
            ["contacted", "booked"],
            "closed",
            "A request that is booked cannot become closed: booked is final: reopen it, with a reason, to change it",
        ),
        (
            ["closed"],
            "contacted",
            "A request that is closed cannot become contacted: closed is final: reopen it, with a reason, to change it",
        ),
        (
            ["contacted"],
            "new",
            "A request that is contacted cannot become new: from contacted it can become booked or closed",
        ),
    ],
)
def test_other_status_changes_are_409_and_change_nothing(api, bot, staff, path, refused, message):
    handoff = hand_over(api, bot)
    for status in path:
        api.patch(f"/api/handoffs/{handoff['id']}", json=move_to(status), auth=staff)
    before = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()

    response = api.patch(f"/api/handoffs/{handoff['id']}", json={"status": refused, "note": "x"}, auth=staff)

    assert response.status_code == 409
    assert response.json() == {"detail": message}
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json() == before


def test_staff_notes_are_kept_with_author_and_time(api, bot, staff):
    handoff = hand_over(api, bot)

    response = api.patch(
        f"/api/handoffs/{handoff['id']}", json={"status": "contacted", "note": "Left a voicemail"}, auth=staff
    )

    updated = response.json()
    assert updated["status"] == "contacted"
    assert [(n["author"], n["text"]) for n in updated["notes"]] == [("frontdesk", "Left a voicemail")]
    assert datetime.fromisoformat(updated["notes"][0]["at"])
    assert [h["what"] for h in updated["history"]] == ["created", "status", "note"]


def test_a_note_can_be_added_to_a_finished_request(api, bot, staff):
    handoff = hand_over(api, bot)
    api.patch(f"/api/handoffs/{handoff['id']}", json=move_to("closed"), auth=staff)

    response = api.patch(f"/api/handoffs/{handoff['id']}", json={"note": "Patient called back"}, auth=staff)

    assert response.status_code == 200
    assert response.json()["notes"][0]["text"] == "Patient called back"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({}, "body", "Give a new status, a note, or both"),
        ({"status": "lost"}, "status", "Must be one of: new, contacted, booked, closed"),
        ({"note": "x" * 2001}, "note", "At most 2000 characters, please"),
        ({"note": ""}, "note", "This must not be empty"),
        ({"assignee": "me"}, "assignee", "This field is not part of a request: remove it"),
    ],
)
def test_bad_changes_are_422(api, bot, staff, change, field, message):
    handoff = hand_over(api, bot)

    response = api.patch(f"/api/handoffs/{handoff['id']}", json=change, auth=staff)

    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": field, "message": message}]


# Notifications and privacy


def test_a_new_request_notifies_the_webhook_with_reference_and_kind_only(api, api_settings, bot, monkeypatch):
    sent = []
    monkeypatch.setattr(notify, "_post_webhook", lambda url, **payload: sent.append((url, payload)))
    app.dependency_overrides[get_settings] = lambda: replace(
        api_settings, notify_webhook="http://127.0.0.1:9/hook"
    )

    handoff = hand_over(api, bot, booking(), **{"Idempotency-Key": "once"})
    hand_over(api, bot, booking(), **{"Idempotency-Key": "once"})

    assert sent == [("http://127.0.0.1:9/hook", {"reference": handoff["reference"], "kind": "booking"})]


def test_a_failing_notification_loses_nothing_and_logs_no_patient_details(
    api, api_settings, bot, staff, monkeypatch, caplog
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("Jordan Lee 604 555 0142")

    monkeypatch.setattr(notify.httpx, "post", refuse)
    monkeypatch.setattr(notify.smtplib, "SMTP", refuse)
    settings = replace(
        api_settings,
        notify_webhook="http://127.0.0.1:9/hook",
        smtp_host="127.0.0.1",
        notify_email_to="desk@example.com",
    )
    app.dependency_overrides[get_settings] = lambda: settings
    caplog.set_level(logging.INFO)

    handoff = hand_over(api, bot, booking())
    api.patch(
        f"/api/handoffs/{handoff['id']}",
        json={"status": "contacted", "note": "Jordan wants Tuesday"},
        auth=staff,
    )

    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).status_code == 200
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 2 and all(handoff["reference"] in line for line in failures)
    for detail in ("Jordan", "Lee", "604", "555", "0142", "shoulder", "Tuesday"):
        assert detail not in caplog.text


def test_the_notification_email_carries_no_patient_details(api_settings, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("message", message))

    monkeypatch.setattr(notify.smtplib, "SMTP", FakeSMTP)
    settings = replace(
        api_settings,
        smtp_host="mail.example.com",
        smtp_user="clinic",
        smtp_password="pw",
        notify_email_to="desk@example.com",
    )

    notify.new_handoff(settings, handoff_id=3, reference="REQ-7F3K9", kind="booking")

    assert sent[:3] == [("connect", "mail.example.com", 587), ("starttls",), ("login", "clinic")]
    message = sent[3][1]
    assert message["Subject"] == "New booking request REQ-7F3K9"
    assert message["To"] == "desk@example.com"
    assert "http://localhost:8000/staff/handoffs/3" in message.get_content()


def test_notifications_are_off_by_default(api_settings, monkeypatch):
    monkeypatch.setattr(notify.httpx, "post", lambda *a, **k: pytest.fail("webhook called"))
    monkeypatch.setattr(notify.smtplib, "SMTP", lambda *a, **k: pytest.fail("email sent"))

    notify.new_handoff(api_settings, handoff_id=1, reference="REQ-22222", kind="question")


# Documentation


def test_every_operation_is_described_in_the_openapi_document(api):
    spec = api.get("/openapi.json").json()

    operations = {
        (method.upper(), path): op for path, ops in spec["paths"].items() for method, op in ops.items()
    }
    assert {
        ("POST", "/api/handoffs"),
        ("GET", "/api/handoffs"),
        ("GET", "/api/handoffs/{handoff_id}"),
        ("PATCH", "/api/handoffs/{handoff_id}"),
        ("GET", "/healthz"),
    } <= set(operations)
    for (method, path), op in operations.items():
        assert op.get("description"), f"{method} {path} has no description"
    assert operations[("POST", "/api/handoffs")]["security"] == [{"Assistant token": []}]
    assert operations[("GET", "/api/handoffs")]["security"] == [{"Staff account": []}]
    assert "201" in operations[("POST", "/api/handoffs")]["responses"]


def test_simultaneous_retries_with_one_key_store_one_request(api_settings):
    from concurrent.futures import ThreadPoolExecutor

    from api import store
    from api.db import connect
    from api.models import HandoffCreate

    handoff = HandoffCreate.parse_obj(booking())
    connect(api_settings.handoffs_db).close()

    def submit(_):
        with connect(api_settings.handoffs_db) as db:
            return store.create_handoff(db, handoff=handoff, idempotency_key="same")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(submit, range(12)))

    assert sum(created for _, created in results) == 1
    assert len({json.dumps(record) for record, _ in results}) == 1
    with connect(api_settings.handoffs_db) as db:
        assert db.table("handoffs").count == 1
