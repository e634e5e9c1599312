"""action_emergency: red flags get 911 / emergency (and 988 for a crisis) before anything else."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content

# Said if even the content files can't be read: an emergency reply must never fail.
FALLBACK_TEXT = (
    "🚨 This may be an emergency. Call 911 now or go to the nearest emergency department. "
    "In a mental-health crisis in Canada, call or text 988."
)


class ActionEmergency(ReplyAction):
    """Tell the patient to call 911 or go to emergency now; nothing else comes first."""

    action_name = "action_emergency"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        reply = content().reply("emergency")
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


def red_flags(tracker: Tracker) -> List[str]:
    """The red flags spaCy found in the message."""
    entities = tracker.latest_message.get("entities") or []
    return sorted({e["value"] for e in entities if e.get("entity") == "red_flag"})
