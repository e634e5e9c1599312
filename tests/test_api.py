"""The API on its own: health reports a part that is down; the home page embeds the chat widget."""

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import app
from api.settings import Settings, get_settings
from scripts.stack import free_port


def client_with_nothing_running(var: Path) -> TestClient:
    nowhere = f"http://127.0.0.1:{free_port()}"
    app.dependency_overrides[get_settings] = lambda: Settings(
        rasa_url=nowhere,
        action_server_url=nowhere,
        public_rasa_url="http://localhost:5005",
        handoffs_db=var / "handoffs.db",
    )
    return TestClient(app)


def test_health_is_503_and_names_the_parts_that_are_down(tmp_path):
    try:
        response = client_with_nothing_running(tmp_path).get("/healthz")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["parts"]["api"]["status"] == "up"
    assert body["parts"]["database"]["status"] == "up"
    assert body["parts"]["rasa"]["status"] == "down"
    assert body["parts"]["action_server"]["status"] == "down"


def test_the_home_page_is_html_with_the_chat_widget(tmp_path):
    try:
        response = client_with_nothing_running(tmp_path).get("/")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'src="/static/widget.js" data-rasa-url="http://localhost:5005"' in response.text


def test_health_reports_a_database_it_cannot_open(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    try:
        response = client_with_nothing_running(blocker).get("/healthz")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 503
    assert response.json()["parts"]["database"]["status"] == "down"
