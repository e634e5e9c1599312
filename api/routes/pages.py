"""The web pages: the clinic's demo page, with the chat widget in the corner."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.content import site_content
from api.deps import SettingsDep
from api.rendering import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The clinic's page about IMS and acupuncture, from clinic.yml and content/, with the chat widget."""
    content = await run_in_threadpool(site_content, settings)
    context = {
        "rasa_url": settings.public_rasa_url,
        "clinic": content.clinic,
        "page": content.page,
        "sections": content.sections(),
        "widget": content.widget,
    }
    return templates.TemplateResponse(request, "home.html", context)
