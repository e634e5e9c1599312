"""Administration in the staff pages (#17, part 9): everyone changes their own password; a clinic
manager runs the team's accounts (front desk or manager); the CLI stays and learns the roles."""

from __future__ import annotations

import pytest

from api import store
from api.auth import hash_password
from api.db import connect
from tests.test_staff_pages import csrf_of, log_in

MANAGER = ("morgan", "the manager's long password")


@pytest.fixture
def manager(api_settings):
    with connect(api_settings.handoffs_db) as db:
        store.add_staff(db, username=MANAGER[0], password_hash=hash_password(MANAGER[1]), role="manager")
    return MANAGER


def change_password(api, current, new, again=None):
    page = api.get("/staff/account")
    return api.post(
        "/staff/account/password",
        data={
            "csrf": csrf_of(page),
            "current": current,
            "new": new,
            "again": new if again is None else again,
        },
    )


def test_staff_change_their_own_password_and_other_sessions_end(api, staff):
    from fastapi.testclient import TestClient

    from api.main import app

    log_in(api, staff)
    with TestClient(app) as phone:  # the same person, logged in on another device
        log_in(phone, staff)
        assert phone.get("/staff", follow_redirects=False).status_code == 200

        changed = change_password(api, staff[1], "a brand new passphrase")

        assert "Password changed. You are logged out everywhere else." in changed.text
        assert api.get("/staff", follow_redirects=False).status_code == 200  # this browser carries on
        assert phone.get("/staff", follow_redirects=False).status_code == 303  # the other one is out
    assert api.get("/api/handoffs", auth=(staff[0], "a brand new passphrase")).status_code == 200
    assert api.get("/api/handoffs", auth=staff).status_code == 401


@pytest.mark.parametrize(
    "current, new, again, says",
    [
        ("not my password", "a brand new passphrase", None, "That is not your current password"),
        (
            "correct horse battery",
            "a brand new passphrase",
            "a different one",
            "The two new passwords differ",
        ),
        ("correct horse battery", "password1234", None, "one of the most common ones"),
        ("correct horse battery", "short", None, "at least 12 characters"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(api, staff, current, new, again, says):
    log_in(api, staff)

    refused = change_password(api, current, new, again)

    assert says in refused.text and "Password changed" not in refused.text
    assert api.get("/api/handoffs", auth=staff).status_code == 200


def test_wrong_current_passwords_count_towards_the_lock_out(api, staff):
    log_in(api, staff)
    for _ in range(5):
        change_password(api, "wrong guess at it", "a brand new passphrase")

    locked = change_password(api, staff[1], "a brand new passphrase")

    assert "try again in" in locked.text and "Password changed" not in locked.text


def test_the_password_form_needs_the_session_token(api, staff):
    log_in(api, staff)

    forged = api.post(
        "/staff/account/password",
        data={
            "csrf": "forged",
            "current": staff[1],
            "new": "a brand new passphrase",
            "again": "a brand new passphrase",
        },
    )

    assert "That form had expired" in forged.text
    assert api.get("/api/handoffs", auth=staff).status_code == 200


def test_the_team_page_is_for_managers_only(api, staff, manager):
    assert api.get("/staff/team", follow_redirects=False).status_code == 303
    log_in(api, staff)
    front_desk = api.get("/staff/team")
    front_desk_post = api.post("/staff/team", data={"csrf": "x", "username": "eve", "password": "p" * 20})
    inbox = api.get("/staff").text
    log_in(api, manager)
    managers = api.get("/staff/team")

    assert front_desk.status_code == 403 and "Only a clinic manager can open this page" in front_desk.text
    assert front_desk_post.status_code == 403
    assert 'href="/staff/team"' not in inbox and 'href="/staff/account"' in inbox
    assert managers.status_code == 200 and 'href="/staff/team" aria-current="page"' in managers.text
    assert "frontdesk" in managers.text and "morgan" in managers.text


def test_a_manager_adds_a_colleague_who_can_log_in(api, manager):
    log_in(api, manager)
    page = api.get("/staff/team")

    added = api.post(
        "/staff/team",
        data={
            "csrf": csrf_of(page),
            "username": "kim",
            "password": "first long passphrase here",
            "role": "front_desk",
        },
    )
    weak = api.post(
        "/staff/team", data={"csrf": csrf_of(page), "username": "lee", "password": "password123!"}
    )
    twice = api.post(
        "/staff/team",
        data={"csrf": csrf_of(page), "username": "kim", "password": "first long passphrase here"},
    )

    assert "Added kim (front desk)." in added.text
    assert "Nothing was added." in weak.text and "common" in weak.text
    assert "There is already a staff account called &#39;kim&#39;" in twice.text
    assert api.get("/api/handoffs", auth=("kim", "first long passphrase here")).status_code == 200


def test_a_manager_changes_roles_and_removes_accounts_but_the_clinic_keeps_a_manager(api, staff, manager):
    log_in(api, manager)
    page = api.get("/staff/team")
    token = csrf_of(page)

    promoted = api.post(
        "/staff/team/accounts/frontdesk", data={"csrf": token, "action": "role", "role": "manager"}
    )
    api.post("/staff/team/accounts/frontdesk", data={"csrf": token, "action": "role", "role": "front_desk"})
    last = api.post(
        "/staff/team/accounts/morgan", data={"csrf": token, "action": "role", "role": "front_desk"}
    )
    myself = api.post("/staff/team/accounts/morgan", data={"csrf": token, "action": "remove"})
    forged = api.post("/staff/team/accounts/frontdesk", data={"csrf": "forged", "action": "remove"})
    removed = api.post("/staff/team/accounts/frontdesk", data={"csrf": token, "action": "remove"})

    assert "frontdesk is now manager." in promoted.text
    assert "The clinic needs at least one manager" in last.text
    assert "You cannot remove your own account" in myself.text
    assert "That form had expired" in forged.text
    assert "Removed frontdesk; their 0 open session(s) ended." in removed.text
    assert api.get("/api/handoffs", auth=staff).status_code == 401


def test_the_login_page_points_to_the_manager_not_the_command_line(api):
    page = api.get("/staff/login").text

    assert "Ask your clinic manager." in page and "clinic staff add" not in page


def test_existing_accounts_keep_working_as_front_desk_after_the_migration(tmp_path):
    import sqlite3

    from sqlite_utils import Database

    from api.db import migrations

    path = tmp_path / "handoffs.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m006_staff_roles")
    old["staff"].insert(
        {
            "username": "robin",
            "password_hash": hash_password("a long enough password"),
            "created_at": "2026-01-01",
        }
    )
    old.conn.commit()
    old.conn.close()

    db = connect(path)

    assert store.list_staff(db) == [{"username": "robin", "role": "front_desk", "created_at": "2026-01-01"}]


def test_a_manager_downloads_every_request_as_formula_safe_csv(api, manager, hand_over):
    import csv
    import io

    hand_over(name='=HYPERLINK("http://evil.example")')
    closed = hand_over(name="Closed Patient")
    api.patch(
        f"/api/handoffs/{closed['id']}", json={"status": "closed", "close_reason": "spam"}, auth=manager
    )
    log_in(api, manager)
    page = api.get("/staff/team")

    download = api.post("/staff/team/export", data={"csrf": csrf_of(page)})
    forged = api.post("/staff/team/export", data={"csrf": "forged"})

    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith('attachment; filename="requests-')
    assert download.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows[0]["name"].startswith("'=")
    assert (rows[1]["name"], rows[1]["status"], rows[1]["close_reason"]) == (
        "Closed Patient",
        "closed",
        "spam",
    )
    assert "That form had expired" in forged.text and "text/csv" not in forged.headers["content-type"]


def test_a_front_desk_account_cannot_export_or_forget(api, staff, hand_over):
    handoff = hand_over()
    log_in(api, staff)
    token = csrf_of(api.get("/staff"))

    export = api.post("/staff/team/export", data={"csrf": token})
    forget = api.post(
        "/staff/team/forget", data={"csrf": token, "reference": handoff["reference"], "confirm": "yes"}
    )

    assert export.status_code == 403 and forget.status_code == 403
    assert api.get(f"/api/handoffs/{handoff['id']}", auth=staff).status_code == 200


def test_a_manager_forgets_a_patient_after_confirming(api, api_settings, manager, hand_over):
    gone = hand_over(name="Forget Me", conversation_id="conversation-to-forget")
    kept = hand_over(name="Keep Me")
    log_in(api, manager)
    token = csrf_of(api.get("/staff/team"))

    unconfirmed = api.post("/staff/team/forget", data={"csrf": token, "reference": gone["reference"]})
    unknown = api.post("/staff/team/forget", data={"csrf": token, "reference": "REQ-22222", "confirm": "yes"})
    forgotten = api.post(
        "/staff/team/forget", data={"csrf": token, "reference": gone["reference"].lower(), "confirm": "yes"}
    )

    assert "Tick the box to confirm" in unconfirmed.text
    assert "There is no request with reference REQ-22222. Nothing was deleted." in unknown.text
    assert f"Forgot {gone['reference']}" in forgotten.text
    assert api.get(f"/api/handoffs/{gone['id']}", auth=manager).status_code == 404
    assert api.get(f"/api/handoffs/{kept['id']}", auth=manager).status_code == 200
    assert b"Forget Me" not in api_settings.handoffs_db.read_bytes()


def test_the_team_page_keeps_an_activity_log_without_patient_details(api, manager, hand_over):
    gone = hand_over(name="Activity Patient")
    log_in(api, manager)
    token = csrf_of(api.get("/staff/team"))
    api.post("/staff/team", data={"csrf": token, "username": "kim", "password": "first long passphrase here"})
    api.post("/staff/team/accounts/kim", data={"csrf": token, "action": "role", "role": "manager"})
    api.post("/staff/team/export", data={"csrf": token})
    api.post("/staff/team/forget", data={"csrf": token, "reference": gone["reference"], "confirm": "yes"})
    api.post("/staff/team/accounts/kim", data={"csrf": token, "action": "remove"})

    page = api.get("/staff/team").text
    log = page[page.index("<h2>Activity</h2>") : page.index("Every request as a spreadsheet")]

    lines = [line.split(": ", 1)[1].split("</li>")[0] for line in log.split("</time>")[1:]]
    assert lines == [
        "morgan removed an account (kim)",
        f"morgan forgot a patient ({gone['reference']})",
        "morgan downloaded every request (1 request)",
        "morgan changed a role (kim: manager)",
        "morgan added an account (kim (front desk))",
    ]
    assert "Activity Patient" not in log
