"""action_emergency: red flags get 911 / emergency (and 988 for a crisis) before anything else; a
same-day sign (a needle site red and spreading, numbness that hasn't gone) gets the urgent tier: call the
clinic now or the nurse line. Every number comes from clinic.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content
from clinic.red_flag_names import RED_FLAG_ENTITY, URGENT

# Said if even the content files can't be read: an emergency reply must never fail.
FALLBACK_TEXT = (
    "🚨 This may be an emergency. Call 911 now or go to the nearest emergency department. "
    "In a mental-health crisis, call or text 988."
)


class ActionEmergency(ReplyAction):
    """Tell the patient to call 911 or go to emergency now; nothing else comes first."""

    action_name = "action_emergency"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        reply = content().reply(tier(tracker.latest_message or {}))
        reply.extra["red_flags"] = red_flags(tracker)
        reply.send(dispatcher)
        return []

    def failed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception
    ) -> List[Dict[str, Any]]:
        """Whatever broke, the patient still hears 911."""
        dispatcher.utter_message(
            text=FALLBACK_TEXT, json_message={"topic": "emergency", "red_flags": red_flags(tracker)}
        )
        return []


def flag_entities(parse: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [e for e in parse.get("entities") or [] if e.get("entity") == RED_FLAG_ENTITY]


def red_flags(tracker: Tracker) -> List[str]:
    """The red flags spaCy found in the message."""
    return sorted({e["value"] for e in flag_entities(tracker.latest_message or {})})


def tier(parse: Dict[str, Any]) -> str:
    """`urgent` when every flag found is a same-day sign; otherwise (or with no flag at all) `emergency`."""
    roles = {e.get("role") for e in flag_entities(parse)}
    return URGENT if roles == {URGENT} else "emergency"
