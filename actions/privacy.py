"""action_forget_conversation: the patient asked us to delete the conversation."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content
from clinic.forgetting import CONVERSATION, FORGET_SLOT


class ActionForgetConversation(ReplyAction):
    """End any form and have the tracker store delete every event of this conversation."""

    action_name = "action_forget_conversation"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        content().reply("forget_conversation").send(dispatcher)
        return forgotten()

    def failed(self, dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception) -> Events:
        """The reply could not be built: the deletion asked for still happens."""
        return [*super().failed(dispatcher, tracker, error), *forgotten()]


def forgotten() -> Events:
    return [ActiveLoop(None), SlotSet(FORGET_SLOT, CONVERSATION)]
