"""The API's reference pages load scripts from a CDN next to the staff pages: off unless asked for."""

from __future__ import annotations

from dataclasses import replace

import pytest

from api.main import app
from api.settings import Settings, get_settings


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_reference_pages_are_not_there_by_default(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert "cdn" not in response.text


def test_the_machine_readable_schema_stays(api):
    assert api.get("/openapi.json").json()["info"]["title"] == "Clinic assistant API"


@pytest.mark.parametrize("path, page", [("/docs", "swagger-ui"), ("/redoc", "redoc")])
def test_clinic_api_docs_true_turns_them_on_without_the_content_policy_they_cannot_work_under(
    api, api_settings, path, page
):
    app.dependency_overrides[get_settings] = lambda: replace(api_settings, api_docs=True)

    response = api.get(path)

    assert response.status_code == 200
    assert page in response.text and "/openapi.json" in response.text
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


def test_the_setting_is_read_from_the_environment_and_off_unless_set():
    assert Settings.from_env({}).api_docs is False
    assert Settings.from_env({"CLINIC_API_DOCS": "true"}).api_docs is True
