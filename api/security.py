"""Security headers on every response: what the browser may load, no framing, no caching of patient data.

The pages load only the clinic's own files (no inline script or style, no third-party host), the chat
talks to Rasa (PUBLIC_RASA_URL) and nothing else, and no other site may show our pages in a frame.
The API's own reference pages (/docs, /redoc, off unless CLINIC_API_DOCS=true) load FastAPI's Swagger
and ReDoc from a CDN, so they get the same headers without the content policy.
"""

from __future__ import annotations

from functools import lru_cache
from typing import List, Tuple
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings, settings_of

REFERENCE_PAGES = ("/docs", "/redoc")
# Requests, conversations and staff pages: never kept by a browser or a proxy.
PRIVATE_PREFIXES = ("/staff", "/api/handoffs")


@lru_cache(maxsize=8)
def content_policy(settings: Settings) -> str:
    rasa = urlsplit(settings.public_rasa_url)
    socket = rasa._replace(scheme="wss" if rasa.scheme == "https" else "ws").geturl()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {rasa.geturl()} {socket}",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(settings: Settings, path: str) -> List[Tuple[str, str]]:
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if not (settings.api_docs and path.startswith(REFERENCE_PAGES)):
        headers.append(("Content-Security-Policy", content_policy(settings)))
    if path.startswith(PRIVATE_PREFIXES):
        headers.append(("Cache-Control", "no-store"))
    if settings.secure_cookies:  # served over TLS: tell browsers to stay on it
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(settings_of(scope.get("app")), scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
