"""Fixes to Rasa 3.6, applied when Rasa loads our channels (before it builds its web server).

- Speed. Rasa checks every action-server reply with `jsonschema.validate`, which re-checks the schema itself on
each call: 19.6 ms per reply on our 2-core machine, 59% of Rasa's CPU per message (py-spy, see
docs/benchmarks.md). Building the validator once gives the same check in 0.3 ms.
- Exposure. The internet-facing server's `GET /` said which Rasa version it runs (a gift to anyone
  matching versions to advisories), and it took request bodies of up to 100 MB. Now `/` answers
  without a version and a body over 64 KB is refused (413): a patient's message is at most 2,000
  characters.
- Start-up with a model server. With `models: url` in endpoints.yml Rasa ignores `--model` and asks the
  server first; if the server (our API) is not up yet it starts with no model and answers nobody until
  its next pull. Now it loads the `--model` file meanwhile, and the next pull replaces it with the
  promoted model if there is one (docs/teaching.md).
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any, Dict, Optional

import rasa.core.agent
import rasa.server
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.shared.constants import DOCS_BASE_URL
from sanic import HTTPResponse, Request, Sanic, response

MAX_BODY_BYTES = 64 * 1024


@lru_cache(maxsize=1)
def _validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    """Rasa's own check and error message, with the validator built once."""
    try:
        _validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


def _add_root_route(app: Sanic) -> None:
    """Rasa's `/` (its health check) without its version; and the server's body cap, set on the same app."""
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES

    @app.get("/")
    async def hello(request: Request) -> HTTPResponse:
        return response.text("The clinic assistant's chat server is running.")


_rasa_load_agent = rasa.core.agent.load_agent
log = logging.getLogger(__name__)


async def _load_agent(model_path: Optional[str] = None, **kwargs: Any) -> Agent:
    """Rasa's load_agent, then the local model if the model server gave none."""
    agent = await _rasa_load_agent(model_path=model_path, **kwargs)
    if not agent.is_ready() and agent.tracker_store is not None and model_path and os.path.exists(model_path):
        log.info("No model from the model server yet: loading %s until it has one", model_path)
        agent.load_model(model_path)
    return agent


def apply() -> None:
    rasa.core.agent.load_agent = _load_agent
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    rasa.server.add_root_route = _add_root_route
