"""Shared steps of every reply: loading content, counting misses, and failing kindly."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clinic import load_clinic
from actions.knowledge import knowledge_base
from actions.replies import Replies, Reply, replies
from actions.settings import settings

MISSES_SLOT = "misses"
MISSES_BEFORE_STAFF_OFFER = 2
BROKEN_TEXT = "Sorry, something went wrong on my side. Please call the clinic. In an emergency, call 911 now."

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
    """The content could not be read: say so kindly instead of going silent."""
    log.error("content unavailable: %s", error)
    try:
        content().reply("broken").send(dispatcher)
    except Exception:  # the content itself is what failed; fall back to a fixed sentence
        dispatcher.utter_message(text=BROKEN_TEXT, json_message={"topic": "out_of_scope"})
    return []
