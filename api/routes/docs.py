"""/docs and /redoc: the API's reference pages, off unless CLINIC_API_DOCS=true.

FastAPI's pages load Swagger UI and ReDoc from a CDN, unpinned, on the same origin as the staff pages:
whoever serves those scripts could act as a logged-in staff member. So they are off by default; the
machine-readable /openapi.json stays (it holds no secrets and the schema tests read it).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep

router = APIRouter(include_in_schema=False)
TITLE = "Clinic assistant API"


def _only_if_asked_for(settings: SettingsDep) -> None:
    if not settings.api_docs:
        raise HTTPException(status_code=404, detail="Not Found")


@router.get("/docs")
def swagger(settings: SettingsDep) -> HTMLResponse:
    _only_if_asked_for(settings)
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{TITLE} - Swagger UI")


@router.get("/redoc")
def redoc(settings: SettingsDep) -> HTMLResponse:
    _only_if_asked_for(settings)
    return get_redoc_html(openapi_url="/openapi.json", title=f"{TITLE} - ReDoc")
