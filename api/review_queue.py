"""The review queue (/staff/review): every patient message the assistant could not answer well, read from
what it did, grouped the way the feedback page groups questions, most frequent first.

What the assistant did is in Rasa's tracker store (`events`): each patient message (`user`, with the
classifier's confidence) and the reply that followed (`bot`, whose `custom.topic` says "clarify" for
"Did you mean ...?", "out_of_scope" for "I can't answer that", or the answer's topic). A 👎 is in the
feedback table by conversation and topic: it points at the messages of that conversation answered with
that topic. Messages typed inside a form (a name, a phone number) and button presses are never queued.
Every wording is blanked as on the feedback page before it leaves this module.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

from api.feedback_groups import Worded, question_key
from api.store import blank_personal_details

# An answer given with less than this confidence in its topic is worth a look (the assistant answers
# from 0.35, actions/understanding.py): it was right more often than not, but not by much.
LOW_CONFIDENCE = 0.5
DID_YOU_MEAN, CANT_ANSWER, UNHELPFUL, LOW = "did_you_mean", "cant_answer", "unhelpful", "low_confidence"
WHAT_IT_DID = {
    DID_YOU_MEAN: 'asked "Did you mean …?"',
    CANT_ANSWER: 'said "I can\'t answer that"',
    UNHELPFUL: "answered; the patient said 👎",
    LOW: "answered, unsure",
}
ANSWERING_ACTION = "action_answer_question"  # actions/faq.py: answers, asks "Did you mean" or declines


@dataclass(frozen=True)
class Turn:
    """One patient message and what the assistant made of it."""

    text: str
    at: float
    outcome: str  # one of WHAT_IT_DID
    topic: Optional[str]  # the topic answered, if it answered
    confidence: float


@dataclass
class ReviewGroup(Worded):
    """One question however it was worded: how often, what the assistant did, and any label it has."""

    key: str
    times: int = 0
    last_at: float = 0.0
    wordings: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # (outcome, topic) -> times
    label: Optional[Mapping[str, Any]] = None

    @property
    def what_it_did(self) -> List[Tuple[str, Optional[str], int]]:
        """(what it did, the topic it answered, how often), most often first."""
        return [(WHAT_IT_DID[outcome], topic, n) for (outcome, topic), n in self.outcomes.most_common()]


def review_groups(
    tracker_db: Path,
    unhelpful: Iterable[Tuple[str, str]],
    labels: Mapping[str, Mapping[str, Any]],
    *,
    topics: Set[str],
) -> List[ReviewGroup]:
    """The queue: messages grouped by question key, most frequent first, then most recent.

    `unhelpful` are the (conversation, topic) pairs rated 👎; `labels` the staff's labels by question key."""
    groups: Dict[str, ReviewGroup] = {}
    for turn in turns_to_review(tracker_db, set(unhelpful), topics):
        key = question_key(turn.text)
        if not key:
            continue
        group = groups.setdefault(key, ReviewGroup(key))
        group.times += 1
        group.last_at = max(group.last_at, turn.at)
        group.wordings[turn.text] += 1
        group.outcomes[(turn.outcome, turn.topic)] += 1
    for key, label in labels.items():
        if key in groups:
            groups[key].label = label
    return sorted(groups.values(), key=lambda g: (-g.times, -g.last_at))


def turns_to_review(tracker_db: Path, unhelpful: Set[Tuple[str, str]], topics: Set[str]) -> Iterator[Turn]:
    """Each patient message worth a look, oldest first, its text blanked."""
    for sender, message, reply_topic in _exchanges(tracker_db):
        parse = message.get("parse_data") or {}
        confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
        if reply_topic == "clarify":
            outcome, topic = DID_YOU_MEAN, None
        elif reply_topic == "out_of_scope":
            outcome, topic = CANT_ANSWER, None
        elif reply_topic in topics and (sender, reply_topic) in unhelpful:
            outcome, topic = UNHELPFUL, reply_topic
        elif reply_topic in topics and confidence < LOW_CONFIDENCE:
            outcome, topic = LOW, reply_topic
        else:
            continue
        text = blank_personal_details(str(message.get("text") or ""))
        if text:
            yield Turn(text, float(message.get("timestamp") or 0.0), outcome, topic, confidence)


def _exchanges(tracker_db: Path) -> Iterator[Tuple[str, Dict[str, Any], Optional[str]]]:
    """(conversation, patient message, the topic of the first reply to it) for questions: messages typed
    outside a form and answered by action_answer_question (a "yes", "no" or "hello" gets a reply of its
    own, which may ask too); button presses ("/topic") and messages inside a form are left out."""
    if not tracker_db.exists():
        return
    with closing(sqlite3.connect(f"file:{tracker_db}?mode=ro", uri=True, timeout=10)) as conn:
        if not conn.execute("select 1 from sqlite_master where name = 'events'").fetchone():
            return
        rows = conn.execute(
            "select sender_id, type_name, data from events "
            "where type_name in ('user', 'action', 'bot', 'active_loop', 'session_started') "
            "order by sender_id, id"
        )
        sender, in_form, waiting, action = "", False, None, ""
        for row_sender, kind, data in rows:
            if row_sender != sender:
                sender, in_form, waiting = str(row_sender), False, None
            event = json.loads(data)
            if kind == "session_started":
                in_form, waiting = False, None
            elif kind == "active_loop":
                in_form = bool(event.get("name"))
            elif kind == "user":
                text = str(event.get("text") or "")
                typed = text and not text.startswith("/") and not in_form
                waiting = event if typed else None
            elif kind == "action":
                action = str(event.get("name") or "")
            elif kind == "bot" and waiting is not None and action == ANSWERING_ACTION:
                custom = (event.get("data") or {}).get("custom") or {}
                yield sender, waiting, custom.get("topic")
                waiting = None
