"""The feedback page a clinic manager can act on (#17): the same question however worded counted
once, a date range in clinic time, and "handled" marks that hold until patients ask again."""

from __future__ import annotations

import pytest

from api.db import connect
from api.feedback_groups import group_questions, question_key
from tests.test_staff_pages import csrf_of, log_in
from tests.test_widget import rating, unanswered


@pytest.mark.parametrize(
    "question, key",
    [
        ("Do you do cupping?", "cupping"),
        ("do you do cupping", "cupping"),
        ("cupping?", "cupping"),
        ("Can I park at the clinic?", "park at clinic"),
        ("What do you do?", "what do you do"),  # all filler: kept whole, not merged with everything
    ],
)
def test_a_question_is_keyed_by_what_it_is_about(question, key):
    assert question_key(question) == key


def test_near_identical_questions_are_counted_together_most_asked_first():
    asked = (
        [{"question": "Do you do cupping?", "at": "2026-11-20T10:00:00+00:00"}] * 6
        + [{"question": "do you do cupping", "at": "2026-11-21T10:00:00+00:00"}] * 3
        + [{"question": "cupping?", "at": "2026-11-19T10:00:00+00:00"}] * 2
        + [{"question": "Is there parking?", "at": "2026-11-22T10:00:00+00:00"}] * 4
    )

    groups = group_questions(asked, handled={})

    assert [(g.question, g.times) for g in groups] == [("Do you do cupping?", 11), ("Is there parking?", 4)]
    assert groups[0].other_wordings == ["do you do cupping", "cupping?"]
    assert groups[0].last_at == "2026-11-21T10:00:00+00:00"


ROW = '<th scope="row">'


def ask(api, question, times, prefix):
    for n in range(times):
        assert (
            api.post(
                "/api/feedback", json=unanswered(question, conversation_id=f"{prefix}-{n:06}")
            ).status_code
            == 201
        )


def test_the_page_counts_wordings_together_and_shows_them(api, staff):
    ask(api, "Do you do cupping?", 6, "a")
    ask(api, "do you do cupping", 3, "b")
    ask(api, "cupping?", 2, "c")
    ask(api, "Is there parking?", 4, "d")
    log_in(api, staff)

    page = api.get("/staff/feedback").text

    assert (
        '<th scope="row">Do you do cupping?<br><span class="muted">also: do you do cupping; cupping?</span>'
        in page
    )
    assert '<td class="count">11</td>' in page
    assert page.index("Do you do cupping?") < page.index("Is there parking?")


def test_a_handled_question_is_hidden_until_asked_again(api, api_settings, staff):
    ask(api, "Do you do cupping?", 2, "a")
    ask(api, "Is there parking?", 1, "d")
    log_in(api, staff)
    page = api.get("/staff/feedback")

    marked = api.post(
        "/staff/feedback/handled", data={"csrf": csrf_of(page), "question": "cupping?"}
    )  # any wording marks the whole group
    shown = api.get("/staff/feedback?handled=shown").text

    assert "Marked handled: it comes back if patients ask it again." in marked.text
    assert ROW + "Do you do cupping?" not in marked.text and ROW + "Is there parking?" in marked.text
    assert "1 handled one is hidden" in marked.text
    assert ROW + "Do you do cupping?" in shown and "frontdesk, just now" in shown

    with connect(api_settings.handoffs_db) as db:  # handled an hour ago; asked again since
        db.execute("update feedback_handled set at = '2000-01-01T00:00:00+00:00'")
    again = api.get("/staff/feedback").text
    assert ROW + "Do you do cupping?" in again and "Asked again since frontdesk handled it" in again


def test_undo_puts_a_handled_question_back_and_forms_need_the_token(api, staff):
    ask(api, "Do you do cupping?", 1, "a")
    log_in(api, staff)
    page = api.get("/staff/feedback")
    api.post("/staff/feedback/handled", data={"csrf": csrf_of(page), "question": "Do you do cupping?"})

    forged = api.post("/staff/feedback/handled", data={"csrf": "forged", "question": "x", "undo": "1"})
    undone = api.post(
        "/staff/feedback/handled", data={"csrf": csrf_of(page), "question": "Do you do cupping?", "undo": "1"}
    )

    assert "That form had expired" in forged.text
    assert "Back on the list." in undone.text and ROW + "Do you do cupping?" in undone.text


def test_marking_handled_needs_a_login(api):
    response = api.post("/staff/feedback/handled", data={"question": "x"}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_a_date_range_in_clinic_time_counts_only_what_was_given_then(api, api_settings, staff):
    api.post("/api/feedback", json=rating(topic="needle_fear", conversation_id="conversation-0001"))
    api.post("/api/feedback", json=rating(topic="cost_insurance", conversation_id="conversation-0002"))
    ask(api, "Do you do cupping?", 1, "a")
    with connect(api_settings.handoffs_db) as db:
        # 02:00 UTC on the 27th is the evening of the 26th in Vancouver
        db.execute("update feedback set at = '2026-11-27T02:00:00+00:00' where topic = 'needle_fear'")
        db.execute("update feedback set at = '2026-11-28T12:00:00+00:00' where topic != 'needle_fear'")
    log_in(api, staff)

    the_26th = api.get("/staff/feedback?since=2026-11-26&until=2026-11-26").text
    the_28th = api.get("/staff/feedback?since=2026-11-28").text
    nonsense = api.get("/staff/feedback?since=yesterday&until=<b>")

    assert "needle_fear" in the_26th and "cost_insurance" not in the_26th
    assert "No unanswered questions in these dates." in the_26th
    assert "needle_fear" not in the_28th and "cost_insurance" in the_28th and "Do you do cupping?" in the_28th
    assert 'id="since" name="since" type="date" value="2026-11-28"' in the_28th
    assert nonsense.status_code == 200 and "All dates." in nonsense.text
