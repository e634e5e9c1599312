"""The action server: rasa_sdk's own, bound to localhost, answering only Rasa, delivering the outbox.

    python -m actions.server [--port 5055]

On top of `python -m rasa_sdk --actions actions` it:
- listens on CLINIC_ACTION_HOST (default 127.0.0.1: only Rasa on this machine needs it; set an
  address for a multi-host setup, together with the secret below);
- refuses every call but /health without `Authorization: Bearer <CLINIC_ACTION_TOKEN>` when that
  secret is set (Rasa sends it: `scripts/stack.py` writes it into Rasa's endpoints);
- starts the outbox's delivery thread at once, and makes every request an earlier (stopped) action
  server left waiting due now, so they reach staff without waiting for a patient or a backoff;
- allows no cross-origin calls (rasa_sdk's default is any origin).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
from typing import Optional

from rasa_sdk.endpoint import create_app
from rasa_sdk.utils import configure_colored_logging
from sanic import HTTPResponse, Request, Sanic, response

from actions import outbox
from actions.settings import settings

OPEN_PATHS = {"/health"}

logger = logging.getLogger(__name__)


def guard(app: Sanic, secret: Optional[str]) -> None:
    """Refuse calls without the shared secret (when there is one)."""
    if not secret:
        logger.warning("CLINIC_ACTION_TOKEN is not set: the action server answers any caller")
        return
    expected = f"Bearer {secret}".encode()

    @app.on_request
    async def require_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, expected):
            return None
        return response.json({"error": "This server answers the clinic's Rasa only."}, status=401)


def main(argv: Optional[list] = None) -> None:
    config = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=config.port)
    args = parser.parse_args(argv)
    configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    app = create_app("actions", cors_origins=None)
    guard(app, config.action_token)
    waiting = outbox.retry_now(config.outbox_db)
    if waiting:
        logger.info("%d request(s) left waiting in the outbox: sending them now", waiting)
    outbox.start_worker()
    logger.info("Action server listening on http://%s:%d", config.host, args.port)
    app.run(config.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
