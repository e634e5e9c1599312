"""action_reply: greetings, thanks, "are you a bot", "talk to a person" and the like, from replies.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import broken, content, say


class ActionReply(Action):
    """Reply with the text replies.yml keeps under the message's intent name."""

    def name(self) -> str:
        return "action_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        try:
            replies = content()
            reply = replies.reply(intent if intent in replies.replies else "out_of_scope")
        except Exception as error:  # noqa: BLE001 - the patient must still get a reply
            return broken(dispatcher, error)
        return say(reply, replies, tracker, dispatcher)
