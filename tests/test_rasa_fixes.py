"""Our fix to Rasa's check of action-server replies accepts and refuses exactly what Rasa's did."""

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

import bot.channels  # noqa: F401  (applies the fix, as `rasa run` does)

GOOD = {"events": [{"event": "slot", "name": "misses", "value": 1}], "responses": [{"text": "hi"}]}
BAD = {"events": "not a list", "responses": []}


def test_a_valid_reply_passes_both_checks():
    validate(GOOD, RemoteAction.action_response_format_spec())
    assert RemoteAction("action_x", None)._validate_action_result(GOOD) is True


def test_an_invalid_reply_is_refused_with_rasas_message():
    with pytest.raises(ValidationError):
        validate(BAD, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        RemoteAction("action_x", None)._validate_action_result(BAD)
