"""A workflow people can correct (#17): closing says why, booking says when, a wrong pick is reopened
with a reason, and every change is in the history with who and when."""

from __future__ import annotations

import pytest

from tests.test_staff_pages import csrf_of, log_in


def patch(api, staff, handoff, **change):
    return api.patch(f"/api/handoffs/{handoff['id']}", json=change, auth=staff)


def reopen(api, staff, handoff, reason="Closed by mistake: she called back"):
    return api.post(f"/api/handoffs/{handoff['id']}/reopen", json={"reason": reason}, auth=staff)


@pytest.mark.parametrize(
    "reason", ["no_answer", "not_needed", "booked_elsewhere", "duplicate", "spam", "other"]
)
def test_a_request_is_closed_with_a_reason_kept_in_the_history(api, staff, hand_over, reason):
    handoff = hand_over()

    body = patch(api, staff, handoff, status="closed", close_reason=reason).json()

    assert (body["status"], body["close_reason"]) == ("closed", reason)
    assert body["history"][-1] | {"at": None} == {
        "at": None,
        "who": "frontdesk",
        "what": "status",
        "from": "new",
        "to": "closed",
        "detail": reason,
    }


def test_closing_without_a_reason_is_refused_and_says_which(api, staff, hand_over):
    handoff = hand_over()

    response = patch(api, staff, handoff, status="closed")

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "close_reason"
    assert "Say why it is closed: no_answer, not_needed" in response.json()["detail"][0]["message"]
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["status"] == "new"


def test_a_duplicate_names_the_request_it_repeats(api, staff, hand_over):
    first = hand_over()
    again = hand_over()

    body = patch(
        api, staff, again, status="closed", close_reason="duplicate", duplicate_of=first["reference"]
    ).json()
    itself = patch(
        api, staff, first, status="closed", close_reason="duplicate", duplicate_of=first["reference"]
    )
    nowhere = patch(api, staff, first, status="closed", close_reason="duplicate", duplicate_of="REQ-22222")
    not_a_duplicate = patch(
        api, staff, first, status="closed", close_reason="spam", duplicate_of=again["reference"]
    )

    assert body["duplicate_of"] == first["reference"]
    assert body["history"][-1]["detail"] == f"duplicate of {first['reference']}"
    assert [r.status_code for r in (itself, nowhere, not_a_duplicate)] == [422, 422, 422]
    assert "itself" in itself.json()["detail"][0]["message"]
    assert "no request with reference REQ-22222" in nowhere.json()["detail"][0]["message"]


def test_booking_needs_the_appointment_and_it_can_be_moved_later(api, staff, hand_over):
    handoff = hand_over()
    patch(api, staff, handoff, status="contacted")

    without = patch(api, staff, handoff, status="booked")
    booked = patch(api, staff, handoff, status="booked", appointment_at="2026-12-01T09:30:00-08:00").json()
    moved = patch(api, staff, handoff, appointment_at="2026-12-02T10:00:00-08:00").json()

    assert without.status_code == 422 and without.json()["detail"][0]["field"] == "appointment_at"
    assert booked["appointment_at"] == "2026-12-01T09:30:00-08:00"
    assert moved["appointment_at"] == "2026-12-02T10:00:00-08:00"
    assert [(h["what"], h["from"], h["to"], h["detail"]) for h in moved["history"][-2:]] == [
        ("status", "contacted", "booked", "2026-12-01T09:30:00-08:00"),
        ("appointment", "2026-12-01T09:30:00-08:00", "2026-12-02T10:00:00-08:00", None),
    ]


def test_an_appointment_alone_on_an_open_request_says_to_book_it(api, staff, hand_over):
    handoff = hand_over()

    response = patch(api, staff, handoff, appointment_at="2026-12-01T09:30:00")

    assert response.status_code == 422
    assert "choose Booked too" in response.json()["detail"][0]["message"]


@pytest.mark.parametrize(
    "path, back",
    [
        ([("closed", {"close_reason": "spam"})], "new"),
        ([("contacted", {}), ("closed", {"close_reason": "no_answer"})], "contacted"),
        ([("contacted", {}), ("booked", {"appointment_at": "2026-12-01T09:30:00"})], "contacted"),
    ],
)
def test_a_wrong_pick_is_reopened_to_where_it_was_with_the_reason_kept(api, staff, hand_over, path, back):
    handoff = hand_over()
    for status, details in path:
        assert patch(api, staff, handoff, status=status, **details).status_code == 200

    body = reopen(api, staff, handoff).json()

    assert body["status"] == back
    assert (body["close_reason"], body["appointment_at"], body["duplicate_of"]) == (None, None, None)
    last = body["history"][-1]
    assert (last["who"], last["what"], last["from"], last["to"]) == (
        "frontdesk",
        "reopened",
        path[-1][0],
        back,
    )
    assert last["detail"] == "Closed by mistake: she called back"
    assert (
        patch(api, staff, handoff, status="closed", close_reason="other").status_code == 200
    )  # moves on again


def test_only_a_finished_request_is_reopened_and_only_with_a_reason(api, staff, hand_over):
    handoff = hand_over()

    still_open = reopen(api, staff, handoff)
    patch(api, staff, handoff, status="closed", close_reason="spam")
    no_reason = reopen(api, staff, handoff, reason="   ")

    assert still_open.status_code == 409
    assert still_open.json() == {
        "detail": "A request that is new is still open: only booked or closed ones are reopened"
    }
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["field"] == "reason"


@pytest.mark.parametrize("path", ["/reopen", "/claim"])
def test_the_new_actions_need_a_staff_login(api, hand_over, bot, path):
    handoff = hand_over()
    url = f"/api/handoffs/{handoff['id']}{path}"
    method = api.post if path == "/reopen" else api.put

    anonymous = method(url, json={"reason": "x"}) if path == "/reopen" else method(url)
    assistant = (
        method(url, json={"reason": "x"}, headers=bot) if path == "/reopen" else method(url, headers=bot)
    )

    assert anonymous.status_code == 401
    assert assistant.status_code == 403


# The request page's forms


def form(api, handoff, path="", **data):
    page = api.get(f"/staff/handoffs/{handoff['id']}")
    return api.post(f"/staff/handoffs/{handoff['id']}{path}", data={"csrf": csrf_of(page), **data})


def test_staff_close_a_request_as_spam_from_the_page(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}").text
    assert '<label for="close_reason">Reason, when closed</label>' in page
    assert '<option value="spam">Spam</option>' in page

    refused = form(api, handoff, status="closed")
    after = form(api, handoff, status="closed", close_reason="spam")

    assert "Not saved: Say why it is closed" in refused.text
    assert "Saved." in after.text
    assert "<dt>Closed because</dt><dd>Spam</dd>" in after.text
    assert "changed status from new to closed (Spam)" in after.text


def test_staff_reopen_from_the_page_and_the_reason_is_in_the_history(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)
    form(api, handoff, status="closed", close_reason="no_answer")

    empty = form(api, handoff, "/reopen", reason="  ")
    after = form(api, handoff, "/reopen", reason="Picked the wrong request <b>")

    assert "Say why it is reopened" in empty.text
    assert "Reopened." in after.text
    assert "reopened it (closed → new): “Picked the wrong request &lt;b&gt;”" in after.text
    assert '<option value="closed">Closed</option>' in after.text


def test_a_reopen_form_without_the_session_token_changes_nothing(api, staff, hand_over):
    handoff = hand_over()
    api.patch(f"/api/handoffs/{handoff['id']}", json={"status": "closed", "close_reason": "spam"}, auth=staff)
    log_in(api, staff)

    after = api.post(f"/staff/handoffs/{handoff['id']}/reopen", data={"csrf": "forged", "reason": "x"})

    assert "That form had expired" in after.text
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["status"] == "closed"


def test_staff_mark_a_duplicate_of_an_earlier_request_from_the_page(api, staff, hand_over):
    first = hand_over()
    again = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{again['id']}").text
    assert f'<option value="{first["reference"]}">' in page  # offered from the same patient's requests

    after = form(
        api, again, status="closed", close_reason="duplicate", duplicate_of=first["reference"].lower()
    )

    assert f"<dt>Closed because</dt><dd>Duplicate of {first['reference']}</dd>" in after.text


def test_a_note_typed_with_a_status_that_cannot_change_is_still_saved(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)

    after = form(api, handoff, status="closed", note="Called twice, voicemail full")

    assert "Your note is saved, but the status did not change: Say why it is closed" in after.text
    body = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()
    assert body["status"] == "new"
    assert [note["text"] for note in body["notes"]] == ["Called twice, voicemail full"]


def test_one_click_closes_a_request_as_the_duplicate_of_the_same_patients_other(api, staff, hand_over):
    first = hand_over(contact="604 555 0142")
    again = hand_over(contact="(604) 555-0142")
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{again['id']}")
    assert f'aria-label="Close this one as a duplicate of {first["reference"]}"' in page.text

    after = api.post(
        f"/staff/handoffs/{again['id']}",
        data={
            "csrf": csrf_of(page),
            "status": "closed",
            "close_reason": "duplicate",
            "duplicate_of": first["reference"],
        },
    )

    assert f"<dt>Closed because</dt><dd>Duplicate of {first['reference']}</dd>" in after.text
    assert "Close this one as its duplicate" not in after.text  # closed: nothing more to close
