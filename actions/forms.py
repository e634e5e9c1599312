"""What the booking and question forms share: their prompts, reading typed answers (the answer to the
question asked, details and corrections in any message, questions and small talk handed to the rules),
and counting failed answers.

Prompts live in content/booking.yml; every prompt carries custom {"topic", "asks"} so the chat page
can switch the input (tel, email, name) for the question being asked.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import patient_details as details
from actions.knowledge import knowledge_base
from actions.replies import replies
from actions.settings import settings
from actions.typed_answers import Message, Vocabulary, choice, is_question, strip_lead
from clinic.content import clinic_values, content_file
from clinic.facts import fill

CONTENT_FILE = "booking.yml"
FAILURES_BEFORE_PHONE = 2
# A question asked along with a request to book is answered when the classifier gives its topic this much.
ASKED_ALONG = 0.2


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


def just_started(tracker: Tracker, form: str) -> bool:
    """True when the form started on the patient's latest message (its first question gets the intro)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == form:
            return True
    return False


class AskAction(Action, ABC):
    """Asks one slot of one form, with the prompt and buttons from content/booking.yml."""

    @abstractmethod
    def name(self) -> str:
        """Set per subclass; abstract here so rasa-sdk doesn't register the base."""

    form = ""
    slot = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        content = form_content()
        section = content["spec"][self.form.replace("_form", "")]
        ask = section["asks"][self.slot]
        text = fill(ask["text"], {**content["values"], **self.fields(tracker)})
        if just_started(tracker, self.form):
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


def vocabulary() -> Vocabulary:
    """The word lists content/booking.yml keeps for reading typed answers."""
    return Vocabulary.from_content(form_content()["spec"])


def message_of(tracker: Tracker) -> Message:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return Message(
        text=" ".join((latest.get("text") or "").split()),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(latest.get("entities") or ()),
    )


def is_fresh(tracker: Tracker, form: str) -> bool:
    """True when the patient's latest message is still to be read by the form: not when the form comes
    back after an aside (an FAQ answer, a greeting) that already handled it."""
    if tracker.get_slot("requested_slot") is None:
        return True  # the form is starting: read what the first message says
    return not answered_already(tracker, form)


def answered_already(tracker: Tracker, form: str) -> bool:
    """True when another action (an FAQ answer, a greeting) already replied to the latest message."""
    since_user = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        since_user.append(event)
    return any(
        event.get("event") == "action" and event.get("name") not in (form, "action_listen", None)
        for event in since_user
    )


class Reading:
    """What one message does to a form: slots it sets, whether it is handed on to the rules (an aside),
    and whether it answered the question asked."""

    def __init__(self) -> None:
        self.slots: Dict[str, Any] = {}
        self.changed: List[str] = []
        self.answered = False
        self.aside = False


class ClinicFormValidation(FormValidationAction, ABC):
    """What both forms share: reading each message once for the answer to the question asked, details
    given anywhere and corrections; handing questions and small talk to the rules; consent and
    cancelling in words; counting failed answers per slot (after two, the clinic's phone is offered)."""

    topic = "booking"
    # Intents that, when the message answers nothing, are handled by the rules (data/rules/forms.yml)
    # before the form asks its question again.
    handed_on = {
        "stop", "emergency", "forget_conversation", "greet", "goodbye", "thanks", "bot_identity",
        "handoff_request", "not_english", "something_else", "unhelpful", "out_of_scope", "nlu_fallback",
    }  # fmt: skip

    # Intents of messages that answer a form's question, even put as one ("can you do Friday?").
    answering = {"inform", "affirm", "deny", "request_booking", "change_field", "nlu_fallback"}

    @abstractmethod
    def name(self) -> str:
        """Set per form; abstract here so rasa-sdk doesn't register the base."""

    def asks_something(self, message: Message, words: Vocabulary) -> bool:
        """A question about something else ("what time do you close on Friday?"), not an answer put as one."""
        return is_question(message, words) and message.intent not in self.answering

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        if not is_fresh(tracker, self.form_name()):
            return []
        message = message_of(tracker)
        words = vocabulary()
        step = tracker.get_slot("requested_slot")
        if message.intent == "emergency":
            return []  # the emergency rule answers and ends the form
        if step is None:
            reading = self.starting(message, words, tracker)
            self.answer_asked_along(message, words, tracker, dispatcher)
        elif choice(message, words, ["cancel"]) == "cancel":
            return [SlotSet("confirm", False), SlotSet("requested_slot", None)]
        elif choice(message, words, ["restart"]) == "restart":
            send_form_text(dispatcher, "restarted", self.topic)  # "start over": every answer given is dropped
            cleared = {slot: None for slot in self.domain_slots(domain)}
            return [
                SlotSet(slot, value)
                for slot, value in {**cleared, "failed_slot": None, "failures": 0, "changing": None}.items()
            ]
        else:
            reading = self.read(step, message, words, tracker, dispatcher)
        if reading.aside:
            return []  # nothing set: the form steps aside and the rules answer (data/rules/forms.yml)
        if step and reading.changed and not reading.answered:
            self.tell_changed(step, dispatcher, tracker, reading)
        events = [SlotSet(slot, value) for slot, value in reading.slots.items()]
        tracker.slots.update(reading.slots)  # what the next question depends on (consent, confirm)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        if required != self.domain_slots(domain):  # declined or cancelled: no more questions
            missing = (slot for slot in required if tracker.get_slot(slot) is None)
            events.append(SlotSet("requested_slot", next(missing, None)))
        return events

    def answer_asked_along(
        self, message: Message, words: Vocabulary, tracker: Tracker, dispatcher: CollectingDispatcher
    ) -> None:
        """ "I want to book dry needling but does it hurt?": the question gets its answer before the
        form's first question, when the classifier saw one of our topics in it clearly enough."""
        if not is_question(message, words) or answered_already(tracker, self.form_name()):
            return
        kb = knowledge_base()
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        asked = next((r for r in ranking if r.get("name") in kb.topics and r.get("name") != "booking"), None)
        if asked and float(asked.get("confidence") or 0) >= ASKED_ALONG:
            replies(kb).answer(kb.answer(asked["name"])).send(dispatcher)

    # --- reading ---------------------------------------------------------------------------------

    def starting(self, message: Message, words: Vocabulary, tracker: Tracker) -> Reading:
        """The first message of the form: details given up front, and a fresh consent."""
        reading = Reading()
        for slot in ("consent", "confirm", "failed_slot", "changing"):
            if tracker.get_slot(slot) is not None:
                reading.slots[slot] = None  # from a form left for this one ("talk to a person")
        reading.slots["failures"] = 0
        self.details(None, message, words, tracker, reading)
        return reading

    def read(
        self,
        step: str,
        message: Message,
        words: Vocabulary,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
    ) -> Reading:
        reading = Reading()
        answer = self.answer(step, message, words, tracker)
        if answer is not None:
            reading.answered = True
            reading.slots.update(self.accepted(step, answer) if not isinstance(answer, dict) else answer)
        self.details(step, message, words, tracker, reading)
        if step == "consent" and reading.slots.get("consent") is False and reading.changed:
            # "no monday is fine actually make it 10am": a correction, not a refusal to keep the details
            for slot in ("consent", "failed_slot", "failures"):
                reading.slots.pop(slot, None)
            reading.answered = False
        if reading.answered or reading.slots:
            return reading
        if is_question(message, words) or message.intent in self.handed_on:
            reading.aside = True
            return reading
        reading.slots.update(self.reject(step, dispatcher, tracker))
        return reading

    def answer(self, step: str, message: Message, words: Vocabulary, tracker: Tracker) -> Any:
        """The answer to the question asked (name, contact, consent; forms add theirs), or None."""
        if step == "name":
            if is_question(message, words):
                return None
            text = strip_lead(message.text, words)
            return details.parse_name(text, words.not_names) or details.find_name(text, words.not_names)
        if step == "contact":
            found = details.find_contact(message.text)
            return {**self.accepted("contact", found[0]), "contact_type": found[1]} if found else None
        if step == "consent":
            said = choice(message, words, ["yes", "no"])
            return {"yes": True, "no": False}.get(said or "")
        return None

    def details(
        self, step: Optional[str], message: Message, words: Vocabulary, tracker: Tracker, reading: Reading
    ) -> None:
        """Name and contact given in any message ("my name is ...", a phone number anywhere)."""
        if message.clicked:
            return
        if step != "contact":
            found = details.find_contact(message.text)
            if found:
                self.update(tracker, reading, "contact", found[0], contact_type=found[1])
        if step != "name":
            leads = step is None or tracker.get_slot("name") is None
            name = details.find_name(message.text, words.not_names, leads=leads, after_for=step is None)
            if name:
                self.update(tracker, reading, "name", name)

    def update(self, tracker: Tracker, reading: Reading, slot: str, value: Any, **more: Any) -> None:
        """A detail found in a message: set it, and note it when it changes one given before."""
        before = tracker.get_slot(slot)
        if before == value:
            return
        reading.slots.update({slot: value, **more})
        if before not in (None, ""):
            reading.changed.append(slot)

    def tell_changed(
        self, step: str, dispatcher: CollectingDispatcher, tracker: Tracker, reading: Reading
    ) -> None:
        """A correction mid-form: say so, with what the request holds now (the question follows)."""
        so_far = self.so_far({**tracker.slots, **reading.slots})
        if step == "confirm" or not so_far:
            send_form_text(dispatcher, "updated", self.topic)
        else:
            send_form_text(dispatcher, "updated_so_far", self.topic, summary=so_far)

    def so_far(self, slots: Dict[str, Any]) -> str:
        return ""

    # --- checking --------------------------------------------------------------------------------

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

    def accepted(self, slot: str, value: Any) -> Dict[str, Any]:
        return {slot: value, "failed_slot": None, "failures": 0}

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        if tracker.get_slot("consent") is False:
            return ["consent"]  # answered "no": nothing more to ask; the submit action explains
        if tracker.get_slot("confirm") is False:
            return ["confirm"]  # cancelled: nothing more to ask; the submit action says so
        return domain_slots
