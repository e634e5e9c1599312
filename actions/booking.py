"""The booking request form: validate_booking_form, its prompts, and action_submit_booking."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import patient_details as details
from actions.forms import AskAction, ClinicFormValidation, Reading, ask_actions, form_content
from actions.settings import settings
from actions.submit import SubmitAction
from actions.typed_answers import (
    Message,
    Vocabulary,
    choice,
    field_named,
    is_correction,
    is_filler,
    is_question,
    new_or_returning,
    time_said,
)
from clinic.content import therapies
from clinic.facts import fill

FORM = "booking_form"
SLOTS = ["therapy", "name", "contact", "preferred_time", "new_patient", "reason", "consent", "confirm"]
EDITABLE = ["therapy", "name", "contact", "preferred_time", "new_patient", "reason"]
FREE_TEXT = {"reason"}  # steps whose answer is the patient's own words, kept whole


def summary(slots: Dict[str, Any]) -> str:
    """The request in the patient's words, for the confirmation question (content/booking.yml's summary);
    only the parts given so far."""
    phrases = form_content()["spec"]["summary"]
    given = {slot: str(slots.get(slot) or "") for slot in EDITABLE}
    given["therapy"] = (
        therapies(settings().files).in_summary(slots.get("therapy")) if given["therapy"] else ""
    )
    parts = [
        fill(phrases[slot], given) for slot in ("therapy", "name", "contact", "preferred_time") if given[slot]
    ]
    if given["new_patient"]:
        parts.append(phrases["new_patient"]["new" if given["new_patient"] == "new" else "returning"])
    if given["reason"]:
        parts.append(fill(phrases["reason"], given))
    return "; ".join(parts)


class AskConfirm(AskAction):
    """The summary and "Shall I send it?"; after "change something", which detail to change."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        if not tracker.get_slot("changing"):
            return await super().run(dispatcher, tracker, domain)
        content = form_content()
        dispatcher.utter_message(
            text=content["spec"]["which_field"],
            buttons=[
                {"title": title, "payload": f'/change_field{{"field":"{slot}"}}'}
                for slot, title in content["spec"]["field_buttons"].items()
            ],
            json_message={"topic": "booking", "asks": "confirm"},
        )
        return []

    def fields(self, tracker: Tracker) -> Dict[str, str]:
        return {"summary": summary(tracker.slots)}


ask_actions(FORM, SLOTS, confirm=AskConfirm)


class ValidateBookingForm(ClinicFormValidation):
    """Reads each message for the answer asked, details given anywhere and corrections; asks again kindly
    when an answer doesn't fit."""

    topic = "booking"

    def name(self) -> str:
        return "validate_booking_form"

    def answer(self, step: str, message: Message, words: Vocabulary, tracker: Tracker) -> Any:
        if step == "therapy":
            if self.asks_something(message, words):
                return None  # "what's the difference between IMS and acupuncture?" is answered first
            return read_therapy(message.text, message.entity("therapy"))
        if step == "name":
            time = details.find_time(message.text, words.time_words)
            if time and time_said(message.text, words).changes:
                return None  # "I can't go on Tuesday, can we do Wednesday?": the time changes, not the name
            if time and not is_question(message, words):
                text = message.text.replace(time, " ")
                return super().answer(step, Message(text, message.intent), words, tracker)
        if step == "preferred_time":
            if message.clicked:
                return None
            said = time_said(details.without_contacts(message.text), words)
            time = said.wanted
            if said.turned_down and not time:
                return None  # "Tuesday is no good": asked again
            if time and not self.asks_something(message, words):
                # "can you do Friday?" answers too; with a phone number or a name, only the time is kept
                whole = not self.corrects_something(message, words) and (
                    not is_question(message, words) or said.limited  # "any time except friday?"
                )
                if not whole:
                    return preferred_time(
                        time if said.turned_down else details.on_the_day_said(time, message.text)
                    )
                # "can't do weekends. weekdays after 3:30": kept whole, read from the time asked for only;
                # "any time except friday": kept whole, not read (a reading would name Friday)
                text = message.text.strip(" ,.")
                if said.excluded:
                    return text if len(text) <= 200 else None
                return preferred_time(text, read_from=time if said.turned_down else None)
            if (
                is_question(message, words)
                or is_filler(message, words)
                or self.corrects_something(message, words)
            ):
                return None
            return preferred_time(message.text)  # "whenever the physio is free": the front desk reads it
        if step == "new_patient":
            return new_or_returning(message, words)
        if step == "reason":
            if choice(message, words, ["skip", "no"]):
                return ""
            if is_question(message, words) or is_filler(message, words) or message.clicked:
                return None
            if self.corrects_something(message, words):
                return None  # "my email is ...", "make it acupuncture": a correction, not the reason
            return message.text if len(message.text) <= 500 else None
        if step == "confirm":
            return self.confirm(message, words, tracker)
        return super().answer(step, message, words, tracker)

    def corrects_something(self, message: Message, words: Vocabulary) -> bool:
        """A contact, "my name is ...", or a correction naming a therapy or a time."""
        text = message.text
        if details.find_contact(text) or details.find_name(
            text, words.not_names, leads=False, after_for=False
        ):
            return True
        return is_correction(message, words) and bool(
            read_therapy(text, message.entity("therapy")) or details.find_time(text, words.time_words)
        )

    def confirm(self, message: Message, words: Vocabulary, tracker: Tracker) -> Optional[Dict[str, Any]]:
        """Send it, change something (which?), or not."""
        field = field_named(message, words)
        said = choice(message, words, ["change", "yes", "no"])
        if tracker.get_slot("changing") or said == "change" or (field and is_correction(message, words)):
            if field in EDITABLE:
                return {field: None, "confirm": None, "changing": None}  # asked again, then the summary
            return {"confirm": None, "changing": True}  # "What would you like to change?"
        if said in ("yes", "no"):
            return self.accepted("confirm", said == "yes")
        return None

    def details(
        self, step: Optional[str], message: Message, words: Vocabulary, tracker: Tracker, reading: Reading
    ) -> None:
        """Besides name and contact: the therapy and the preferred time, when the form starts, before they
        are asked, or as a correction ("make it acupuncture", "change the time to Friday")."""
        super().details(step, message, words, tracker, reading)
        if message.clicked or (reading.answered and step in FREE_TEXT):
            return  # the reason is the patient's own words, days and therapies included
        said = time_said(details.without_contacts(message.text), words)
        correcting = is_correction(message, words) or bool(tracker.get_slot("changing")) or said.changes
        if step is not None and is_question(message, words) and not correcting:
            return  # "is acupuncture safe?" asks about acupuncture; it books nothing
        if step != "therapy" and (step is None or correcting):
            therapy = read_therapy(message.text, message.entity("therapy"))
            if therapy and not (therapy == "not_sure" and step is not None):
                self.update(tracker, reading, "therapy", therapy)
        if step != "preferred_time" and (
            step is None or correcting or tracker.get_slot("preferred_time") is None
        ):
            if said.wanted and not said.excluded:  # "any time except friday" waits for its own question
                time = said.wanted
                if not said.turned_down:  # "make it 10am" keeps the day said before
                    time = details.on_the_day_said(time, message.text, tracker.get_slot("preferred_time"))
                self.update(tracker, reading, "preferred_time", preferred_time(time))
            elif said.turned_down and tracker.get_slot("preferred_time"):
                self.update(tracker, reading, "preferred_time", None)  # "I can't make Tuesday after all"
        if reading.changed and step == "confirm":
            reading.slots.update({"confirm": None, "changing": None})

    def so_far(self, slots: Dict[str, Any]) -> str:
        return summary(slots)

    def accepted(self, slot: str, value: Any) -> Dict[str, Any]:
        if slot == "therapy" and value is None:
            return {}
        return super().accepted(slot, value)


def preferred_time(text: str, read_from: Optional[str] = None) -> Optional[str]:
    """The time as the patient said it, with what we read from it (or from `read_from`, the part that
    asks for a time) when that adds something and fits the request's 200 characters (the API refuses
    more)."""
    text = text.strip()
    if not text or len(text) > 200:
        return None
    read = details.normalise_time(read_from or text)
    both = f"{text} ({read})"
    return both if read and read.lower() != text.lower() and len(both) <= 200 else text


def read_therapy(text: str, term: Optional[str]) -> Optional[str]:
    """The therapy a patient's words (or a clinic term spaCy found) ask for (content/therapies.yml)."""
    return therapies(settings().files).read(text, term)


class ActionSubmitBooking(SubmitAction):
    """Hand the confirmed booking request to staff (or keep it safely until the API is back)."""

    kind = "booking"

    def name(self) -> str:
        return "action_submit_booking"

    def payload(self, tracker: Tracker) -> Optional[Dict[str, Any]]:
        if tracker.get_slot("confirm") is not True:
            return None
        return {
            "therapy": tracker.get_slot("therapy"),
            "preferred_time": tracker.get_slot("preferred_time"),
            "new_patient": tracker.get_slot("new_patient") == "new",
            "reason": tracker.get_slot("reason") or None,
        }
