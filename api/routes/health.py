"""GET /healthz: is each part of the assistant up?"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Dict

import httpx
from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from api.db import connect
from api.deps import SettingsDep
from api.models import Health

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


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    responses={503: {"model": Health, "description": "A part is down: the body says which and why"}},
)
async def healthz(settings: SettingsDep, response: Response) -> Dict[str, object]:
    """Reports the API itself, its database, Rasa and the action server; 503 when any part is down."""
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
    return {"status": "ok" if healthy else "degraded", "parts": parts}
