"""The clinic's staff API, as the action server sees it: hand off a request, idempotently."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict

import httpx

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# Answers that mean this very request can never be accepted: retrying it is pointless.
PERMANENT = {400, 409, 413, 422}


class ApiUnavailable(Exception):
    """The API could not be reached or failed (5xx): try again later."""


class ApiRejected(Exception):
    """The API refused the request (4xx): retrying the same request won't help."""


@dataclass(frozen=True)
class ApiSettings:
    url: str
    token: str

    @classmethod
    def from_env(cls) -> ApiSettings:
        return cls(
            url=os.environ.get("CLINIC_API_URL", "http://localhost:8000").rstrip("/"),
            token=os.environ.get("CLINIC_BOT_TOKEN", ""),
        )


def hand_off(payload: Dict[str, Any], idempotency_key: str, api: ApiSettings) -> Dict[str, Any]:
    """POST /api/handoffs; the same key always yields the same request, never a second one."""
    try:
        response = httpx.post(
            f"{api.url}/api/handoffs",
            json=payload,
            headers={"Authorization": f"Bearer {api.token}", "Idempotency-Key": idempotency_key},
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        raise ApiUnavailable(type(error).__name__) from error
    if response.status_code in PERMANENT:
        raise ApiRejected(f"HTTP {response.status_code}")
    if response.status_code >= 300:
        # Anything else (down, misconfigured token, not deployed yet) may be fixed: keep retrying.
        raise ApiUnavailable(f"HTTP {response.status_code}")
    return response.json()
