"""action_reply: greetings, thanks, "are you a bot", "talk to a person" and the like, from replies.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ReplyAction, content, say


class ActionReply(ReplyAction):
    """Reply with the text replies.yml keeps under the message's intent name."""

    def name(self) -> str:
        return "action_reply"

    async def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        replies = content()
        reply = replies.reply(
            intent if isinstance(intent, str) and intent in replies.replies else "out_of_scope"
        )
        return say(reply, replies, tracker, dispatcher)
