"""GET /api/model: the promoted model, for Rasa's model server pulling (`models: url` in endpoints.yml).

Rasa asks every `wait_time_between_pulls` seconds with `If-None-Match: <the fingerprint it runs>`;
the ETag is the file's SHA-256, so an unchanged model costs a 304 and a new one is downloaded once.
Nothing promoted yet: 404, and Rasa keeps the model it loaded from disk.
"""

from __future__ import annotations

import hmac
import logging
from typing import Optional

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import FileResponse, Response

from api import model_runs
from api.deps import DbDep, SettingsDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["model"], include_in_schema=False)

MODEL_TOKEN_MISSING = (
    "The API has no key for Rasa's model pulls: set CLINIC_MODEL_TOKEN for the API and the same value "
    "in the `models:` headers of Rasa's endpoints.yml (`make run` does both)."
)


@router.get("/model")
def promoted_model(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    if_none_match: Optional[str] = Header(default=None),
) -> Response:
    """The promoted model's .tar.gz with its SHA-256 as ETag; 304 if Rasa already runs it."""
    if not settings.model_token:
        raise HTTPException(status_code=503, detail=MODEL_TOKEN_MISSING)
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), settings.model_token.encode()
    ):
        raise HTTPException(status_code=401, detail="Send Rasa's model key as 'Authorization: Bearer <key>'")
    current = model_runs.promoted(db)
    if current is None:
        raise HTTPException(status_code=404, detail="No retrained model has been promoted yet.")
    etag = f'"{current["sha256"]}"'
    if if_none_match and current["sha256"] in {
        tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")
    }:
        return Response(status_code=304, headers={"ETag": etag})
    log.info("Serving model %s (run %s) to Rasa", current["sha256"][:12], current["id"])
    return FileResponse(
        current["model_path"],
        media_type="application/gzip",
        headers={"ETag": etag, "filename": "model.tar.gz", "Cache-Control": "no-cache"},
    )
