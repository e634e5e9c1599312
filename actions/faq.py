"""action_answer_question: answers from the knowledge base, or asks, or says plainly it can't."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import MISSES_SLOT, Events, ReplyAction, content, offered_therapies, say
from actions.forms import message_of, vocabulary
from actions.knowledge import knowledge_base
from actions.typed_answers import asks_to_book
from actions.understanding import MAX_CANDIDATES, Decision, decide, top_intent


class ActionAnswerQuestion(ReplyAction):
    """Answer an FAQ only when the specific answer is confidently the right one."""

    action_name = "action_answer_question"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb = knowledge_base()
        replies = content()
        offered = offered_therapies()
        parse = tracker.latest_message or {}
        decision = decide(parse, kb.topics, offered)
        if starts_booking(decision, parse, tracker):
            return [SlotSet(MISSES_SLOT, 0), FollowupAction("booking_form")]
        if decision.kind == "answer" and decision.topic:
            reply = replies.answer(kb.answer(decision.topic), decision.area)
        elif decision.kind == "clarify":
            reply = replies.reply("clarify", buttons_first=self._did_you_mean(decision, parse, kb, replies))
        elif decision.kind == "other_therapy":
            reply = replies.reply("other_therapy", therapy=decision.therapy or "")
        elif decision.kind == "emergency":
            reply = replies.reply("emergency")
        else:
            reply = replies.reply("out_of_scope")
        return say(reply, replies, tracker, dispatcher)

    @staticmethod
    def _did_you_mean(
        decision: Decision, parse: Dict[str, Any], kb: Any, replies: Any
    ) -> List[Dict[str, str]]:
        """The likeliest topics as buttons; full-text search tops up a short list."""
        topics = list(decision.candidates)
        if len(topics) < 2:
            topics += [t for t in kb.search(parse.get("text") or "") if t not in topics]
        return [{"title": kb.answer(t).question, "payload": f"/{t}"} for t in topics[:MAX_CANDIDATES]]


def starts_booking(decision: Decision, parse: Dict[str, Any], tracker: Tracker) -> bool:
    """A request for an appointment the classifier was unsure of ("Can I book acupuncture for next
    Monday morning? My name is ..."): start the booking form rather than ask "Did you mean ...?".
    A confident answer to another question, or "how do I book?", is answered as asked."""
    if tracker.active_loop.get("name"):
        return False
    if decision.kind == "answer" and decision.topic != "booking":
        return False
    if decision.kind in ("emergency", "other_therapy"):
        return False
    return top_intent(parse) == "request_booking" or asks_to_book(message_of(tracker), vocabulary())
