"""What every staff page shares: rendering with who is logged in (and the message left for the page),
and the check of a form's session token (CSRF)."""

from __future__ import annotations

import hmac
from typing import Any, Dict, Optional, Tuple

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlite_utils import Database

from api.rendering import templates
from api.sessions import StaffSession, take_message

EXPIRED = "That form had expired. Please try again."


def render_page(
    request: Request,
    template: str,
    context: Dict[str, Any],
    *,
    signed_in: Optional[Tuple[Database, StaffSession]] = None,
    status_code: int = 200,
    headers: Optional[Dict[str, str]] = None,
    keep_message: bool = False,
) -> HTMLResponse:
    """A staff page; with the session (and its database) it shows who is in, the log-out button and
    the message left for it."""
    if signed_in is not None:
        db, session = signed_in
        context = {
            "staff": session.username,
            "is_manager": session.is_manager,
            "csrf": session.csrf,
            "flash": None if keep_message else take_message(db, session),
            **context,
        }
    return templates.TemplateResponse(
        request, f"staff/{template}", context, status_code=status_code, headers=headers
    )


def csrf_ok(session: StaffSession, token: str) -> bool:
    return hmac.compare_digest(session.csrf.encode(), token.encode())
