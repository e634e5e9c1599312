"""Staff sessions live on the server: logging out, a new password or a removed account ends them for
every copy of the cookie, logging out takes the form's token, and an expired session is gone."""

from __future__ import annotations

import io
import os
import re
import sys
from dataclasses import replace

import pytest

from api.cli import main
from api.db import connect
from api.main import app
from api.settings import get_settings

COOKIE = "clinic_staff"


def log_in(api, staff):
    response = api.post(
        "/staff/login", data={"username": staff[0], "password": staff[1]}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return api.cookies.get(COOKIE)


def csrf_of(page):
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def inbox_with(api, copied_cookie):
    """The inbox asked for with only a copy of a session cookie, as whoever copied it would."""
    api.cookies.clear()
    return api.get("/staff", headers={"Cookie": f"{COOKIE}={copied_cookie}"}, follow_redirects=False)


@pytest.fixture
def clinic(api_settings, monkeypatch, capsys):
    """`clinic ...` run in this process against the test's database: (exit code, out, err)."""
    monkeypatch.setenv("CLINIC_HANDOFFS_DB", str(api_settings.handoffs_db))
    umask = os.umask(0o022)
    os.umask(umask)

    def run(*args, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        return (code, *capsys.readouterr())

    yield run
    os.umask(umask)  # main() makes its process private: pytest's gets its own back


def test_a_cookie_copied_before_logout_opens_nothing_after_it(api, staff):
    copied = log_in(api, staff)
    page = api.get("/staff")
    assert inbox_with(api, copied).status_code == 200  # the copy works while the session lasts

    api.cookies.set(COOKIE, copied, path="/staff")
    logout = api.post("/staff/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)

    assert logout.status_code == 303 and logout.headers["location"] == "/staff/login"
    assert (
        'clinic_staff=""' in logout.headers["set-cookie"]
        and "max-age=0" in logout.headers["set-cookie"].lower()
    )
    after = inbox_with(api, copied)
    assert after.status_code == 303 and after.headers["location"].startswith("/staff/login")


def test_logging_out_without_the_forms_token_logs_nobody_out(api, staff):
    log_in(api, staff)

    for forged in ({}, {"csrf": "forged"}):
        response = api.post("/staff/logout", data=forged, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/staff/logout"

    assert "That form had expired: use the Log out button again." in api.get("/staff/logout").text
    assert api.get("/staff", follow_redirects=False).status_code == 200


def test_a_link_to_the_logout_page_only_shows_the_button(api, staff):
    log_in(api, staff)

    page = api.get("/staff/logout")

    assert page.status_code == 200
    assert '<form method="post" action="/staff/logout">' in page.text and "Log out</button>" in page.text
    assert api.get("/staff", follow_redirects=False).status_code == 200


def test_every_staff_page_offers_log_out_as_a_form_with_the_token_not_a_link(api, staff):
    log_in(api, staff)

    page = api.get("/staff")

    assert 'href="/staff/logout"' not in page.text
    assert '<form method="post" action="/staff/logout">' in page.text
    assert f'name="csrf" value="{csrf_of(page)}"' in page.text


@pytest.mark.parametrize(
    "command, stdin",
    [(("staff", "password", "frontdesk"), "a brand new password\n"), (("staff", "remove", "frontdesk"), "")],
)
def test_a_new_password_or_a_removed_account_ends_every_session_of_the_account(
    api, staff, clinic, command, stdin
):
    on_the_desk = log_in(api, staff)
    api.cookies.clear()
    on_a_laptop = log_in(api, staff)

    code, out, err = clinic(*command, stdin=stdin)

    assert code == 0, err
    assert "their 2 open session(s) have ended" in out
    for cookie in (on_the_desk, on_a_laptop):
        refused = inbox_with(api, cookie)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login")


def test_logging_in_again_starts_a_new_session_and_ends_the_old_one(api, staff):
    first = log_in(api, staff)

    second = log_in(api, staff)

    assert second != first
    assert inbox_with(api, second).status_code == 200
    assert inbox_with(api, first).status_code == 303


def expire_every_session(settings):
    with connect(settings.handoffs_db) as db, db.conn:
        db.execute("update staff_sessions set expires_at = '2000-01-01T00:00:00+00:00'")


def sessions_kept(settings):
    with connect(settings.handoffs_db) as db:
        return db.table("staff_sessions").count


def test_an_expired_session_opens_nothing_and_is_deleted_at_the_next_login(api, api_settings, staff):
    old = log_in(api, staff)
    expire_every_session(api_settings)

    assert inbox_with(api, old).status_code == 303
    assert sessions_kept(api_settings) == 1
    log_in(api, staff)
    assert sessions_kept(api_settings) == 1  # the expired one went, the new one is there


def test_clinic_purge_deletes_expired_sessions(api, api_settings, staff, clinic):
    log_in(api, staff)
    expire_every_session(api_settings)

    code, out, err = clinic("purge", "--older-than", "90d")

    assert code == 0, err
    assert "Deleted 1 expired staff session(s)." in out
    assert sessions_kept(api_settings) == 0


def test_a_made_up_session_id_opens_nothing(api, staff):
    log_in(api, staff)

    assert inbox_with(api, "not-a-session-id").status_code == 303
    assert inbox_with(api, "").status_code == 303


def test_behind_tls_the_session_cookie_is_secure_and_still_works(api_settings, staff):
    from fastapi.testclient import TestClient

    app.dependency_overrides[get_settings] = lambda: replace(api_settings, secure_cookies=True)
    try:
        with TestClient(app, base_url="https://testserver") as over_tls:
            response = over_tls.post(
                "/staff/login", data={"username": staff[0], "password": staff[1]}, follow_redirects=False
            )
            inbox = over_tls.get("/staff", follow_redirects=False)
    finally:
        app.dependency_overrides.clear()

    assert "; secure" in response.headers["set-cookie"].lower()
    assert inbox.status_code == 200
