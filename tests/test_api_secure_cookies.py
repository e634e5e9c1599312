"""Staff cookies are Secure unless the staff pages are on plain http://localhost (`make run`), where
browsers, scripts and tests log in without TLS."""

from __future__ import annotations

import pytest

from api.settings import ConfigurationError, Settings


@pytest.mark.parametrize(
    "env, secure",
    [
        ({}, False),  # `make run`: http://localhost:8000/staff
        ({"CLINIC_STAFF_URL": "http://127.0.0.1:8000/staff"}, False),
        ({"CLINIC_STAFF_URL": "https://assistant.clinic.example/staff"}, True),
        (
            {"CLINIC_STAFF_URL": "http://assistant.clinic.example/staff"},
            True,
        ),  # no TLS there: no login either
        (
            {"CLINIC_STAFF_URL": "https://assistant.clinic.example/staff", "CLINIC_SECURE_COOKIES": "false"},
            False,
        ),
        ({"CLINIC_SECURE_COOKIES": "true"}, True),
    ],
)
def test_cookies_are_secure_except_on_plain_http_localhost(env, secure):
    assert Settings.from_env(env).secure_cookies is secure


def test_settings_made_in_code_follow_the_same_rule():
    nowhere = "http://127.0.0.1:9"
    made = Settings(rasa_url=nowhere, action_server_url=nowhere, public_rasa_url=nowhere)
    behind_tls = Settings(
        rasa_url=nowhere,
        action_server_url=nowhere,
        public_rasa_url=nowhere,
        staff_url="https://c.example/staff",
    )

    assert made.secure_cookies is False and behind_tls.secure_cookies is True


def test_a_value_that_is_not_yes_or_no_stops_the_api_with_how_to_fix_it():
    with pytest.raises(ConfigurationError, match="CLINIC_SECURE_COOKIES='maybe' is not a yes/no value"):
        Settings.from_env({"CLINIC_SECURE_COOKIES": "maybe"})


def test_off_localhost_the_login_cookie_is_secure(api, api_settings, staff):
    from dataclasses import replace

    from api.main import app
    from api.settings import get_settings

    app.dependency_overrides[get_settings] = lambda: replace(
        api_settings, staff_url="https://assistant.clinic.example/staff", secure_cookies=None
    )

    response = api.post(
        "/staff/login", data={"username": staff[0], "password": staff[1]}, follow_redirects=False
    )

    assert "; secure" in response.headers["set-cookie"].lower()
