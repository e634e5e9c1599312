"""GET /healthz: is each part of the assistant up?

Anyone may ask (a load balancer, a monitor): they hear ok or degraded and which part is down. Where
each part lives and why it is down (URLs, error names) is for staff only, with HTTP Basic, counted
against the lock-out like every other staff login.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict

import httpx
from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.db import connect
from api.deps import SettingsDep, StaffIfAnyDep
from api.models import Health, Problem

router = APIRouter(tags=["health"])
TIMEOUT = httpx.Timeout(2.0)


async def _check(client: httpx.AsyncClient, url: str) -> Dict[str, str]:
    try:
        response = await client.get(url)
    except httpx.HTTPError as error:
        return {"status": "down", "url": url, "detail": type(error).__name__}
    if response.status_code >= 400:
        return {"status": "down", "url": url, "detail": f"HTTP {response.status_code}"}
    return {"status": "up", "url": url}


def _database(path: Path) -> Dict[str, str]:
    try:
        db = connect(path)
        try:
            db.execute("select count(*) from handoffs").fetchone()
        finally:
            db.close()
    except Exception as error:  # whatever it is, the answer is "down" and its name
        return {"status": "down", "detail": type(error).__name__}
    return {"status": "up"}


def _for_anyone(parts: Dict[str, Dict[str, str]]) -> Dict[str, Dict[str, str]]:
    """Each part up or down, without its URL or why: those describe the inside of the clinic's setup."""
    return {name: {"status": part["status"]} for name, part in parts.items()}


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    responses={
        503: {"model": Health, "description": "A part is down: the body says which (and, to staff, why)"},
        401: {"model": Problem, "description": "Staff credentials that are wrong"},
        429: {"model": Problem, "description": "Too many failed logins: see Retry-After"},
    },
    # Credentials are optional here: without them the answer is the short one.
    openapi_extra={"security": [{}]},
)
async def healthz(settings: SettingsDep, response: Response, staff: StaffIfAnyDep) -> Dict[str, Any]:
    """Reports the API itself, its database, Rasa and the action server; 503 when any part is down.
    With a staff account (HTTP Basic) each part also says where it is and why it is down."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        rasa, actions, database = await asyncio.gather(
            _check(client, f"{settings.rasa_url}/"),
            _check(client, f"{settings.action_server_url}/health"),
            run_in_threadpool(_database, settings.handoffs_db),
        )
    parts = {"api": {"status": "up"}, "database": database, "rasa": rasa, "action_server": actions}
    healthy = all(part["status"] == "up" for part in parts.values())
    if not healthy:
        response.status_code = 503
    return {"status": "ok" if healthy else "degraded", "parts": parts if staff else _for_anyone(parts)}
