"""Finding a patient who calls back: one search box over name, phone (any format), email, reference,
question and reason, in the API and the inbox, with page numbers and a total (#17)."""

from __future__ import annotations

import sqlite3

import pytest

from api import store
from api.db import connect, migrations
from api.search import Search
from tests.test_staff_pages import log_in


def found(api, staff, q, **params):
    response = api.get("/api/handoffs", params={"q": q, **params}, auth=staff)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def callers(hand_over):
    """Three patients as the assistant hands them over: phones stored as typed or as E.164."""
    return {
        "jordan": hand_over(name="Jordan Lee", contact="604 555 0142", reason="Lower back pain since March"),
        "amelie": hand_over(
            kind="question",
            therapy=None,
            name="Amélie Tremblay",
            contact="Amelie.T@Example.com",
            contact_type="email",
            question="Do you bill my insurer directly for acupuncture?",
        ),
        "sam": hand_over(name="Sam Okafor", contact="+17785550199", reason="Tennis elbow"),
    }


@pytest.mark.parametrize(
    "typed",
    ["604 555 0142", "(604) 555-0142", "604.555.0142", "6045550142", "+1 604-555-0142", "1-604-555-0142"],
)
def test_a_phone_number_is_found_in_any_format(api, staff, callers, typed):
    assert found(api, staff, typed) == ["Jordan Lee"]


def test_the_last_digits_of_a_phone_are_enough(api, staff, callers):
    assert found(api, staff, "555 0199") == ["Sam Okafor"]
    assert found(api, staff, "0142") == ["Jordan Lee"]


@pytest.mark.parametrize(
    "typed, who",
    [
        ("jordan", "Jordan Lee"),
        ("jor le", "Jordan Lee"),  # the start of each word is enough
        ("LEE", "Jordan Lee"),
        ("amelie", "Amélie Tremblay"),  # accents or not
        ("amelie.t@example.com", "Amélie Tremblay"),  # email, whatever the case
        ("insurer", "Amélie Tremblay"),  # a word of the question
        ("tennis elbow", "Sam Okafor"),  # words of the reason
        ("back pain", "Jordan Lee"),
    ],
)
def test_names_emails_and_words_of_the_request_are_found(api, staff, callers, typed, who):
    assert found(api, staff, typed) == [who]


def test_a_reference_is_found_as_read_out_or_typed_in_lower_case(api, staff, callers):
    reference = callers["sam"]["reference"]

    assert found(api, staff, reference) == ["Sam Okafor"]
    assert found(api, staff, reference.lower()) == ["Sam Okafor"]


@pytest.mark.parametrize("typed", ['"', "*", "NEAR(", "a OR", "')--", "^", "jordan AND NOT", "💥"])
def test_search_syntax_in_what_was_typed_is_just_text(api, staff, callers, typed):
    response = api.get("/api/handoffs", params={"q": typed}, auth=staff)

    assert response.status_code == 200


def test_search_combines_with_the_status_and_kind_filters(api, staff, callers):
    api.patch(f"/api/handoffs/{callers['jordan']['id']}", json={"status": "contacted"}, auth=staff)

    assert found(api, staff, "lee", status="contacted") == ["Jordan Lee"]
    assert found(api, staff, "lee", status="new") == []
    assert found(api, staff, "acupuncture", kind="booking") == []


def test_the_api_gives_a_total_and_how_many_pages(api, staff, hand_over):
    for number in range(5):
        hand_over(name=f"Patient {number}")

    body = api.get("/api/handoffs", params={"per_page": 2, "page": 3}, auth=staff).json()
    past_the_end = api.get("/api/handoffs", params={"per_page": 2, "page": 99}, auth=staff).json()

    assert (body["total"], body["pages"], len(body["items"])) == (5, 3, 1)
    assert (past_the_end["total"], past_the_end["pages"], past_the_end["page"]) == (5, 3, 99)
    assert past_the_end["items"] == []


def test_the_inbox_searches_and_says_how_many_matched(api, staff, callers):
    log_in(api, staff)

    page = api.get("/staff", params={"q": "(604) 555-0142"}).text

    assert callers["jordan"]["reference"] in page
    assert callers["sam"]["reference"] not in page and callers["amelie"]["reference"] not in page
    assert "1 request matching “(604) 555-0142”" in page
    assert 'value="(604) 555-0142"' in page  # still in the box, to refine
    assert '<label for="q">Find a patient</label>' in page


def test_a_search_that_finds_nothing_says_what_to_try(api, staff, callers):
    log_in(api, staff)

    page = api.get("/staff", params={"q": "<b>nobody</b>"}).text

    assert "No requests match “&lt;b&gt;nobody&lt;/b&gt;”" in page
    assert "<b>nobody</b>" not in page


def test_the_inbox_numbers_its_pages_and_keeps_the_search_in_their_links(api, staff, hand_over):
    for number in range(60):
        hand_over(name=f"Chris {number}")
    log_in(api, staff)

    first = api.get("/staff", params={"q": "chris"}).text
    third = api.get("/staff", params={"q": "chris", "page": "3"}).text

    assert "60 requests matching “chris”, page 1 of 3" in first
    assert 'href="/staff?q=chris&amp;page=2" aria-label="Page 2"' in first
    assert 'href="/staff?q=chris&amp;page=3" aria-label="Page 3"' in first
    assert 'aria-current="page">3</a>' in third and "<span>Chris 0</span>" in third


@pytest.mark.parametrize("asked", ["99", "1000000000000000000000", "-4", "two"])
def test_a_page_past_the_end_or_not_a_number_shows_a_real_page(api, staff, hand_over, asked):
    for number in range(30):
        hand_over(name=f"Robin {number}")
    log_in(api, staff)

    page = api.get("/staff", params={"page": asked})

    assert page.status_code == 200
    assert "Page 99" not in page.text
    last_or_first = "page 2 of 2" if asked.isdigit() else "page 1 of 2"
    assert f"30 requests, {last_or_first}." in page.text


def test_searches_stay_out_of_the_access_log(caplog):
    import logging

    from api.log_privacy import QueryStringsOut

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/staff?q=Jordan+Lee+604+555+0142", "1.1", 200),
        None,
    )

    QueryStringsOut().filter(record)

    assert record.getMessage() == '127.0.0.1:5000 - "GET /staff?… HTTP/1.1" 200'


def test_an_existing_database_keeps_its_requests_and_they_become_searchable(tmp_path):
    path = tmp_path / "handoffs.db"
    old = sqlite3.connect(path)
    from sqlite_utils import Database

    before = Database(old)
    migrations.apply(before, stop_before="m004_front_desk")  # the schema before #17
    before["handoffs"].insert(
        {
            "reference": "REQ-AB234",
            "kind": "booking",
            "status": "contacted",
            "created_at": "2026-11-20T17:00:00+00:00",
            "updated_at": "2026-11-20T17:00:00+00:00",
            "name": "Kept Patient",
            "contact": "(604) 555-0177",
            "contact_type": "phone",
            "therapy": "ims",
            "transcript": "[]",
        }
    )
    before["handoff_history"].insert(
        {
            "handoff_id": 1,
            "at": "2026-11-20T17:00:00+00:00",
            "who": "assistant",
            "what": "created",
            "to_value": "new",
        }
    )
    old.commit()
    old.close()

    db = connect(path)
    kept = store.get_handoff(db, handoff_id=1)
    items, total = store.list_handoffs(db, search=Search.of("604-555-0177"))

    assert (kept["name"], kept["status"], kept["contact_key"]) == (
        "Kept Patient",
        "contacted",
        "+16045550177",
    )
    assert [h["what"] for h in kept["history"]] == ["created"]
    assert total == 1 and items[0]["reference"] == "REQ-AB234"
    assert store.list_handoffs(db, search=Search.of("kept"))[1] == 1


def test_a_forgotten_patient_leaves_nothing_in_the_search_index(api_settings, api, staff, hand_over):
    gone = hand_over(name="Zebulon Quartermaine", contact="zq.canary@example.com", contact_type="email")
    hand_over(name="Someone Else")
    db = connect(api_settings.handoffs_db)
    db.execute("pragma secure_delete = on")

    store.forget_handoff(db, reference=gone["reference"])
    db.execute("pragma wal_checkpoint(truncate)")

    assert store.list_handoffs(db, search=Search.of("zebulon"))[1] == 0
    assert store.list_handoffs(db, search=Search.of("someone"))[1] == 1
    raw = api_settings.handoffs_db.read_bytes().lower()
    assert b"zebulon" not in raw and b"quartermaine" not in raw and b"canary" not in raw
