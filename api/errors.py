"""Turns the store's named exceptions and validation errors into answers a person understands."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence
from urllib.parse import urlencode

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api.auth import LoginRequired
from api.deps import ManagersOnly
from api.models import CONSENT_REFUSED
from api.rendering import templates
from api.sessions import COOKIE, clear_session_cookie
from api.settings import settings_of
from api.store import (
    ClaimedByOther,
    DetailNeeded,
    HandoffNotFound,
    IdempotencyKeyReused,
    IllegalTransition,
    NotFinal,
    NotOpen,
)

_MESSAGES: Dict[str, Callable[[Dict[str, Any]], str]] = {
    "value_error.missing": lambda ctx: "This is required",
    "value_error.extra": lambda ctx: "This field is not part of a request: remove it",
    "value_error.any_str.max_length": lambda ctx: f"At most {ctx['limit_value']} characters, please",
    "value_error.any_str.min_length": lambda ctx: (
        "This must not be empty"
        if ctx["limit_value"] == 1
        else f"At least {ctx['limit_value']} characters, please"
    ),
    "value_error.const": lambda ctx: "Must be one of: " + ", ".join(str(p) for p in ctx["permitted"]),
    "value_error.list.max_items": lambda ctx: f"At most {ctx['limit_value']} items, please",
    "value_error.strictbool": lambda ctx: "Must be true or false",
    "type_error.bool": lambda ctx: "Must be true or false",
    "type_error.str": lambda ctx: "Must be text",
    "type_error.integer": lambda ctx: "Must be a whole number",
    "type_error.list": lambda ctx: "Must be a list",
    "type_error.dict": lambda ctx: "Must be a JSON object",
    "type_error.none.not_allowed": lambda ctx: "This must not be null",
    "value_error.number.not_ge": lambda ctx: f"Must be {ctx['limit_value']} or more",
    "value_error.number.not_le": lambda ctx: f"Must be {ctx['limit_value']} or less",
    "json_invalid": lambda ctx: "The request body is not valid JSON",
    "value_error.str.regex": lambda ctx: "This is not in the expected format",
}


def _field(error: Dict[str, Any]) -> str:
    where, *path = error["loc"]
    if error["type"] == "json_invalid":
        return "body"  # its loc ends with a character offset, not a field
    names = [str(part) for part in path if part != "__root__"]
    return ".".join(names) or str(where)


def _message(error: Dict[str, Any]) -> str:
    if list(error["loc"]) == ["body", "consent"]:
        return CONSENT_REFUSED  # missing, false or not a boolean: the answer is the same
    describe = _MESSAGES.get(error["type"])
    if describe is not None:
        return describe(error.get("ctx") or {})
    # Our own validators' messages are already written for people.
    return str(error["msg"])


def problems(errors: Sequence[Dict[str, Any]]) -> List[Dict[str, str]]:
    """FastAPI's validation errors as [{"field", "message"}], never echoing what was sent."""
    return [{"field": _field(error), "message": _message(error)} for error in errors]


# FastAPI's 400 for a JSON body that json.loads could not even start on (bytes that are not UTF-8, nesting
# deeper than Python recurses): to the sender, that is malformed JSON like any other.
UNPARSABLE_BODY = "There was an error parsing the body"
NOT_JSON = {"detail": [{"field": "body", "message": _MESSAGES["json_invalid"]({})}]}


async def validation_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": problems(exc.errors())}, status_code=422)


def allowed_methods(request: Request) -> List[str]:
    """Every method the app answers at this path (Starlette's 405 names only the first route's)."""
    methods = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route_methods
    return sorted(methods)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        return JSONResponse(NOT_JSON, status_code=422)
    if exc.status_code == 405:
        headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(request))}
        exc = HTTPException(status_code=405, detail=exc.detail, headers=headers)
    return await http_exception_handler(request, exc)


async def handoff_not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def conflict(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def detail_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DetailNeeded)
    return JSONResponse({"detail": [{"field": exc.field, "message": str(exc)}]}, status_code=422)


async def managers_only(request: Request, exc: Exception) -> Response:
    message = "Only a clinic manager can open this page: ask your manager."
    return templates.TemplateResponse(request, "staff/forbidden.html", {"message": message}, status_code=403)


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    response = RedirectResponse(f"/staff/login?{urlencode({'next': exc.next_path})}", status_code=303)
    if COOKIE in request.cookies:  # a session that ended (logout, new password, expiry): drop its cookie
        clear_session_cookie(response, settings_of(request.app))
    return response


HANDLERS: Dict[Any, Callable[[Request, Exception], Any]] = {
    RequestValidationError: validation_failed,
    HTTPException: http_error,
    HandoffNotFound: handoff_not_found,
    IllegalTransition: conflict,
    IdempotencyKeyReused: conflict,
    NotFinal: conflict,
    NotOpen: conflict,
    ClaimedByOther: conflict,
    DetailNeeded: detail_needed,
    LoginRequired: login_required,
    ManagersOnly: managers_only,
}
