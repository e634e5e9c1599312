"""action_emergency: red flags get 911 / emergency (and 988 for a crisis) before anything else."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import content

# Said if even the content files can't be read: an emergency reply must never fail.
FALLBACK_TEXT = (
    "🚨 This may be an emergency. Call 911 now or go to the nearest emergency department. "
    "In a mental-health crisis in Canada, call or text 988."
)


class ActionEmergency(Action):
    """Tell the patient to call 911 or go to emergency now; nothing else comes first."""

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        flags = sorted(
            {e["value"] for e in tracker.latest_message.get("entities", []) if e.get("entity") == "red_flag"}
        )
        try:
            reply = content().reply("emergency")
            reply.extra["red_flags"] = flags
            reply.send(dispatcher)
        except Exception:  # noqa: BLE001 - whatever broke, the patient still hears 911
            dispatcher.utter_message(
                text=FALLBACK_TEXT, json_message={"topic": "emergency", "red_flags": flags}
            )
        return []
