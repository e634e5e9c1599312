"""What the booking and question forms share: their prompts, telling answers from digressions,
and counting failed answers.

Prompts live in content/booking.yml; every prompt carries custom {"topic", "asks"} so the chat page
can switch the input (tel, email, name) for the question being asked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import patient_details as details
from actions.knowledge import knowledge_base
from actions.settings import settings
from clinic.content import clinic_values, content_file
from clinic.facts import fill

CONTENT_FILE = "booking.yml"
# Intents that end a form, or jump out of it for a moment (rules in data/rules/forms.yml).
ALWAYS_OUT = {"stop", "emergency", "forget_conversation"}
FAILURES_BEFORE_PHONE = 2


def form_content() -> Dict[str, Any]:
    """content/booking.yml ("spec") and the clinic's facts to fill it with ("values"); both cached."""
    files = settings().files
    return {"spec": content_file(files, CONTENT_FILE), "values": clinic_values(files)}


def form_text(key: str, **fields: str) -> str:
    """One of the texts at the top level of content/booking.yml, filled."""
    content = form_content()
    return fill(content["spec"][key], {**content["values"], **fields})


def send_form_text(dispatcher: CollectingDispatcher, key: str, topic: str, **fields: str) -> None:
    """Send one of the texts at the top level of content/booking.yml."""
    dispatcher.utter_message(text=form_text(key, **fields), json_message={"topic": topic})


def is_question_aside(tracker: Tracker) -> bool:
    """True when the message is not an answer to the form's question but something to handle first:
    a stop, an emergency, or an FAQ asked as a question ("does it hurt?")."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    if intent in ALWAYS_OUT:
        return True
    if intent not in knowledge_base().topics:
        return False
    text = (message.get("text") or "").strip().lower()
    words = text.split()
    return text.endswith("?") or bool(words and words[0] in form_content()["spec"]["question_words"])


def latest_text(tracker: Tracker) -> str:
    return " ".join((tracker.latest_message.get("text") or "").split())


def latest_intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


class AskAction(Action, ABC):
    """Asks one slot of one form, with the prompt and buttons from content/booking.yml."""

    @abstractmethod
    def name(self) -> str:
        """Set per subclass; abstract here so rasa-sdk doesn't register the base."""

    form = ""
    slot = ""
    intro_after = {"request_booking", "handoff_request"}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        content = form_content()
        section = content["spec"][self.form.replace("_form", "")]
        ask = section["asks"][self.slot]
        text = fill(ask["text"], {**content["values"], **self.fields(tracker)})
        if (
            latest_intent(tracker) in self.intro_after
            and tracker.latest_action_name != f"action_ask_{self.form}_{self.slot}"
        ):
            text = f"{section['intro']} {text}"
        dispatcher.utter_message(
            text=text,
            buttons=list(ask.get("buttons", [])) + self.buttons(tracker),
            json_message={"topic": section["topic"], "asks": self.slot},
        )
        return []

    def fields(self, tracker: Tracker) -> Dict[str, str]:
        return {}

    def buttons(self, tracker: Tracker) -> List[Dict[str, str]]:
        return []


ASK_ACTIONS: Dict[str, type] = {}  # held here: a class nobody references would be garbage-collected


def ask_actions(form: str, slots: List[str], **overrides: type) -> None:
    """Declare one ask action per slot (rasa-sdk registers every concrete Action subclass it finds;
    AskAction itself has no name, so it stays abstract)."""
    for slot in slots:
        action_name = f"action_ask_{form}_{slot}"
        ASK_ACTIONS[action_name] = type(
            f"Ask_{form}_{slot}",
            (overrides.get(slot, AskAction),),
            {"form": form, "slot": slot, "name": lambda self, n=action_name: n, "__module__": __name__},
        )


class ClinicFormValidation(FormValidationAction, ABC):
    """What both forms share: consent ends the questions when refused, names, contacts and yes/no
    answers are read the same way, and failed answers are counted per slot (after two, the clinic's
    phone is offered)."""

    topic = "booking"

    @abstractmethod
    def name(self) -> str:
        """Set per form; abstract here so rasa-sdk doesn't register the base."""

    def reject(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        failures = (
            int(tracker.get_slot("failures") or 0) + 1 if tracker.get_slot("failed_slot") == slot else 1
        )
        content = form_content()
        if failures >= FAILURES_BEFORE_PHONE:
            send_form_text(dispatcher, "too_many_failures", self.topic)
        else:
            text = fill(content["spec"]["invalid"][slot], content["values"])
            dispatcher.utter_message(text=text, json_message={"topic": self.topic, "asks": slot})
        return {slot: None, "failed_slot": slot, "failures": failures}

    def requested(self, tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot("requested_slot") == slot and not is_question_aside(tracker)

    def accepted(self, slot: str, value: Any) -> Dict[str, Any]:
        return {slot: value, "failed_slot": None, "failures": 0}

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        if tracker.get_slot("consent") is False:
            return ["consent"]  # answered "no": nothing more to ask; the submit action explains
        return domain_slots

    def yes_no(self, tracker: Tracker, slot: str) -> Dict[str, Any]:
        """A yes/no answer as True/False; anything else is kept as text for validation to refuse."""
        if not self.requested(tracker, slot):
            return {}
        answer = {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")
        return {slot: answer if answer is not None else latest_text(tracker)}

    async def extract_consent(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return self.yes_no(tracker, "consent")

    def validate_name(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        name = details.parse_name(str(value))
        return self.accepted("name", name) if name else self.reject("name", dispatcher, tracker)

    def validate_contact(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        found = details.parse_contact(str(value))
        if not found:
            return self.reject("contact", dispatcher, tracker)
        return {**self.accepted("contact", found[0]), "contact_type": found[1]}

    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        if isinstance(value, bool):
            return self.accepted("consent", value)
        return self.reject("consent", dispatcher, tracker)
