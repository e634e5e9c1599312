"""The action server: rasa_sdk's own, bound to localhost, answering only Rasa, delivering the outbox.

    python -m actions.server [--port 5055]

On top of `python -m rasa_sdk --actions actions` it:
- listens on CLINIC_ACTION_HOST (default 127.0.0.1: only Rasa on this machine needs it; set an
  address for a multi-host setup, together with the secret below);
- refuses every call but /health without `Authorization: Bearer <CLINIC_ACTION_TOKEN>` (Rasa sends it:
  `scripts/stack.py` writes it into Rasa's endpoints), and refuses to start without that secret unless
  CLINIC_DEVELOPMENT=true;
- starts the outbox's delivery thread at once, and makes every request an earlier (stopped) action
  server left waiting due now, so they reach staff without waiting for a patient or a backoff;
- allows no cross-origin calls (rasa_sdk's default is any origin).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from typing import Optional

from rasa_sdk.endpoint import create_app
from rasa_sdk.utils import configure_colored_logging
from sanic import HTTPResponse, Request, Sanic, response

from actions import outbox
from actions.settings import settings
from clinic.settings import ConfigurationError

OPEN_PATHS = {"/health"}

logger = logging.getLogger(__name__)


NO_TOKEN = (
    "CLINIC_ACTION_TOKEN is not set: without it the action server would answer any caller. Set it to a "
    "long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) and give Rasa "
    "the same in endpoints.yml (`make run` does both), or set CLINIC_DEVELOPMENT=true on a laptop."
)


def guard(app: Sanic, secret: Optional[str], *, development: bool) -> None:
    """Refuse calls without the shared secret; without one, refuse to start (except in development)."""
    if not secret:
        if not development:
            raise ConfigurationError(NO_TOKEN)
        logger.warning("CLINIC_ACTION_TOKEN is not set: the action server answers any caller (development)")
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
    try:
        serve(argv)
    except ConfigurationError as error:  # what is wrong and how to fix it, without a traceback
        sys.exit(f"The action server cannot start: {error}")


def serve(argv: Optional[list]) -> None:
    config = settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=config.port)
    args = parser.parse_args(argv)
    configure_colored_logging(os.environ.get("LOG_LEVEL", "INFO"))
    app = create_app("actions", cors_origins=None)
    guard(app, config.action_token, development=config.development)
    waiting = outbox.retry_now(config.outbox_db)
    if waiting:
        logger.info("%d request(s) left waiting in the outbox: sending them now", waiting)
    outbox.start_worker()
    logger.info("Action server listening on http://%s:%d", config.host, args.port)
    app.run(config.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
