"""What a browser or a script on the internet meets at the API: security headers, no framing, no
caching of patient data, a lock-out after failed staff logins and a limit on requests handed over."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.mark.parametrize("path", ["/", "/staff/login", "/api/widget/config", "/healthz"])
def test_every_page_says_what_the_browser_may_load_and_forbids_framing(api, path):
    headers = api.get(path).headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_the_chat_may_talk_to_rasa_and_nowhere_else(api, api_settings):
    policy = api.get("/").headers["content-security-policy"]
    connect = next(part for part in policy.split("; ") if part.startswith("connect-src"))
    assert connect.split()[1:] == ["'self'", api_settings.public_rasa_url, "ws://127.0.0.1:9"]


@pytest.mark.parametrize("path", ["/", "/staff/login"])
def test_the_pages_have_no_inline_script_or_style_for_the_policy_to_block(api, path):
    page = api.get(path).text
    assert "<style" not in page and " style=" not in page
    assert "<script>" not in page and "onclick=" not in page


def test_requests_and_staff_pages_are_never_cached(api, staff, hand_over):
    hand_over()
    assert api.get("/api/handoffs", auth=staff).headers["cache-control"] == "no-store"
    assert api.get("/staff/login").headers["cache-control"] == "no-store"


def test_behind_tls_browsers_are_told_to_stay_on_https(api, api_settings):
    from api.main import app
    from api.settings import get_settings

    assert "strict-transport-security" not in api.get("/").headers
    app.dependency_overrides[get_settings] = lambda: dataclasses.replace(api_settings, secure_cookies=True)
    assert api.get("/").headers["strict-transport-security"].startswith("max-age=")


def test_the_staff_session_cookie_is_http_only_and_same_site(api, staff):
    response = api.post(
        "/staff/login", data={"username": staff[0], "password": staff[1]}, follow_redirects=False
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/staff" in cookie


def test_five_wrong_passwords_lock_the_login_form(api, staff):
    for _ in range(5):
        wrong = api.post("/staff/login", data={"username": staff[0], "password": "not the password"})
        assert wrong.status_code == 401
    locked = api.post("/staff/login", data={"username": staff[0], "password": staff[1]})
    assert locked.status_code == 429
    assert "Too many failed logins: try again in 15 minutes." in locked.text
    assert int(locked.headers["retry-after"]) > 800


def test_the_lock_out_covers_the_api_too(api, staff):
    for _ in range(5):
        assert api.get("/api/handoffs", auth=(staff[0], "guess number n")).status_code == 401
    locked = api.get("/api/handoffs", auth=staff)
    assert locked.status_code == 429
    assert locked.json()["detail"].startswith("Too many failed logins")


def test_a_right_password_clears_earlier_mistakes(api, staff):
    for _ in range(4):
        api.post("/staff/login", data={"username": staff[0], "password": "typo typo typo"})
    assert api.get("/api/handoffs", auth=staff).status_code == 200
    for _ in range(4):
        api.post("/staff/login", data={"username": staff[0], "password": "typo typo typo"})
    assert api.get("/api/handoffs", auth=staff).status_code == 200


def test_one_address_cannot_try_many_accounts(api, staff):
    for n in range(20):
        api.post("/staff/login", data={"username": f"guess{n}", "password": "password123"})
    assert api.post("/staff/login", data={"username": staff[0], "password": staff[1]}).status_code == 429


def test_a_client_handing_over_too_many_requests_is_told_to_wait(api, api_settings, bot, hand_over):
    from api.main import app
    from api.settings import get_settings

    app.dependency_overrides[get_settings] = lambda: dataclasses.replace(
        api_settings, handoff_limit_per_minute=3
    )
    for _ in range(3):
        hand_over()
    refused = api.post("/api/handoffs", json={"kind": "question", "question": "Hi?"}, headers=bot)
    assert refused.status_code == 429
    assert "Idempotency-Key" in refused.json()["detail"]
    assert 0 < int(refused.headers["retry-after"]) <= 60
