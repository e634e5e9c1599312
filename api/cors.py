"""CORS for the chat widget's public endpoints only, from CLINIC_ALLOWED_ORIGINS, built on first use."""

from __future__ import annotations

from typing import Optional, Tuple

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.settings import settings_of

# A clinic's site on another origin embeds the widget, which calls these; nothing else is shared.
PUBLIC_PATHS = ("/api/widget/config", "/api/feedback")


class WidgetCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._cors: Optional[CORSMiddleware] = None
        self._made_with: Optional[Tuple[str, ...]] = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        origins = settings_of(scope.get("app")).allowed_origins
        if self._cors is None or origins != self._made_with:
            self._cors = CORSMiddleware(
                self.app,
                allow_origins=list(origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
                max_age=3600,
            )
            self._made_with = origins
        await self._cors(scope, receive, send)
