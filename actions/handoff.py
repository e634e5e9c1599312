"""Questions for staff: validate_handoff_form, its prompts, and action_submit_question."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from actions.forms import AskAction, ClinicFormValidation, ask_actions, latest_text
from actions.submit import SubmitAction

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
}


def earlier_question(tracker: Tracker) -> Optional[str]:
    """The patient's last real question before asking for a person (the one we couldn't answer)."""
    asked = [
        e.get("text")
        for e in tracker.events
        if e.get("event") == "user"
        and e.get("text")
        and not e["text"].startswith("/")
        and (
            e.get("parse_data", {}).get("intent", {}).get("name")
            not in ("handoff_request", "greet", "affirm")
        )
    ]
    return asked[-1] if asked else None


class AskQuestion(AskAction):
    """Offers the question the patient asked just before, so they needn't type it again."""

    def buttons(self, tracker: Tracker) -> List[Dict[str, str]]:
        earlier = earlier_question(tracker)
        return [{"title": earlier[:80], "payload": earlier}] if earlier else []


ask_actions(FORM, SLOTS, question=AskQuestion)


class ValidateHandoffForm(ClinicFormValidation):
    """Name, contact, the question and consent, checked like the booking form's."""

    topic = "handoff"

    def name(self) -> str:
        return "validate_handoff_form"

    async def extract_question(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return {"question": latest_text(tracker)} if tracker.get_slot("requested_slot") == "question" else {}

    async def extract_name(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return {"name": latest_text(tracker)} if self.requested(tracker, "name") else {}

    async def extract_contact(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return {"contact": latest_text(tracker)} if self.requested(tracker, "contact") else {}

    def validate_question(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value).strip()
        return (
            self.accepted("question", text)
            if 0 < len(text) <= 2000
            else self.reject("question", dispatcher, tracker)
        )


class ActionSubmitQuestion(SubmitAction):
    """Hand the patient's question, with the conversation so far, to staff."""

    kind = "question"

    def name(self) -> str:
        return "action_submit_question"

    def payload(self, tracker: Tracker) -> Optional[Dict[str, Any]]:
        return {"question": tracker.get_slot("question")}
