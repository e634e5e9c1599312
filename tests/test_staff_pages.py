"""The staff pages: log in, see the inbox, open a request, move it on; patient text is never markup."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from api import store
from api.db import connect

XSS = "<script>alert(1)</script>"


def log_in(api, staff, next_path="/staff"):
    username, password = staff
    return api.post(
        "/staff/login",
        data={"username": username, "password": password, "next": next_path},
        follow_redirects=False,
    )


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


@pytest.mark.parametrize("path", ["/staff", "/staff/handoffs/1", "/staff?status=new"])
def test_anonymous_visitors_are_sent_to_the_login_page(api, path):
    response = api.get(path, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=%2Fstaff")


def test_the_login_form_has_labelled_fields(api):
    page = api.get("/staff/login")

    assert page.status_code == 200
    assert '<label for="username">' in page.text and 'id="username"' in page.text
    assert (
        '<label for="password">' in page.text and 'id="password" name="password" type="password"' in page.text
    )


def test_a_wrong_password_shows_the_form_again_and_starts_no_session(api, staff):
    response = log_in(api, (staff[0], "not the password"))

    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert api.get("/staff", follow_redirects=False).status_code == 303


def test_logging_in_opens_the_inbox_with_the_new_request(api, hand_over, staff):
    handoff = hand_over()

    response = log_in(api, staff)
    inbox = api.get("/staff")

    assert response.status_code == 303 and response.headers["location"] == "/staff"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/staff" in cookie
    assert inbox.status_code == 200
    assert handoff["reference"] in inbox.text
    assert "Jordan Lee" in inbox.text and "IMS" in inbox.text and "Friday after 3" in inbox.text
    assert f'href="/staff/handoffs/{handoff["id"]}"' in inbox.text


def test_after_login_staff_go_back_where_they_were_going_but_never_off_site(api, staff):
    assert log_in(api, staff, "/staff/handoffs/3").headers["location"] == "/staff/handoffs/3"
    assert log_in(api, staff, "https://evil.example/staff").headers["location"] == "/staff"
    assert log_in(api, staff, "//evil.example/staff").headers["location"] == "/staff"


def test_the_inbox_shows_open_requests_first_then_newest_first(api, hand_over, staff):
    oldest = hand_over(name="Oldest Open")
    contacted = hand_over(name="Being Called")
    closed = hand_over(name="All Done")
    newest = hand_over(name="Newest Open")
    api.patch(f"/api/handoffs/{contacted['id']}", json={"status": "contacted"}, auth=staff)
    api.patch(
        f"/api/handoffs/{closed['id']}", json={"status": "closed", "close_reason": "no_answer"}, auth=staff
    )
    log_in(api, staff)

    text = api.get("/staff").text

    order = [text.index(h["reference"]) for h in (newest, oldest, contacted, closed)]
    assert order == sorted(order)


def test_the_inbox_filters_by_status_and_kind(api, hand_over, staff):
    booked = hand_over()
    asked = hand_over(kind="question", therapy=None, question="Do you take ICBC claims?")
    log_in(api, staff)

    questions = api.get("/staff?kind=question").text
    closed = api.get("/staff?status=closed").text

    assert asked["reference"] in questions and booked["reference"] not in questions
    assert '<option value="question" selected>' in questions
    assert "No requests here." in closed


def test_the_request_page_escapes_everything_the_patient_wrote(api, hand_over, staff):
    handoff = hand_over(
        name=XSS,
        preferred_time=XSS,
        reason=XSS,
        transcript=[{"who": "patient", "text": XSS}, {"who": "assistant", "text": "<b>hi</b>"}],
    )
    log_in(api, staff)

    for page in (api.get(f"/staff/handoffs/{handoff['id']}"), api.get("/staff")):
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<b>hi</b>" not in api.get(f"/staff/handoffs/{handoff['id']}").text


def test_the_request_page_shows_contact_fields_transcript_and_history(api, hand_over, staff):
    handoff = hand_over(reason="Sore neck", new_patient=False)
    log_in(api, staff)

    page = api.get(f"/staff/handoffs/{handoff['id']}").text

    for shown in ("Jordan Lee", 'href="tel:+16045550142"', "Friday after 3", "Sore neck", "Returning", "IMS"):
        assert shown in page
    assert "I&#39;d like to book IMS" in page
    assert "assistant" in page and "handed this over" in page


def test_staff_change_the_status_and_add_a_note_with_the_form(api, hand_over, staff):
    handoff = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}")
    assert '<label for="status">Status</label>' in page.text and '<label for="note">Note</label>' in page.text

    response = api.post(
        f"/staff/handoffs/{handoff['id']}",
        data={"csrf": csrf_of(page), "status": "contacted", "note": "Left a voicemail <b>"},
        follow_redirects=False,
    )
    after = api.get(response.headers["location"])

    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/handoffs/{handoff['id']}"
    assert "Saved." in after.text
    assert "Left a voicemail &lt;b&gt;" in after.text
    assert "changed status from new to contacted" in after.text
    stored = api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()
    assert stored["status"] == "contacted"
    assert [(n["author"], n["text"]) for n in stored["notes"]] == [("frontdesk", "Left a voicemail <b>")]
    assert [(h["who"], h["what"]) for h in stored["history"]][1:] == [
        ("frontdesk", "status"),
        ("frontdesk", "note"),
    ]


def test_the_form_offers_only_the_allowed_next_statuses(api, hand_over, staff):
    handoff = hand_over()
    log_in(api, staff)

    page = api.get(f"/staff/handoffs/{handoff['id']}").text

    assert '<option value="contacted">' in page and '<option value="closed">' in page
    assert '<option value="booked">' not in page


def test_a_refused_status_change_is_explained_and_changes_nothing(api, hand_over, staff):
    handoff = hand_over()
    log_in(api, staff)
    page = api.get(f"/staff/handoffs/{handoff['id']}")

    after = api.post(f"/staff/handoffs/{handoff['id']}", data={"csrf": csrf_of(page), "status": "booked"})

    assert "A request that is new cannot become booked" in after.text
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["status"] == "new"


def test_a_form_without_the_session_token_changes_nothing(api, hand_over, staff):
    handoff = hand_over()
    log_in(api, staff)

    after = api.post(f"/staff/handoffs/{handoff['id']}", data={"csrf": "forged", "status": "closed"})

    assert "That form had expired" in after.text
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).json()["status"] == "new"


def test_an_unknown_request_page_is_404(api, staff):
    log_in(api, staff)

    page = api.get("/staff/handoffs/42")

    assert page.status_code == 404
    assert "No request with id 42" in page.text


def test_logging_out_ends_the_session(api, staff):
    log_in(api, staff)
    page = api.get("/staff")

    api.post("/staff/logout", data={"csrf": csrf_of(page)})

    assert api.get("/staff", follow_redirects=False).status_code == 303


def test_removing_a_staff_account_ends_its_sessions(api, api_settings, staff):
    log_in(api, staff)
    assert api.get("/staff").status_code == 200

    with connect(api_settings.handoffs_db) as db:
        store.remove_staff(db, username=staff[0])

    assert api.get("/staff", follow_redirects=False).status_code == 303


def test_the_database_keeps_only_a_hash_of_the_session_id(api, api_settings, staff):
    log_in(api, staff)
    session_id = api.cookies.get("clinic_staff")

    with connect(api_settings.handoffs_db) as db:
        [row] = list(db.query("select * from staff_sessions"))
    assert row["key"] == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in json.dumps(row)
    assert row["username"] == staff[0]
