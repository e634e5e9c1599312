"""What the handoff API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Dict, List, Literal, Optional, Type

from fastapi import Path
from pydantic import BaseModel, Extra, Field, StrictBool, StrictStr, root_validator, validator

Kind = Literal["booking", "question"]
Status = Literal["new", "contacted", "booked", "closed"]
Therapy = Literal["ims", "acupuncture", "assessment", "not_sure"]
ContactType = Literal["phone", "email"]
# Why a request was closed (api/store.py CLOSE_REASONS, the same list).
CloseReason = Literal["no_answer", "not_needed", "booked_elsewhere", "duplicate", "spam", "other"]
Reference = Annotated[str, Field(regex=r"^[Rr][Ee][Qq]-[A-Za-z0-9]{5}$", example="REQ-7F3K9")]

CONSENT_REFUSED = "We can only keep a request the patient agreed to"
NOT_TEXT = "This has characters that are not text (a null character or broken Unicode)"

# Ids and pages as SQLite can hold them: a larger number is a 422, not an overflow deep in the database.
SQLITE_MAX_INTEGER = 2**63 - 1
HandoffId = Annotated[int, Path(ge=1, le=SQLITE_MAX_INTEGER)]
MAX_PAGE = 1_000_000


def _nullable_optionals(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
    """Pydantic 1 documents Optional[X] as plain X; say in the schema that null is accepted and sent."""
    for field in model.__fields__.values():
        prop = schema.get("properties", {}).get(field.alias)
        if not field.allow_none or prop is None:
            continue
        if isinstance(prop.get("type"), str):
            prop["type"] = [prop["type"], "null"]
            if "enum" in prop:
                prop["enum"] = [*prop["enum"], None]
        else:
            described = {key: prop.pop(key) for key in ("title", "description", "default") if key in prop}
            schema["properties"][field.alias] = {**described, "anyOf": [prop, {"type": "null"}]}


class Schema(BaseModel):
    """Every model here: its OpenAPI schema says which fields may be null."""

    class Config:
        schema_extra = staticmethod(_nullable_optionals)


class RequestBody(Schema):
    """What a client sends. Strings are StrictStr (a number or true is not text) and must be real text."""

    @validator("*", each_item=True)
    def _is_text(cls, value: Any) -> Any:
        if isinstance(value, str) and ("\x00" in value or not _encodable(value)):
            raise ValueError(NOT_TEXT)
        return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")  # fails on a lone surrogate ("\ud800"), which JSON can carry but SQLite cannot
    except UnicodeEncodeError:
        return False
    return True


class TranscriptTurn(RequestBody):
    """One message of the conversation the request came from."""

    who: Literal["patient", "assistant"]
    text: StrictStr = Field(..., max_length=2000)

    class Config:
        extra = Extra.forbid


class HandoffCreate(RequestBody):
    """A booking request or a question the assistant hands to staff (sent by the assistant only)."""

    kind: Kind
    name: StrictStr = Field(..., min_length=1, max_length=100)
    contact_type: ContactType
    contact: StrictStr = Field(..., min_length=3, max_length=254, description="Phone number or email address")
    therapy: Optional[Therapy] = Field(None, description="Required for a booking")
    preferred_time: Optional[StrictStr] = Field(None, max_length=200, description="As the patient wrote it")
    new_patient: Optional[StrictBool] = None
    reason: Optional[StrictStr] = Field(None, max_length=500)
    question: Optional[StrictStr] = Field(None, max_length=2000, description="Required for a question")
    consent: StrictBool = Field(..., description="Must be true: the patient agreed to be contacted")
    conversation_id: Optional[StrictStr] = Field(None, max_length=200)
    transcript: List[TranscriptTurn] = Field(default_factory=list, max_items=30)

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    # The assistant validates contacts properly (phonenumbers, email-validator); this only catches a
    # contact sent under the wrong type.
    @validator("contact")
    def _contact_looks_right(cls, contact: str, values: Dict[str, Any]) -> str:
        contact_type = values.get("contact_type")
        if contact_type == "email" and not _looks_like_email(contact):
            raise ValueError("This does not look like an email address")
        if contact_type == "phone" and sum(c.isdigit() for c in contact) < 7:
            raise ValueError("This does not look like a phone number")
        return contact

    @validator("therapy", always=True)
    def _booking_needs_therapy(cls, therapy: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if values.get("kind") == "booking" and therapy is None:
            raise ValueError("A booking request needs a therapy: ims, acupuncture, assessment or not_sure")
        return therapy

    @validator("question", always=True)
    def _question_needs_text(cls, question: Optional[str], values: Dict[str, Any]) -> Optional[str]:
        if values.get("kind") == "question" and not question:
            raise ValueError("A question for staff needs the question itself")
        return question

    @validator("consent")
    def _patient_agreed(cls, consent: bool) -> bool:
        if consent is not True:
            raise ValueError(CONSENT_REFUSED)
        return consent


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and " " not in text)


class Note(Schema):
    id: int
    at: datetime
    author: str
    text: str


class HistoryEntry(Schema):
    """One change to a request: who, what, from which value to which, and when."""

    at: datetime
    who: str
    what: Literal["created", "status", "note", "reopened", "claimed", "released", "appointment"]
    from_: Optional[str] = Field(None, alias="from")
    to: Optional[str] = None
    detail: Optional[str] = Field(
        None, description="The close reason, the appointment's time, or why it was reopened"
    )

    class Config:
        allow_population_by_field_name = True


class HandoffPublic(Schema):
    """A request as staff (and, once, the assistant) see it. Times are in the clinic's time zone
    (clinic.yml `time_zone`), ISO 8601 with their offset."""

    id: int
    reference: str = Field(..., example="REQ-7F3K9")
    kind: Kind
    status: Status
    created_at: datetime
    updated_at: Optional[datetime] = None
    name: str
    contact: str
    contact_type: ContactType
    therapy: Optional[Therapy]
    preferred_time: Optional[str]
    new_patient: Optional[bool]
    reason: Optional[str]
    question: Optional[str]
    conversation_id: Optional[str]
    transcript: List[TranscriptTurn]
    claimed_by: Optional[str] = Field(None, description="Who is handling it now")
    claimed_at: Optional[datetime] = None
    close_reason: Optional[CloseReason] = None
    duplicate_of: Optional[str] = Field(None, description="The reference of the request this one repeats")
    appointment_at: Optional[datetime] = Field(None, description="When it is booked for")
    notes: List[Note]
    history: List[HistoryEntry]


class HandoffPage(Schema):
    """One page of requests, newest first. A page past the last one is empty; `pages` says how many."""

    items: List[HandoffPublic]
    page: int
    per_page: int
    total: int
    pages: int


class HandoffUpdate(RequestBody):
    """A staff member moves a request on, adds a note, or both. Closing needs `close_reason`; booking
    needs `appointment_at` (a time without an offset is the clinic's local time)."""

    status: Optional[Status] = None
    note: Optional[StrictStr] = Field(None, min_length=1, max_length=2000)
    close_reason: Optional[CloseReason] = None
    duplicate_of: Optional[Reference] = None
    appointment_at: Optional[datetime] = None

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    @root_validator(skip_on_failure=True)
    def _something_to_change(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if (
            values.get("status") is None
            and values.get("note") is None
            and values.get("appointment_at") is None
        ):
            raise ValueError("Give a new status, a note, or both")
        return values


class HandoffReopen(RequestBody):
    """Undoes booked or closed: the request goes back to the status it had, with the reason kept."""

    reason: StrictStr = Field(..., min_length=1, max_length=500, example="Closed by mistake: she called back")

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


FeedbackKind = Literal["rating", "unanswered"]
UNANSWERED_TOPICS = ("out_of_scope", "clarify")


class FeedbackCreate(RequestBody):
    """A patient's thumbs up or down on an answer, or a question the assistant could not answer."""

    kind: FeedbackKind = Field("rating", description="rating: 👍/👎 on an FAQ answer; unanswered: no answer")
    topic: StrictStr = Field(..., regex=r"^[a-z][a-z_]{0,39}$", example="needle_pain")
    helpful: Optional[StrictBool] = Field(
        None, description="true or false for a rating; null when unanswered"
    )
    conversation_id: StrictStr = Field(
        ..., regex=r"^[A-Za-z0-9_-]{8,64}$", description="The widget's session id"
    )
    question: Optional[StrictStr] = Field(
        None, max_length=500, description="What the patient asked (emails and long numbers are blanked)"
    )

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    @root_validator(skip_on_failure=True)
    def _fits_its_kind(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        if values["kind"] == "rating" and values.get("helpful") is None:
            raise ValueError("A rating needs helpful: true or false")
        if values["kind"] == "unanswered":
            if values.get("helpful") is not None:
                raise ValueError("An unanswered question has helpful: null")
            if values["topic"] not in UNANSWERED_TOPICS:
                raise ValueError("An unanswered question's topic is out_of_scope or clarify")
            if not values.get("question"):
                raise ValueError("An unanswered question needs the question")
        return values


class FeedbackStored(Schema):
    """What was kept (the question as stored, after blanking)."""

    kind: FeedbackKind
    topic: str
    helpful: Optional[bool]
    question: Optional[str]


class Problem(Schema):
    """An error with a message a person understands."""

    detail: str


class FieldProblem(Schema):
    field: str
    message: str


class ValidationProblem(Schema):
    """What was wrong with the request, field by field."""

    detail: List[FieldProblem]


class HealthPart(Schema):
    status: Literal["up", "down"]
    url: Optional[str] = Field(None, description="Where it is (to staff only)")
    detail: Optional[str] = Field(None, description="Why it is down (to staff only)")


class Health(Schema):
    """Each part of the assistant, up or down; to staff, also where it is and why it is down."""

    status: Literal["ok", "degraded"]
    parts: Dict[str, HealthPart]
