"""Shared steps of every reply: loading content, counting misses, and failing kindly (in one place)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.knowledge import knowledge_base
from actions.replies import Replies, Reply, replies
from actions.settings import settings
from clinic.content import BROKEN_TEXT
from clinic.facts import load_clinic
from clinic.settings import ConfigurationError

MISSES_SLOT = "misses"
MISSES_BEFORE_STAFF_OFFER = 2

log = logging.getLogger(__name__)


def content() -> Replies:
    return replies(knowledge_base())


def offered_therapies() -> List[str]:
    return list(load_clinic(settings().clinic_config)["therapies_offered"])


def say(
    reply: Reply, replies_: Replies, tracker: Tracker, dispatcher: CollectingDispatcher
) -> List[Dict[str, Any]]:
    """Send a reply and keep count of replies that could not help; the second in a row offers staff."""
    misses = int(tracker.get_slot(MISSES_SLOT) or 0)
    if not reply.miss:
        reply.send(dispatcher)
        return [SlotSet(MISSES_SLOT, 0)] if misses else []
    misses += 1
    if misses >= MISSES_BEFORE_STAFF_OFFER:
        reply = replies_.reply("two_misses")
        misses = 0
    reply.send(dispatcher)
    return [SlotSet(MISSES_SLOT, misses)]


def broken(dispatcher: CollectingDispatcher, error: Exception) -> List[Dict[str, Any]]:
    """The reply could not be built: say so kindly instead of going silent."""
    if isinstance(error, ConfigurationError):  # our own fix-it message: which file, what to do
        log.error("content unavailable: %s", error)
    else:  # without the error's text, which can quote the patient; the traceback at debug level
        log.error("could not build a reply: %s", type(error).__name__)
        log.debug("the failure", exc_info=error)
    try:
        content().reply("broken").send(dispatcher)
    except Exception:  # the content itself is what failed; fall back to a fixed sentence
        dispatcher.utter_message(text=BROKEN_TEXT, json_message={"topic": "out_of_scope"})
    return []


Events = List[Dict[str, Any]]


class ReplyAction(Action, ABC):
    """An action that answers the patient. Whatever fails while building the answer, the patient still
    gets a kind reply (`failed`) instead of silence: the one place actions handle their errors."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    @abstractmethod
    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        """Send the reply; return the events it causes (abstract, so rasa-sdk doesn't register the base)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        try:
            return await self.reply(dispatcher, tracker, domain)
        except Exception as error:  # noqa: BLE001 - the patient must still get a reply
            dispatcher.messages.clear()  # half a reply would confuse more than none
            return self.failed(dispatcher, tracker, error)

    def failed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception
    ) -> List[Dict[str, Any]]:
        return broken(dispatcher, error)
