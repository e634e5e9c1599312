"""GET /healthz: is each part of the assistant up?"""

from __future__ import annotations

import asyncio
from typing import Dict

import httpx
from fastapi import APIRouter, Response

from api.deps import SettingsDep

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


@router.get("/healthz")
async def healthz(settings: SettingsDep, response: Response) -> Dict[str, object]:
    """Reports the API itself, Rasa and the action server; 503 when any part is down."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        rasa, actions = await asyncio.gather(
            _check(client, f"{settings.rasa_url}/"),
            _check(client, f"{settings.action_server_url}/health"),
        )
    parts = {"api": {"status": "up"}, "rasa": rasa, "action_server": actions}
    healthy = all(part["status"] == "up" for part in parts.values())
    if not healthy:
        response.status_code = 503
    return {"status": "ok" if healthy else "degraded", "parts": parts}
