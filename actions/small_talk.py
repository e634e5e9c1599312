"""action_reply: greetings, thanks, "are you a bot", "talk to a person" and the like, from replies.yml."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content, say


class ActionReply(ReplyAction):
    """Reply with the text replies.yml keeps under the message's intent name."""

    action_name = "action_reply"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        replies = content()
        reply = replies.reply(
            intent if isinstance(intent, str) and intent in replies.replies else "out_of_scope"
        )
        return say(reply, replies, tracker, dispatcher)
