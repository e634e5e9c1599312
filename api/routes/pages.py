"""The web pages: for now a placeholder home page that says how to reach the assistant."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SettingsDep
from api.rendering import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Placeholder home page until the chat widget lands."""
    return templates.TemplateResponse(request, "home.html", {"rasa_url": settings.public_rasa_url})
