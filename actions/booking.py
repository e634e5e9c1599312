"""The booking request form: validate_booking_form, its prompts, and action_submit_booking."""

from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import patient_details as details
from actions.forms import (
    AskAction,
    ClinicFormValidation,
    ask_actions,
    entity,
    form_content,
    latest_intent,
    latest_text,
)
from actions.settings import settings
from actions.submit import SubmitAction
from clinic.content import therapies
from clinic.facts import fill

FORM = "booking_form"
SLOTS = ["therapy", "name", "contact", "preferred_time", "new_patient", "reason", "consent", "confirm"]
EDITABLE = ["therapy", "name", "contact", "preferred_time", "new_patient", "reason"]


def summary(tracker: Tracker) -> str:
    """The request in the patient's words, for the confirmation question (content/booking.yml's summary)."""
    phrases = form_content()["spec"]["summary"]
    slots = {slot: str(tracker.get_slot(slot) or "") for slot in EDITABLE}
    slots["therapy"] = therapies(settings().files).in_summary(tracker.get_slot("therapy"))
    parts = [fill(phrases[slot], slots) for slot in ("therapy", "name", "contact", "preferred_time")]
    parts.append(phrases["new_patient"]["new" if slots["new_patient"] == "new" else "returning"])
    if slots["reason"]:
        parts.append(fill(phrases["reason"], slots))
    return "; ".join(parts)


class AskConfirm(AskAction):
    def fields(self, tracker: Tracker) -> Dict[str, str]:
        return {"summary": summary(tracker)}


ask_actions(FORM, SLOTS, confirm=AskConfirm)


class ValidateBookingForm(ClinicFormValidation):
    """Reads each answer (or details given up front), checks it, and asks again kindly when it doesn't fit."""

    topic = "booking"

    def name(self) -> str:
        return "validate_booking_form"

    # --- extraction: what this message says for each slot --------------------------------------

    async def extract_therapy(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        found = read_therapy(latest_text(tracker), entity(tracker, "therapy"))
        if tracker.get_slot("therapy") is None and found and latest_intent(tracker) == "request_booking":
            return {"therapy": found}
        return {"therapy": latest_text(tracker)} if self.requested(tracker, "therapy") else {}

    async def extract_name(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        if self.requested(tracker, "name"):
            return {"name": latest_text(tracker)}
        given = details.find_name(tracker.latest_message.get("text") or "")
        return {"name": given} if given and tracker.get_slot("name") is None else {}

    async def extract_contact(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        if self.requested(tracker, "contact"):
            return {"contact": latest_text(tracker)}
        found = details.find_contact(latest_text(tracker))
        return {"contact": found[0]} if found and tracker.get_slot("contact") is None else {}

    async def extract_preferred_time(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        return {"preferred_time": latest_text(tracker)} if self.requested(tracker, "preferred_time") else {}

    async def extract_new_patient(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        if not self.requested(tracker, "new_patient"):
            return {}
        return {"new_patient": entity(tracker, "new_patient") or latest_text(tracker)}

    async def extract_reason(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        if not self.requested(tracker, "reason"):
            return {}
        return {"reason": "" if latest_intent(tracker) == "deny" else latest_text(tracker)}

    async def extract_confirm(self, dispatcher, tracker, domain) -> Dict[str, Any]:
        if not self.requested(tracker, "confirm"):
            return {}
        if latest_intent(tracker) == "change_field":
            return {"confirm": "change"}
        return self.yes_no(tracker, "confirm")

    # --- validation: is the answer usable? ----------------------------------------------------

    def validate_therapy(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        therapy = read_therapy(str(value), entity(tracker, "therapy"))
        return self.accepted("therapy", therapy) if therapy else self.reject("therapy", dispatcher, tracker)

    def validate_preferred_time(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value).strip()
        if not text or len(text) > 200:
            return self.reject("preferred_time", dispatcher, tracker)
        read = details.normalise_time(text)
        both = f"{text} ({read})"
        # What we read is only added when it fits the request's 200 characters (the API refuses more).
        fits = read and read.lower() != text.lower() and len(both) <= 200
        return self.accepted("preferred_time", both if fits else text)

    def validate_new_patient(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value).lower()
        if text in ("new", "returning"):
            return self.accepted("new_patient", text)
        for answer, words in form_content()["spec"]["new_patient_words"].items():
            if any(word in text for word in words):
                return self.accepted("new_patient", answer)
        return self.reject("new_patient", dispatcher, tracker)

    def validate_reason(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        text = str(value).strip()
        return (
            self.accepted("reason", text) if len(text) <= 500 else self.reject("reason", dispatcher, tracker)
        )

    def validate_confirm(self, value: Any, dispatcher, tracker, domain) -> Dict[str, Any]:
        if value == "change":
            return self.change_field(dispatcher, tracker)
        if value is False:
            return {"confirm": False}
        return (
            self.accepted("confirm", True) if value is True else self.reject("confirm", dispatcher, tracker)
        )

    def change_field(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        """Clear the field the patient wants to change, so the form asks it again."""
        field = entity(tracker, "field")
        if field in EDITABLE:
            return {field: None, "confirm": None}
        content = form_content()
        dispatcher.utter_message(
            text=content["spec"]["which_field"],
            buttons=[
                {"title": title, "payload": f'/change_field{{"field":"{slot}"}}'}
                for slot, title in content["spec"]["field_buttons"].items()
            ],
            json_message={"topic": "booking", "asks": "confirm"},
        )
        return {"confirm": None}


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
