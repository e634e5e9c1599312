"""/healthz tells anyone whether the assistant is up and which part is not, and only staff where each
part lives and why it is down."""

from __future__ import annotations

import pytest

from api.main import app
from api.settings import get_settings


def test_anyone_hears_which_part_is_down_but_not_where_or_why(api, api_settings):
    response = api.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "parts": {
            "api": {"status": "up"},
            "database": {"status": "up"},
            "rasa": {"status": "down"},
            "action_server": {"status": "down"},
        },
    }
    assert "127.0.0.1" not in response.text and "http" not in response.text


def test_staff_see_where_each_part_is_and_why_it_is_down(api, api_settings, staff):
    response = api.get("/healthz", auth=staff)

    assert response.status_code == 503
    parts = response.json()["parts"]
    assert parts["rasa"] == {"status": "down", "url": f"{api_settings.rasa_url}/", "detail": "ConnectError"}
    assert parts["action_server"]["url"] == f"{api_settings.action_server_url}/health"
    assert parts["database"] == {"status": "up"}


@pytest.mark.parametrize(
    "who", [("frontdesk", "not the password at all"), ("nobody", "correct horse battery")]
)
def test_wrong_staff_credentials_are_refused_not_quietly_given_the_short_answer(api, staff, who):
    response = api.get("/healthz", auth=who)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert "url" not in response.text


def test_the_short_answer_needs_no_database_even_when_credentials_come(api, api_settings, staff, tmp_path):
    from dataclasses import replace

    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    app.dependency_overrides[get_settings] = lambda: replace(
        api_settings, handoffs_db=blocker / "handoffs.db"
    )

    response = api.get("/healthz", auth=staff)

    assert response.status_code == 503
    assert response.json()["parts"]["database"] == {"status": "down"}


def test_the_schema_says_credentials_are_optional_here(api):
    operation = api.get("/openapi.json").json()["paths"]["/healthz"]["get"]

    assert operation["security"] == [{"Staff account": []}, {}]
    assert {"200", "401", "429", "503"} <= set(operation["responses"])
