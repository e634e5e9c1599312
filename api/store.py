"""Storage of handoffs (requests for staff), their history and notes, and staff accounts."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional, Tuple

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from api.db import write_lock
from api.models import FeedbackCreate, HandoffCreate
from api.phone_numbers import contact_key
from api.search import Search

# No 0/O, 1/I/L or U/V: a reference read out over the phone must survive it.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
TRANSITIONS: Dict[str, Tuple[str, ...]] = {
    "new": ("contacted", "closed"),
    "contacted": ("booked", "closed"),
    "booked": (),
    "closed": (),
}
OPEN_STATUSES = ("new", "contacted")
FINAL_STATUSES = ("booked", "closed")
# Why a request was closed: what a clinic manager counts at the end of the month.
CLOSE_REASONS = ("no_answer", "not_needed", "booked_elsewhere", "duplicate", "spam", "other")
ASSISTANT = "assistant"
PUBLIC_COLUMNS = (
    "id, reference, kind, status, created_at, updated_at, name, contact, contact_type, contact_key, therapy, "
    "preferred_time, new_patient, reason, question, conversation_id, transcript, claimed_by, claimed_at, "
    "close_reason, duplicate_of, appointment_at"
)


class HandoffNotFound(LookupError):
    def __init__(self, handoff_id: int) -> None:
        super().__init__(f"No request with id {handoff_id}")
        self.handoff_id = handoff_id


class IllegalTransition(ValueError):
    def __init__(self, current: str, wanted: str) -> None:
        allowed = TRANSITIONS[current]
        if allowed:
            hint = f"from {current} it can become {' or '.join(allowed)}"
        else:
            hint = f"{current} is final: reopen it, with a reason, to change it"
        super().__init__(f"A request that is {current} cannot become {wanted}: {hint}")
        self.current = current
        self.wanted = wanted


class DetailNeeded(ValueError):
    """A change that needs one more thing said, in `field`: why it is closed, when the appointment is, ..."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFinal(ValueError):
    def __init__(self, current: str) -> None:
        super().__init__(
            f"A request that is {current} is still open: only booked or closed ones are reopened"
        )


class NotOpen(ValueError):
    def __init__(self, current: str) -> None:
        super().__init__(f"A request that is {current} is finished: reopen it to claim it")


class ClaimedByOther(ValueError):
    def __init__(self, username: str) -> None:
        super().__init__(f"{username} has claimed this request: ask them, or release their claim first")
        self.username = username


class IdempotencyKeyReused(ValueError):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request: send a new key for a new request"
        )


class TooMuchFeedback(Exception):
    def __init__(self) -> None:
        super().__init__("This conversation has given a lot of feedback already: thank you, that is plenty")


class ReferenceNotFound(LookupError):
    def __init__(self, reference: str) -> None:
        super().__init__(f"There is no request with reference {reference}")
        self.reference = reference


class StaffExists(ValueError):
    def __init__(self, username: str) -> None:
        super().__init__(f"There is already a staff account called {username!r}")


class StaffNotFound(LookupError):
    def __init__(self, username: str) -> None:
        super().__init__(f"There is no staff account called {username!r}")


def now() -> str:
    """The current time as stored: ISO 8601, UTC, to the second (sorts as text)."""
    return timestamp(datetime.now(timezone.utc))


def timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def create_handoff(
    db: Database, *, handoff: HandoffCreate, idempotency_key: Optional[str] = None
) -> Tuple[Dict[str, Any], bool]:
    """Stores a new request, or replays the first one stored under the same Idempotency-Key.

    Returns the request as first stored and whether it was created now.
    """
    fingerprint = hashlib.sha256(json.dumps(handoff.dict(), sort_keys=True).encode()).hexdigest()
    with write_lock(db):
        if idempotency_key is not None:
            earlier = _first_answer(db, key=idempotency_key, fingerprint=fingerprint)
            if earlier is not None:
                return earlier, False
        created_at = now()
        handoff_id = _insert_handoff(db, handoff=handoff, created_at=created_at)
        record = get_handoff(db, handoff_id=handoff_id)
        if idempotency_key is not None:
            db.table("idempotency_keys").insert(
                {
                    "key": idempotency_key,
                    "fingerprint": fingerprint,
                    "handoff_id": handoff_id,
                    "response": json.dumps(record),
                    "created_at": created_at,
                }
            )
    return record, True


def _first_answer(db: Database, *, key: str, fingerprint: str) -> Optional[Dict[str, Any]]:
    try:
        row = db.table("idempotency_keys").get(key)
    except NotFoundError:
        return None
    if row["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    answer: Dict[str, Any] = json.loads(row["response"])
    return answer


def _insert_handoff(db: Database, *, handoff: HandoffCreate, created_at: str) -> int:
    fields = handoff.dict(exclude={"consent", "transcript"})
    row = {
        **fields,
        "reference": _new_reference(db),
        "status": "new",
        "created_at": created_at,
        "updated_at": created_at,
        "consented_at": created_at,
        "transcript": json.dumps([turn.dict() for turn in handoff.transcript]),
        "contact_key": contact_key(handoff.contact, handoff.contact_type),
    }
    handoff_id = int(db.table("handoffs").insert(row).last_pk or 0)
    _record_change(db, handoff_id=handoff_id, at=created_at, who=ASSISTANT, what="created", to="new")
    return handoff_id


def _new_reference(db: Database) -> str:
    while True:
        reference = "REQ-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))
        if not db.table("handoffs").count_where("reference = ?", [reference]):
            return reference


def _record_change(
    db: Database,
    *,
    handoff_id: int,
    at: str,
    who: str,
    what: str,
    from_value: Optional[str] = None,
    to: Optional[str] = None,
    detail: Optional[str] = None,
) -> None:
    db.table("handoff_history").insert(
        {
            "handoff_id": handoff_id,
            "at": at,
            "who": who,
            "what": what,
            "from_value": from_value,
            "to_value": to,
            "detail": detail,
        }
    )


def get_handoff(db: Database, *, handoff_id: int) -> Dict[str, Any]:
    """One request with its transcript, notes and history."""
    rows = list(db.query(f"select {PUBLIC_COLUMNS} from handoffs where id = ?", [handoff_id]))
    if not rows:
        raise HandoffNotFound(handoff_id)
    return _with_notes_and_history(db, rows)[0]


def list_handoffs(
    db: Database,
    *,
    status: Optional[str] = None,
    kind: Optional[str] = None,
    search: Optional[Search] = None,
    page: int = 1,
    per_page: int = 20,
    open_first: bool = False,
) -> Tuple[List[Dict[str, Any]], int]:
    """One page of requests, newest first (open ones first when asked), and how many match in all."""
    conditions, params = [], []
    if status is not None:
        conditions.append("status = ?")
        params.append(status)
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    if search is not None:
        condition, search_params = search.condition()
        conditions.append(condition)
        params.extend(search_params)
    where = " where " + " and ".join(conditions) if conditions else ""
    order = "created_at desc, id desc"
    if open_first:
        order = "case status when 'new' then 0 when 'contacted' then 1 else 2 end, " + order
    total = db.execute(f"select count(*) from handoffs{where}", params).fetchone()[0]
    rows = list(
        db.query(
            f"select {PUBLIC_COLUMNS} from handoffs{where} order by {order} limit ? offset ?",
            [*params, per_page, (page - 1) * per_page],
        )
    )
    return _with_notes_and_history(db, rows), total


def inbox_version(db: Database) -> Tuple[Any, ...]:
    """Changes whenever any request is added, changed, claimed or deleted: the live inbox's ETag."""
    row = db.execute("select count(*), max(id), max(updated_at), max(claimed_at) from handoffs").fetchone()
    changes = db.execute("select max(id) from handoff_history").fetchone()[0]
    return (*row, changes)


def open_count(db: Database) -> int:
    """How many requests nobody has called yet (the number in the inbox's tab title)."""
    return int(db.table("handoffs").count_where("status = 'new'"))


def same_patient(db: Database, *, handoff_ids: List[int]) -> Dict[int, List[Dict[str, Any]]]:
    """For each request, the other requests with the same phone number or email, newest first."""
    if not handoff_ids:
        return {}
    marks = ", ".join("?" for _ in handoff_ids)
    linked: Dict[int, List[Dict[str, Any]]] = {i: [] for i in handoff_ids}
    for row in db.query(
        "select mine.id as mine, other.id, other.reference, other.kind, other.status, other.created_at "
        "from handoffs mine join handoffs other "
        "on other.contact_key = mine.contact_key and other.id != mine.id "
        f"where mine.id in ({marks}) order by other.created_at desc, other.id desc",
        handoff_ids,
    ):
        linked[row.pop("mine")].append(row)
    return linked


def _with_notes_and_history(db: Database, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    notes: Dict[int, List[Dict[str, Any]]] = {i: [] for i in ids}
    for note in db.query(
        f"select id, handoff_id, at, author, text from handoff_notes where handoff_id in ({marks}) order by id",
        ids,
    ):
        notes[note.pop("handoff_id")].append(note)
    history: Dict[int, List[Dict[str, Any]]] = {i: [] for i in ids}
    for change in db.query(
        "select handoff_id, at, who, what, from_value as 'from', to_value as 'to', detail from handoff_history "
        f"where handoff_id in ({marks}) order by id",
        ids,
    ):
        history[change.pop("handoff_id")].append(change)
    return [
        {
            **row,
            "new_patient": None if row["new_patient"] is None else bool(row["new_patient"]),
            "transcript": json.loads(row["transcript"] or "[]"),
            "notes": notes[row["id"]],
            "history": history[row["id"]],
        }
        for row in rows
    ]


def update_handoff(
    db: Database,
    *,
    handoff_id: int,
    by: str,
    status: Optional[str] = None,
    note: Optional[str] = None,
    close_reason: Optional[str] = None,
    duplicate_of: Optional[str] = None,
    appointment_at: Optional[str] = None,
) -> Dict[str, Any]:
    """Moves a request to a new status and/or adds a note, keeping who did it and when.

    Closing needs a reason (and a duplicate may name the request it repeats); booking needs the
    appointment's date and time, which can be changed later while it stays booked.
    """
    with write_lock(db):
        row = _row(db, handoff_id)
        current = row["status"]
        at = now()
        # Asking for the status a request already has changes nothing, so it is not an error.
        if status is not None and status != current:
            if status not in TRANSITIONS[current]:
                raise IllegalTransition(current, status)
            changes = _details_for(db, row, status, close_reason, duplicate_of, appointment_at)
            if status in FINAL_STATUSES:  # finished: nobody needs to hold on to it any more
                changes.update(claimed_by=None, claimed_at=None)
            db.table("handoffs").update(handoff_id, {**changes, "status": status, "updated_at": at})
            _record_change(
                db,
                handoff_id=handoff_id,
                at=at,
                who=by,
                what="status",
                from_value=current,
                to=status,
                detail=_describe(changes),
            )
        elif appointment_at is not None:
            if current != "booked":
                raise DetailNeeded(
                    "appointment_at", "An appointment time goes with booking the request: choose Booked too"
                )
            if appointment_at != row["appointment_at"]:
                db.table("handoffs").update(handoff_id, {"appointment_at": appointment_at, "updated_at": at})
                _record_change(
                    db,
                    handoff_id=handoff_id,
                    at=at,
                    who=by,
                    what="appointment",
                    from_value=row["appointment_at"],
                    to=appointment_at,
                )
        if note is not None:
            db.table("handoff_notes").insert({"handoff_id": handoff_id, "at": at, "author": by, "text": note})
            db.table("handoffs").update(handoff_id, {"updated_at": at})
            _record_change(db, handoff_id=handoff_id, at=at, who=by, what="note")
    return get_handoff(db, handoff_id=handoff_id)


def _row(db: Database, handoff_id: int) -> Dict[str, Any]:
    try:
        row: Dict[str, Any] = db.table("handoffs").get(handoff_id)
    except NotFoundError:
        raise HandoffNotFound(handoff_id) from None
    return row


def _details_for(
    db: Database,
    row: Dict[str, Any],
    status: str,
    close_reason: Optional[str],
    duplicate_of: Optional[str],
    appointment_at: Optional[str],
) -> Dict[str, Any]:
    """What a new status needs stored with it; DetailNeeded when something is missing or wrong."""
    if status == "closed":
        if close_reason not in CLOSE_REASONS:
            raise DetailNeeded("close_reason", "Say why it is closed: " + ", ".join(CLOSE_REASONS))
        if duplicate_of is not None:
            if close_reason != "duplicate":
                raise DetailNeeded(
                    "duplicate_of", "Only a duplicate repeats another request: choose the reason duplicate"
                )
            duplicate_of = duplicate_of.strip().upper()
            if duplicate_of == row["reference"]:
                raise DetailNeeded("duplicate_of", "A request cannot be a duplicate of itself")
            if not db.table("handoffs").count_where("reference = ?", [duplicate_of]):
                raise DetailNeeded("duplicate_of", f"There is no request with reference {duplicate_of}")
        return {"close_reason": close_reason, "duplicate_of": duplicate_of}
    if status == "booked":
        if appointment_at is None:
            raise DetailNeeded("appointment_at", "Give the appointment's date and time")
        return {"appointment_at": appointment_at}
    return {}


def _describe(changes: Dict[str, Any]) -> Optional[str]:
    """The history's note on a status change: the close reason (and what it repeats) or the appointment."""
    if changes.get("close_reason"):
        repeated = f" of {changes['duplicate_of']}" if changes.get("duplicate_of") else ""
        return f"{changes['close_reason']}{repeated}"
    return changes.get("appointment_at")


def reopen_handoff(db: Database, *, handoff_id: int, by: str, reason: str) -> Dict[str, Any]:
    """Undoes a booked or closed by mistake: back to the status it had before, with the reason kept."""
    with write_lock(db):
        row = _row(db, handoff_id)
        current = row["status"]
        if current not in FINAL_STATUSES:
            raise NotFinal(current)
        earlier = list(
            db.query(
                "select from_value from handoff_history where handoff_id = ? and what = 'status' "
                "and to_value = ? order by id desc limit 1",
                [handoff_id, current],
            )
        )
        back = (
            earlier[0]["from_value"] if earlier and earlier[0]["from_value"] in OPEN_STATUSES else "contacted"
        )
        at = now()
        db.table("handoffs").update(
            handoff_id,
            {
                "status": back,
                "close_reason": None,
                "duplicate_of": None,
                "appointment_at": None,
                "updated_at": at,
            },
        )
        _record_change(
            db,
            handoff_id=handoff_id,
            at=at,
            who=by,
            what="reopened",
            from_value=current,
            to=back,
            detail=reason,
        )
    return get_handoff(db, handoff_id=handoff_id)


def claim_handoff(db: Database, *, handoff_id: int, by: str) -> Dict[str, Any]:
    """Marks a request as being handled by `by`, so nobody else calls the same patient."""
    with write_lock(db):
        row = _row(db, handoff_id)
        if row["claimed_by"] == by:
            return get_handoff(db, handoff_id=handoff_id)
        if row["claimed_by"] is not None:
            raise ClaimedByOther(row["claimed_by"])
        if row["status"] in FINAL_STATUSES:
            raise NotOpen(row["status"])
        at = now()
        db.table("handoffs").update(handoff_id, {"claimed_by": by, "claimed_at": at, "updated_at": at})
        _record_change(db, handoff_id=handoff_id, at=at, who=by, what="claimed")
    return get_handoff(db, handoff_id=handoff_id)


def release_handoff(db: Database, *, handoff_id: int, by: str) -> Dict[str, Any]:
    """Gives a claim up (anyone may: a colleague gone home must not lock a patient out of a call back)."""
    with write_lock(db):
        row = _row(db, handoff_id)
        if row["claimed_by"] is not None:
            at = now()
            db.table("handoffs").update(
                handoff_id, {"claimed_by": None, "claimed_at": None, "updated_at": at}
            )
            _record_change(
                db, handoff_id=handoff_id, at=at, who=by, what="released", from_value=row["claimed_by"]
            )
    return get_handoff(db, handoff_id=handoff_id)


def _forget_in_search(db: Database) -> None:
    # FTS5 keeps a deleted row's words in its older index segments until they are merged: merge them
    # now, so a forgotten patient cannot be read back out of the search index (with secure_delete on,
    # the freed pages are overwritten too).
    db.execute("insert into handoffs_fts(handoffs_fts) values ('optimize')")


def purge_handoffs(db: Database, *, before: str) -> int:
    """Deletes requests created before `before` (their history, notes and keys go with them)."""
    with write_lock(db):
        deleted: int = db.execute("delete from handoffs where created_at < ?", [before]).rowcount
        if deleted:
            _forget_in_search(db)
        return deleted


def conversation_of(db: Database, *, reference: str) -> Optional[str]:
    """The id of the conversation a request came from (Rasa's sender id), if it has one."""
    rows = list(db.query("select conversation_id from handoffs where reference = ?", [reference]))
    if not rows:
        raise ReferenceNotFound(reference)
    conversation_id: Optional[str] = rows[0]["conversation_id"]
    return conversation_id


def forget_handoff(db: Database, *, reference: str) -> Dict[str, Any]:
    """Deletes one request with its notes, history and keys, and the feedback given in its conversation.

    Returns how many notes, history entries and pieces of feedback went with it, and the references
    of other requests from the same conversation (they are kept).
    """
    with write_lock(db):
        rows = list(db.query("select id, conversation_id from handoffs where reference = ?", [reference]))
        if not rows:
            raise ReferenceNotFound(reference)
        handoff_id, conversation_id = rows[0]["id"], rows[0]["conversation_id"]
        notes = db.table("handoff_notes").count_where("handoff_id = ?", [handoff_id])
        history = db.table("handoff_history").count_where("handoff_id = ?", [handoff_id])
        db.execute("delete from handoffs where id = ?", [handoff_id])
        _forget_in_search(db)
        feedback = db.execute("delete from feedback where conversation_id = ?", [conversation_id]).rowcount
        others = [
            row["reference"]
            for row in db.query("select reference from handoffs where conversation_id = ?", [conversation_id])
        ]
    return {"notes": notes, "history": history, "feedback": feedback, "other_requests": others}


def references_in(db: Database, *, conversation_id: str) -> List[str]:
    """The references of the requests that came from one conversation, oldest first."""
    return [
        row["reference"]
        for row in db.query(
            "select reference from handoffs where conversation_id = ? order by id", [conversation_id]
        )
    ]


def forget_conversation_data(db: Database, *, conversation_id: str) -> Dict[str, Any]:
    """Deletes every request from one conversation (with their notes, history and keys) and its feedback.

    Returns the references deleted and how many notes, history entries and pieces of feedback went.
    """
    with write_lock(db):
        references = references_in(db, conversation_id=conversation_id)
        its_requests = "(select id from handoffs where conversation_id = ?)"
        notes = db.table("handoff_notes").count_where(f"handoff_id in {its_requests}", [conversation_id])
        history = db.table("handoff_history").count_where(f"handoff_id in {its_requests}", [conversation_id])
        if db.execute("delete from handoffs where conversation_id = ?", [conversation_id]).rowcount:
            _forget_in_search(db)
        feedback = db.execute("delete from feedback where conversation_id = ?", [conversation_id]).rowcount
    return {
        "references": references,
        "notes": notes,
        "history": history,
        "feedback": feedback,
    }


def all_handoffs(db: Database) -> Iterator[Dict[str, Any]]:
    """Every request, oldest first, without transcript, notes or history (for the CSV export)."""
    return db.query(
        "select id, reference, kind, status, created_at, updated_at, name, contact, contact_type, therapy, "
        "preferred_time, new_patient, reason, question, conversation_id, close_reason, duplicate_of, "
        "appointment_at from handoffs order by id"
    )


ROLES = ("front_desk", "manager")


class LastManager(ValueError):
    def __init__(self) -> None:
        super().__init__("The clinic needs at least one manager: make someone else a manager first")


def add_staff(db: Database, *, username: str, password_hash: str, role: str = "front_desk") -> None:
    with write_lock(db):
        if db.table("staff").count_where("username = ?", [username]):
            raise StaffExists(username)
        db.table("staff").insert(
            {"username": username, "password_hash": password_hash, "created_at": now(), "role": role}
        )


def set_staff_role(db: Database, *, username: str, role: str) -> None:
    """Front desk or manager; the last manager stays one (else nobody could run the team's accounts)."""
    with write_lock(db):
        rows = list(db.query("select role from staff where username = ?", [username]))
        if not rows:
            raise StaffNotFound(username)
        if rows[0]["role"] == "manager" and role != "manager" and _managers(db) == 1:
            raise LastManager()
        db.execute("update staff set role = ? where username = ?", [role, username])


def _managers(db: Database) -> int:
    return int(db.table("staff").count_where("role = 'manager'"))


def set_staff_password(db: Database, *, username: str, password_hash: str) -> int:
    """A new password; every open session of the account ends with the old one. Returns how many."""
    with write_lock(db):
        if not db.table("staff").count_where("username = ?", [username]):
            raise StaffNotFound(username)
        db.execute("update staff set password_hash = ? where username = ?", [password_hash, username])
        return _end_sessions_of(db, username=username)


def remove_staff(db: Database, *, username: str) -> int:
    """Removes the account and ends its open sessions; returns how many sessions ended."""
    with write_lock(db):
        rows = list(db.query("select role from staff where username = ?", [username]))
        if not rows:
            raise StaffNotFound(username)
        if rows[0]["role"] == "manager" and _managers(db) == 1 and db.table("staff").count > 1:
            raise LastManager()
        db.execute("delete from staff where username = ?", [username])
        return _end_sessions_of(db, username=username)


COMMAND_LINE = "command line"


def record_activity(db: Database, *, who: str, what: str, detail: Optional[str] = None) -> None:
    """One line of the Team page's activity log (never a patient's details)."""
    with write_lock(db):
        db.table("staff_activity").insert({"at": now(), "who": who, "what": what, "detail": detail})


def recent_activity(db: Database, *, limit: int = 50) -> List[Dict[str, Any]]:
    return list(
        db.query("select at, who, what, detail from staff_activity order by id desc limit ?", [limit])
    )


def _end_sessions_of(db: Database, *, username: str) -> int:
    # A password change is how a stolen session is ended: every session of the account goes with it.
    return int(db.execute("delete from staff_sessions where username = ?", [username]).rowcount)


def list_staff(db: Database) -> List[Dict[str, Any]]:
    return list(db.query("select username, role, created_at from staff order by username"))


def staff_password_hash(db: Database, *, username: str) -> Optional[str]:
    rows = list(db.query("select password_hash from staff where username = ?", [username]))
    return rows[0]["password_hash"] if rows else None


# Feedback from the chat widget: no names or contacts, so questions are stored with these blanked.
FEEDBACK_PER_CONVERSATION = 100
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
LONG_NUMBER = re.compile(r"\+?\d[\d\s().-]{4,}\d")


def blank_personal_details(text: str) -> str:
    """The question without email addresses or phone-like numbers, on one line, at most 300 characters."""
    text = LONG_NUMBER.sub("[number]", EMAIL.sub("[email]", text))
    return " ".join(text.split())[:300]


def record_feedback(db: Database, *, feedback: FeedbackCreate) -> Tuple[Dict[str, Any], bool]:
    """Keeps a rating or an unanswered question; the same one again replaces it. Returns (row, created)."""
    question = blank_personal_details(feedback.question) if feedback.question else None
    if feedback.kind == "rating":
        once = f"{feedback.conversation_id}|rating|{feedback.topic}"
    else:
        said = " ".join((question or "").lower().split())
        once = f"{feedback.conversation_id}|unanswered|{hashlib.sha256(said.encode()).hexdigest()[:32]}"
    row = {
        "at": now(),
        "kind": feedback.kind,
        "topic": feedback.topic,
        "helpful": feedback.helpful,
        "conversation_id": feedback.conversation_id,
        "question": question,
        "once_key": once,
    }
    with write_lock(db):
        created = not db.table("feedback").count_where("once_key = ?", [once])
        if (
            created
            and db.table("feedback").count_where("conversation_id = ?", [feedback.conversation_id])
            >= FEEDBACK_PER_CONVERSATION
        ):
            raise TooMuchFeedback()
        db.execute(
            "insert into feedback (at, kind, topic, helpful, conversation_id, question, once_key) "
            "values (:at, :kind, :topic, :helpful, :conversation_id, :question, :once_key) "
            "on conflict(once_key) do update set at = excluded.at, helpful = excluded.helpful, "
            "question = excluded.question",
            row,
        )
    return row, created


def _between(since: Optional[str], until: Optional[str]) -> Tuple[str, List[str]]:
    conditions, params = [], []
    if since is not None:
        conditions.append("at >= ?")
        params.append(since)
    if until is not None:
        conditions.append("at < ?")
        params.append(until)
    return "".join(f" and {condition}" for condition in conditions), params


def feedback_by_topic(
    db: Database, *, since: Optional[str] = None, until: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Each rated topic with its 👎 and 👍 counts, the most 👎 first (given in [since, until) if said)."""
    when, params = _between(since, until)
    return list(
        db.query(
            "select topic, sum(helpful = 0) as unhelpful, sum(helpful = 1) as helpful from feedback "
            f"where kind = 'rating'{when} group by topic order by unhelpful desc, helpful asc, topic",
            params,
        )
    )


def unanswered_questions(
    db: Database, *, since: Optional[str] = None, until: Optional[str] = None
) -> List[Dict[str, Any]]:
    """Every question the assistant could not answer (as stored, blanked), with when it was asked."""
    when, params = _between(since, until)
    return list(
        db.query(f"select question, at from feedback where kind = 'unanswered'{when} order by at", params)
    )


def handled_questions(db: Database) -> Dict[str, Dict[str, Any]]:
    """The manager's "handled" marks, by question key: who and when."""
    return {row["question_key"]: row for row in db.query("select question_key, by, at from feedback_handled")}


def mark_question_handled(db: Database, *, question_key: str, by: str) -> None:
    with write_lock(db):
        db.table("feedback_handled").upsert(
            {"question_key": question_key, "by": by, "at": now()}, pk="question_key"
        )


def unmark_question_handled(db: Database, *, question_key: str) -> None:
    with write_lock(db):
        db.execute("delete from feedback_handled where question_key = ?", [question_key])


def purge_feedback(db: Database, *, before: str) -> int:
    """Deletes feedback given before `before`."""
    with write_lock(db):
        return db.execute("delete from feedback where at < ?", [before]).rowcount
