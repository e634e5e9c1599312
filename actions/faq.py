"""action_answer_question: answers from the knowledge base, or asks, or says plainly it can't."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content, offered_therapies, say
from actions.knowledge import knowledge_base
from actions.understanding import MAX_CANDIDATES, Decision, decide


class ActionAnswerQuestion(ReplyAction):
    """Answer an FAQ only when the specific answer is confidently the right one."""

    action_name = "action_answer_question"

    async def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Events:
        kb = knowledge_base()
        replies = content()
        offered = offered_therapies()
        parse = tracker.latest_message or {}
        decision = decide(parse, kb.topics, offered)
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
