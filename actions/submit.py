"""Handing a finished form to staff: build the request, keep it in the outbox, tell the patient.

Also action_stop_form, which ends a form at the patient's "stop" and has its details deleted.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import outbox
from actions.forms import form_content, form_text, send_form_text
from actions.office_hours import desk_reopens
from actions.settings import settings
from clinic.facts import load_clinic
from clinic.forgetting import FORGET_SLOT, FORM

TRANSCRIPT_TURNS = 20
# How long the patient waits for the first try to reach staff before hearing "saved, staff will have it".
FIRST_TRY_SECONDS = 8.0
FORM_SLOTS = [
    "therapy",
    "name",
    "contact",
    "contact_type",
    "preferred_time",
    "new_patient",
    "reason",
    "question",
    "consent",
    "confirm",
    "changing",
    "failed_slot",
    "failures",
    "requested_slot",
]


def cleared() -> List[Dict[str, Any]]:
    """Forget the form's details once they are handed over."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def dropped() -> List[Dict[str, Any]]:
    """The form was stopped or consent declined: also have the tracker store delete what was typed
    for it (bot/tracker_store.py), as the reply tells the patient."""
    return [*cleared(), SlotSet(FORGET_SLOT, FORM)]


def transcript(tracker: Tracker) -> List[Dict[str, str]]:
    """The last turns of the conversation, for staff to read with the request: what the patient saw, so
    a clicked button is its title, not its payload."""
    turns = []
    offered: Dict[str, str] = {}  # the buttons of the assistant's last message: payload -> title
    for event in tracker.events:
        if event.get("event") == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            offered = {b["payload"]: b["title"] for b in buttons if b.get("payload") and b.get("title")}
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        text = event["text"]
        if event["event"] == "user" and text.startswith("/"):
            text = offered.get(text) or button_titles().get(text) or text
        turns.append({"who": "patient" if event["event"] == "user" else "assistant", "text": text[:2000]})
    return turns[-TRANSCRIPT_TURNS:]


def button_titles() -> Dict[str, str]:
    """Every form button's payload and title in content/booking.yml, for a click whose message is gone."""
    spec = form_content()["spec"]
    titles = {
        button["payload"]: button["title"]
        for section in ("booking", "handoff")
        for ask in spec[section]["asks"].values()
        for button in ask.get("buttons", [])
    }
    for slot, title in spec["field_buttons"].items():
        titles[f'/change_field{{"field":"{slot}"}}'] = title
    return titles


def plain(value: Any) -> Any:
    """The request as text the API accepts: no NUL characters, no broken Unicode (lone surrogates).

    A patient can paste either into the chat; the API refuses them (422), and a refused request would
    wait in the outbox for a person instead of reaching staff. Nothing else is changed.
    """
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def when_staff_reply(now: datetime) -> str:
    clinic = load_clinic(settings().clinic_config)
    reopens = desk_reopens(now, clinic, form_content()["spec"]["nearby_days"])
    if reopens is None:
        return form_text("desk_open", reply_within=clinic.get("reply_within", "a few hours"))
    return form_text("desk_closed", day=reopens[0], time=reopens[1])


class SubmitAction(Action, ABC):
    """Subclasses say what their form adds to the request (`payload`) and its `kind`."""

    @abstractmethod
    def name(self) -> str:
        """Set per subclass; abstract here so rasa-sdk doesn't register the base."""

    kind = ""

    def payload(self, tracker: Tracker) -> Optional[Dict[str, Any]]:
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        topic = "booking" if self.kind == "booking" else "handoff"
        if tracker.get_slot("confirm") is False:  # cancelled in words, or "no" to sending it
            send_form_text(dispatcher, "stopped", topic)
            return dropped()
        if tracker.get_slot("consent") is not True:
            send_form_text(dispatcher, "no_consent", topic)
            return dropped()
        specific = self.payload(tracker)
        if specific is None:
            send_form_text(dispatcher, "stopped", topic)
            return dropped()
        request = plain(
            {
                "kind": self.kind,
                "name": tracker.get_slot("name"),
                "contact": tracker.get_slot("contact"),
                "contact_type": tracker.get_slot("contact_type"),
                "consent": True,
                "conversation_id": tracker.sender_id,
                "transcript": transcript(tracker),
                **specific,
            }
        )
        reference = await outbox.first_try(outbox.new_key(), request, timeout=FIRST_TRY_SECONDS)
        when = when_staff_reply(datetime.now(timezone.utc))
        if reference:
            text = form_text(f"sent_{self.kind}", reference=reference, when=when)
            dispatcher.utter_message(text=text, json_message={"topic": topic, "reference": reference})
        else:
            dispatcher.utter_message(
                text=form_text("saved_for_later", when=when), json_message={"topic": topic, "saved": True}
            )
        return cleared()


class ActionStopForm(Action):
    """The patient said stop: end the form and keep nothing."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        topic = "handoff" if tracker.active_loop.get("name") == "handoff_form" else "booking"
        send_form_text(dispatcher, "stopped", topic)
        return [ActiveLoop(None), *dropped()]
