"""Rasa's SQL tracker store, which also deletes what a patient asked us not to keep.

Listed in endpoints.yml as `type: bot.tracker_store.ClinicTrackerStore`, with the stock SQL store's
settings (SQLite by default, PostgreSQL for scale-out). An action asks for a deletion by setting the
`forget` slot (actions/privacy.py):

- `form`: the patient stopped a booking or question form, or declined consent. Everything from the
  message that opened the form to the reply that closed it is deleted: the details typed, the slots
  they filled and the summary that repeated them. The conversation before it stays.
- `conversation`: the patient asked us to delete the conversation: every event of it is deleted.

The deletion runs when Rasa saves the turn that asked for it (once per message, at its end), so the
next message starts from what is left. On SQLite the deleted rows are overwritten (secure_delete) and
the write-ahead log emptied, so the details don't linger in free pages.
"""

from __future__ import annotations

import json
import logging
from typing import Any, List, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from clinic.forgetting import CONVERSATION, FORGET_SLOT

logger = logging.getLogger(__name__)

FORMS = {"booking_form", "handoff_form"}


def requested_forgetting(tracker: DialogueStateTracker) -> Optional[str]:
    """ "form" or "conversation" when this turn (since the patient's latest message) asked for it."""
    for event in reversed(tracker.events):
        if isinstance(event, SlotSet) and event.key == FORGET_SLOT and event.value:
            return str(event.value)
        if isinstance(event, UserUttered):
            return None
    return None


def form_span_start(rows: List[Any]) -> Optional[int]:
    """The id of the row where the latest form's span begins: the patient's message that opened it.

    `rows` are (id, type_name, data) of the current session, oldest first. A form answering an aside
    mid-way re-announces itself (another active_loop event): its span begins where it first opened. A
    form that another opened on the same message ("talk to a person" mid-booking: the booking's name
    and contact go on into the question) continues its span.
    """
    opened, in_form, left_on_this_message = None, False, False
    for index, (_, type_name, data) in enumerate(rows):
        if type_name == UserUttered.type_name:
            left_on_this_message = False
        if type_name != ActiveLoop.type_name:
            continue
        name = json.loads(data).get("name")
        if name in FORMS and not in_form and not left_on_this_message:
            opened = index
        left_on_this_message = in_form and name not in FORMS
        in_form = name in FORMS
    if opened is None:
        return None
    message = next((i for i in range(opened, -1, -1) if rows[i][1] == UserUttered.type_name), opened)
    return int(rows[message][0])


class ClinicTrackerStore(SQLTrackerStore):
    """The SQL tracker store that deletes a form's details or a whole conversation when asked."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        forgetting = requested_forgetting(tracker)
        if forgetting is None:
            return
        deleted = self.forget(tracker.sender_id, whole_conversation=forgetting == CONVERSATION)
        logger.info("Deleted %d event(s) of a conversation, as the patient asked (%s)", deleted, forgetting)

    def forget(self, sender_id: str, *, whole_conversation: bool) -> int:
        """Delete the conversation's events (all of them, or the latest form's); returns how many."""
        events = self.SQLEvent
        with self.session_scope() as session:
            sqlite = session.bind.dialect.name == "sqlite"
            if sqlite:
                session.execute(sa.text("pragma secure_delete = on"))
            doomed = session.query(events).filter(events.sender_id == sender_id)
            if not whole_conversation:
                rows = (
                    self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                    .with_entities(events.id, events.type_name, events.data)
                    .all()
                )
                start = form_span_start(rows)
                if start is None:
                    return 0
                doomed = doomed.filter(events.id >= start)
            deleted = doomed.delete(synchronize_session=False)
            session.commit()
            if sqlite:
                session.execute(sa.text("pragma wal_checkpoint(truncate)"))
        return int(deleted)
