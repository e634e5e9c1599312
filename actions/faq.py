"""action_answer_question: answers from the knowledge base, or asks, or says plainly it can't."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import Events, ReplyAction, content, offered_therapies, say
from actions.knowledge import knowledge_base
from actions.replies import Replies, Reply
from actions.safety import tier
from actions.understanding import MAX_CANDIDATES, Decision, decide

NOT_NOW_ENTITY = "red_flag_context"  # set by bot/components.py's RedFlagGuard


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
            reply = replies.reply(tier(parse))
        else:
            reply = replies.reply("out_of_scope")
        return say(with_safety_line(reply, parse, replies), replies, tracker, dispatcher)

    @staticmethod
    def _did_you_mean(
        decision: Decision, parse: Dict[str, Any], kb: Any, replies: Any
    ) -> List[Dict[str, str]]:
        """The likeliest topics as buttons; full-text search tops up a short list."""
        topics = list(decision.candidates)
        if len(topics) < 2:
            topics += [t for t in kb.search(parse.get("text") or "") if t not in topics]
        return [{"title": kb.answer(t).question, "payload": f"/{t}"} for t in topics[:MAX_CANDIDATES]]


def with_safety_line(reply: Reply, parse: Dict[str, Any], replies: Replies) -> Reply:
    """A red flag asked about as a risk, a past event or a reason for treatment gets its answer, then a
    line saying what to do if it is happening now (the crisis line for a mental-health flag)."""
    set_aside = [e for e in parse.get("entities", []) if e.get("entity") == NOT_NOW_ENTITY]
    if not set_aside or reply.topic == "emergency":
        return reply
    mental_health = any(e.get("group") == "mental_health" for e in set_aside)
    line = replies.line("if_now_crisis" if mental_health else "if_now")
    reply.text = f"{reply.text} {line}"
    reply.extra["red_flags_not_now"] = sorted({e["value"] for e in set_aside})
    return reply
