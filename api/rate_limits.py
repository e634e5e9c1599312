"""How often a client may hand requests over, and the staff login's lock-out after failed passwords.

A client is its address as uvicorn sees it (behind the clinic's reverse proxy on this machine, uvicorn
reads X-Forwarded-For). Limits live in memory, one set per settings, so each test starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.settings import Settings, get_settings
from api.throttle import SlidingWindow

SettingsDep = Annotated[Settings, Depends(get_settings)]
LOCKOUT_SECONDS = 15 * 60
FAILED_LOGINS_PER_ACCOUNT = 5  # then that account is locked for LOCKOUT_SECONDS
FAILED_LOGINS_PER_CLIENT = 20  # one address trying many accounts


@dataclass(frozen=True)
class Limits:
    handoffs: SlidingWindow
    failed_logins_by_account: SlidingWindow
    failed_logins_by_client: SlidingWindow


@lru_cache(maxsize=16)
def limits_for(settings: Settings) -> Limits:
    return Limits(
        handoffs=SlidingWindow(settings.handoff_limit_per_minute, 60.0),
        failed_logins_by_account=SlidingWindow(FAILED_LOGINS_PER_ACCOUNT, LOCKOUT_SECONDS),
        failed_logins_by_client=SlidingWindow(FAILED_LOGINS_PER_CLIENT, LOCKOUT_SECONDS),
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(detail: str, retry_after: int) -> HTTPException:
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(retry_after)})


class Logins:
    """Failed staff logins, by account and by client; either over its limit locks further tries out."""

    def __init__(self, limits: Limits, request: Request) -> None:
        self.limits = limits
        self.client = client_of(request)

    def locked_for(self, username: str) -> int:
        """Seconds until `username` may try again from this client (0: now)."""
        return max(
            self.limits.failed_logins_by_account.retry_after(username.lower()),
            self.limits.failed_logins_by_client.retry_after(self.client),
        )

    def failed(self, username: str) -> None:
        self.limits.failed_logins_by_account.add(username.lower())
        self.limits.failed_logins_by_client.add(self.client)

    def succeeded(self, username: str) -> None:
        self.limits.failed_logins_by_account.forget(username.lower())


def locked_out(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"Too many failed logins: try again in {minutes} minute{'s' if minutes > 1 else ''}."


def limit_handoffs(request: Request, settings: SettingsDep) -> None:
    """Raises 429 when this client has handed over too many requests in the last minute."""
    window = limits_for(settings).handoffs
    client = client_of(request)
    if not window.take(client):
        raise too_many(
            "Too many requests from this client: wait a minute and send again (the same "
            "Idempotency-Key creates it once).",
            window.retry_after(client),
        )


def logins(request: Request, settings: SettingsDep) -> Logins:
    return Logins(limits_for(settings), request)


LoginsDep = Annotated[Logins, Depends(logins)]
