"""Questions for staff: validate_handoff_form, its prompts, and action_submit_question."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from actions.forms import AskAction, ClinicFormValidation, Reading, ask_actions
from actions.submit import SubmitAction
from actions.typed_answers import Message, Vocabulary, choice, is_filler

FORM = "handoff_form"
SLOTS = ["question", "name", "contact", "consent"]
NOT_QUESTIONS = {
    "handoff_request",
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "stop",
    "something_else",
    "unhelpful",
    "inform",
    "request_booking",
    "change_field",
    "forget_conversation",
    "emergency",
    "bot_identity",
}


def earlier_question(tracker: Tracker) -> Optional[str]:
    """The patient's last real question before asking for a person (the one we couldn't answer)."""
    asked = [
        e.get("text")
        for e in tracker.events
        if e.get("event") == "user"
        and e.get("text")
        and not e["text"].startswith("/")
        and e.get("parse_data", {}).get("intent", {}).get("name") not in NOT_QUESTIONS
    ]
    return asked[-1] if asked else None


class AskQuestion(AskAction):
    """Offers the question the patient asked just before, so they needn't type it again."""

    def buttons(self, tracker: Tracker) -> List[Dict[str, str]]:
        earlier = earlier_question(tracker)
        return [{"title": earlier[:80], "payload": earlier}] if earlier else []


ask_actions(FORM, SLOTS, question=AskQuestion)


class ValidateHandoffForm(ClinicFormValidation):
    """The question, name, contact and consent, read like the booking form's."""

    topic = "handoff"
    handed_on = ClinicFormValidation.handed_on - {"handoff_request"}  # already on its way to a person

    def name(self) -> str:
        return "validate_handoff_form"

    def answer(self, step: str, message: Message, words: Vocabulary, tracker: Tracker) -> Any:
        if step != "question":
            return super().answer(step, message, words, tracker)
        earlier = earlier_question(tracker)
        if message.text == earlier or (earlier and choice(message, words, ["yes"])):
            return earlier  # the question offered as a button, clicked or agreed to
        if is_filler(message, words) or message.intent in ("greet", "thanks", "handoff_request"):
            return None
        text = message.text.strip()
        return text if 0 < len(text) <= 2000 else None

    def read(
        self, step: str, message: Message, words: Vocabulary, tracker: Tracker, dispatcher: Any
    ) -> Reading:
        if step == "question" and message.intent == "handoff_request" and not message.clicked:
            reading = Reading()  # "can I talk to a person" again: the question is asked again
            reading.slots["question"] = None
            return reading
        return super().read(step, message, words, tracker, dispatcher)


class ActionSubmitQuestion(SubmitAction):
    """Hand the patient's question, with the conversation so far, to staff."""

    kind = "question"

    def name(self) -> str:
        return "action_submit_question"

    def payload(self, tracker: Tracker) -> Optional[Dict[str, Any]]:
        return {"question": tracker.get_slot("question")}
