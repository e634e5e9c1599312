"""The web pages: for now a placeholder home page that says how to reach the assistant."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import SettingsDep

router = APIRouter(tags=["pages"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Placeholder home page until the chat widget lands."""
    return templates.TemplateResponse(request, "home.html", {"rasa_url": settings.public_rasa_url})
