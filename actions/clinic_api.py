"""The clinic's staff API, as the action server sees it: hand off a request, idempotently.

Called from the outbox's delivery thread only, never from the action server's event loop.
"""

from __future__ import annotations

from typing import Any, Dict

import httpx

from actions.settings import Settings

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# Answers that mean this very request can never be accepted: retrying it is pointless.
PERMANENT = {400, 409, 413, 422}


class ApiUnavailable(Exception):
    """The API could not be reached or failed (5xx): try again later."""


class ApiRejected(Exception):
    """The API refused the request (4xx): retrying the same request won't help."""


def hand_off(payload: Dict[str, Any], idempotency_key: str, settings: Settings) -> Dict[str, Any]:
    """POST /api/handoffs; the same key always yields the same request, never a second one."""
    try:
        response = httpx.post(
            f"{settings.api_url}/api/handoffs",
            json=payload,
            headers={"Authorization": f"Bearer {settings.bot_token}", "Idempotency-Key": idempotency_key},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        raise ApiUnavailable(type(error).__name__) from error
    if response.status_code in PERMANENT:
        raise ApiRejected(f"HTTP {response.status_code}")
    if response.status_code >= 300:
        # Anything else (down, misconfigured token, not deployed yet) may be fixed: keep retrying.
        raise ApiUnavailable(f"HTTP {response.status_code}")
    result: Dict[str, Any] = response.json()
    return result
