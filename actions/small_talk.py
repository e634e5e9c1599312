"""action_reply: greetings, thanks, "are you a bot", "talk to a person" and the like, from replies.yml."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content, say


class ActionReply(ReplyAction):
    """Reply with the text replies.yml keeps under the message's intent name."""

    action_name = "action_reply"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        offer = accepted_offer(tracker)
        if intent == "affirm" and offer:
            return [FollowupAction(offer)]
        replies = content()
        reply = replies.reply(
            intent if isinstance(intent, str) and intent in replies.replies else "out_of_scope"
        )
        return say(reply, replies, tracker, dispatcher)


# A typed "yes" to a message offering one of these buttons is that button.
OFFERS = {"/handoff_request": "handoff_form", "/request_booking": "booking_form"}


def accepted_offer(tracker: Tracker) -> Optional[str]:
    """The form the assistant's last message offered, when it offered exactly one ("let me pass your
    question on" with its Talk to staff button): a typed "yes please" takes it up."""
    last = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), None)
    buttons = ((last or {}).get("data") or {}).get("buttons") or []
    offered = {OFFERS[b.get("payload")] for b in buttons if b.get("payload") in OFFERS}
    return offered.pop() if len(offered) == 1 else None
