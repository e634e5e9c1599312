"""Staff page sessions: Starlette's signed-cookie sessions, with the secret found on the first request."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.settings import ConfigurationError, Settings, get_settings

COOKIE = "clinic_staff"
MAX_AGE = 12 * 60 * 60  # a working day: a lost laptop's session does not outlive it by much


def session_secret(settings: Settings) -> str:
    """CLINIC_SESSION_SECRET, else a secret made once and kept (0600) in var/session_secret."""
    if settings.session_secret:
        return settings.session_secret
    return _secret_from_file(settings.session_secret_file)


@lru_cache(maxsize=8)
def _secret_from_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        # link() fails if the file exists: two processes starting at once agree on one secret.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ConfigurationError(
            f"{path} does not hold a usable session secret: delete it and the API makes a new one "
            "(staff then log in again), or set CLINIC_SESSION_SECRET."
        )
    return secret


def settings_of(app: object) -> Settings:
    """The settings the app runs with, honouring a test's dependency override."""
    overrides = getattr(app, "dependency_overrides", {})
    provider = overrides.get(get_settings, get_settings)
    settings: Settings = provider()
    return settings


class StaffSessions:
    """Cookie sessions for the /staff pages only; built lazily so nothing is read at import time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._sessions: Optional[SessionMiddleware] = None
        self._made_with: Optional[Tuple[str, bool]] = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/staff"):
            await self.app(scope, receive, send)
            return
        settings = settings_of(scope.get("app"))
        made_with = (session_secret(settings), settings.secure_cookies)
        if self._sessions is None or made_with != self._made_with:
            self._sessions = SessionMiddleware(
                self.app,
                secret_key=made_with[0],
                session_cookie=COOKIE,
                max_age=MAX_AGE,
                path="/staff",
                same_site="lax",
                https_only=settings.secure_cookies,
            )
            self._made_with = made_with
        await self._sessions(scope, receive, send)
