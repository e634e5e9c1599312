"""Every limit the API keeps: request bodies over 64 KB are refused, a client may hand over so many
requests a minute, and a staff account is locked after failed passwords.

A client is its address as uvicorn sees it (behind the clinic's reverse proxy on this machine, uvicorn
reads X-Forwarded-For). Rate limits live in memory, one set per settings, so each test starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings, get_settings
from clinic.limits import SlidingWindow

SettingsDep = Annotated[Settings, Depends(get_settings)]

MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = "The request is too large: the limit is 64 KB"


class BodyTooLarge(StarletteHTTPException):
    """An HTTPException so that FastAPI's body parsing lets it through as a 413."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # Raised where no exception handler saw it (e.g. a form parser): answer here if we still can.
            if started:
                raise
            await JSONResponse({"detail": TOO_LARGE}, status_code=413)(scope, receive, send)


LOCKOUT_SECONDS = 15 * 60
FAILED_LOGINS_PER_ACCOUNT = 5  # then that account is locked for LOCKOUT_SECONDS
FAILED_LOGINS_PER_CLIENT = 20  # one address trying many accounts
LOGIN_KEYS = 100_000


@dataclass(frozen=True)
class Limits:
    handoffs: SlidingWindow
    failed_logins_by_account: SlidingWindow
    failed_logins_by_client: SlidingWindow


@lru_cache(maxsize=16)
def limits_for(settings: Settings) -> Limits:
    return Limits(
        handoffs=SlidingWindow(settings.handoff_limit_per_minute, 60.0),
        # Room for many accounts and addresses, so a flood of made-up names cannot push a locked one out.
        failed_logins_by_account=SlidingWindow(
            FAILED_LOGINS_PER_ACCOUNT, LOCKOUT_SECONDS, max_keys=LOGIN_KEYS
        ),
        failed_logins_by_client=SlidingWindow(FAILED_LOGINS_PER_CLIENT, LOCKOUT_SECONDS, max_keys=LOGIN_KEYS),
    )


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(detail: str, retry_after: int) -> HTTPException:
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": str(retry_after)})


class Logins:
    """Staff logins, by account and by client: every try counts until it turns out right, so tries made
    at the same moment cannot all slip past the limit while their passwords are being checked."""

    def __init__(self, limits: Limits, request: Request) -> None:
        self.limits = limits
        self.client = client_of(request)

    def attempt(self, username: str) -> int:
        """Counts a try; returns 0 when it may go ahead, else the seconds until the lock-out ends."""
        account, client = self.limits.failed_logins_by_account, self.limits.failed_logins_by_client
        if not account.take(username.lower()):
            return account.retry_after(username.lower())
        if not client.take(self.client):
            account.give_back(username.lower())
            return client.retry_after(self.client)
        return 0

    def succeeded(self, username: str) -> None:
        """A right password: the account's earlier mistakes are forgiven, and this try is not one."""
        self.limits.failed_logins_by_account.forget(username.lower())
        self.limits.failed_logins_by_client.give_back(self.client)


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
