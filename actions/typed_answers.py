"""Reading typed answers the same way at every step of a form: a button's choice said in words ("yep",
"looks good, send it", "never mind"), a question asked instead of an answer, a correction, a request
to book. The words are content/booking.yml's; docs/typed-answers.md says how they are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

from actions.patient_details import find_time

# A clicked button sends its payload ("/affirm"): its intent is the choice.
PAYLOAD_CHOICES = {"affirm": "yes", "deny": "no", "stop": "cancel", "change_field": "change"}
# A typed message whose intent is one of these, confidently, is that choice when no word says otherwise.
INTENT_CHOICES = {"affirm": "yes", "deny": "no", "stop": "cancel"}
SURE_INTENT = 0.7
SHORT_MESSAGE_WORDS = 3  # in a message this short, a one-word choice counts wherever it is


@dataclass(frozen=True)
class Vocabulary:
    """The word lists of content/booking.yml."""

    choices: Dict[str, List[str]]
    not_names: List[str]
    fillers: List[str]
    time_words: List[str]
    correction_words: List[str]
    question_corrections: List[str]
    field_words: Dict[str, List[str]]
    question_words: List[str]
    lead_words: List[str]
    asks_to_book: List[str]
    only_asks_how: List[str]
    new_patient_words: Dict[str, List[str]]
    time_refusals: List[str]
    time_limits: List[str]
    time_exclusions: List[str]
    time_offers: List[str]
    time_turns: List[str]

    @classmethod
    def from_content(cls, spec: Dict[str, Any]) -> Vocabulary:
        def words(key: str) -> List[str]:
            return [str(w).lower() for w in spec.get(key) or []]

        def table(key: str) -> Dict[str, List[str]]:
            return {str(k): [str(w).lower() for w in v] for k, v in (spec.get(key) or {}).items()}

        return cls(
            choices=table("choices"),
            not_names=words("not_names"),
            fillers=words("fillers"),
            time_words=words("time_words"),
            correction_words=words("correction_words"),
            question_corrections=words("question_corrections"),
            field_words=table("field_words"),
            question_words=words("question_words"),
            lead_words=words("lead_words"),
            asks_to_book=words("asks_to_book"),
            only_asks_how=words("only_asks_how"),
            new_patient_words=table("new_patient_words"),
            time_refusals=words("time_refusals"),
            time_limits=words("time_limits"),
            time_exclusions=words("time_exclusions"),
            time_offers=words("time_offers"),
            time_turns=words("time_turns"),
        )


@dataclass(frozen=True)
class Message:
    """The patient's latest message as the form reads it."""

    text: str
    intent: Optional[str] = None
    confidence: float = 0.0
    entities: tuple = ()

    @property
    def clicked(self) -> bool:
        """A button's payload ("/affirm", '/inform{"therapy":"ims"}'), not typed words."""
        return self.text.startswith("/")

    def entity(self, name: str) -> Optional[str]:
        return next((e.get("value") for e in self.entities if e.get("entity") == name), None)


def normalised(text: str) -> str:
    """Lower case, plain apostrophes, single spaces, without the punctuation around words."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[^\w'@./+-]+", " ", text)
    return " ".join(w.strip(".") for w in text.split() if w.strip("."))


def _as_words(pattern: str) -> str:
    """A pattern that matches whole words only: "no" is not in "know", "can't" is one word."""
    return rf"(?<![\w']){pattern}(?![\w'])"


def _found(phrase: str, text: str) -> Optional[int]:
    match = re.search(_as_words(re.escape(phrase)), text)
    return match.start() if match else None


def without_lead(text: str, vocabulary: Vocabulary) -> str:
    """The message without the words people put first ("actually, ", "ok so ", "sorry, ")."""
    words = normalised(text)
    changed = True
    while changed:
        changed = False
        for lead in sorted(vocabulary.lead_words, key=len, reverse=True):
            if words.startswith(lead + " "):
                words, changed = words[len(lead) + 1 :], True
    return words


def strip_lead(text: str, vocabulary: Vocabulary) -> str:
    """The message as typed, without the words people put first ("Actually, it's Ana" -> "it's Ana")."""
    leads = "|".join(re.escape(w) for w in sorted(vocabulary.lead_words, key=len, reverse=True))
    if not leads:
        return text
    return re.sub(rf"^(?:(?:{leads})\b[\s,.!-]*)+", "", text.strip(), flags=re.I)


def choice(message: Message, vocabulary: Vocabulary, allowed: Iterable[str]) -> Optional[str]:
    """Which of the `allowed` choices (yes, no, change, cancel, skip) the message makes, if any.

    "cancel" anywhere wins (a patient who says it means it); otherwise the choice said first, the
    longer phrase where two start together."""
    allowed = list(allowed)
    if message.clicked:
        picked = PAYLOAD_CHOICES.get(message.intent or "")
        return picked if picked in allowed else None
    text = normalised(message.text)
    short = len(text.split()) <= SHORT_MESSAGE_WORDS
    best = None
    for name in allowed:
        for phrase in vocabulary.choices.get(name, []):
            position = _found(phrase, text)
            if position is None or text[:position].split()[-1:] in (["not"], ["don't"], ["dont"]):
                continue  # "not sure" is not "sure"
            if name == "cancel" and (" " in phrase or position == 0 or short):
                return "cancel"
            if position > 0 and " " not in phrase and not short:
                continue
            key = (position, -len(phrase))
            if best is None or key < best[0]:
                best = (key, name)
    if best:
        return best[1]
    by_intent = INTENT_CHOICES.get(message.intent or "")
    if by_intent in allowed and message.confidence >= SURE_INTENT and not is_question(message, vocabulary):
        return by_intent
    return None


def is_question(message: Message, vocabulary: Vocabulary) -> bool:
    """A message asking something ("does it hurt?", "actually, can you tell me if it hurts first")."""
    if message.clicked:
        return False
    if "?" in message.text:
        return True
    text = without_lead(message.text, vocabulary)
    return any(text == word or text.startswith(word + " ") for word in vocabulary.question_words)


def is_correction(message: Message, vocabulary: Vocabulary) -> bool:
    """The message changes something said before: "actually ...", "make it ...", "change the time to ...";
    a question only with a word that asks for a change ("can you change the time to Friday?")."""
    text = normalised(message.text)
    words = (
        vocabulary.question_corrections if is_question(message, vocabulary) else vocabulary.correction_words
    )
    return any(_found(word, text) is not None for word in words)


def field_named(message: Message, vocabulary: Vocabulary) -> Optional[str]:
    """Which detail the message names ("the time", "my number", "Phone or email"), the first said."""
    clicked = message.entity("field")
    if clicked:
        return clicked
    text = normalised(message.text)
    named = [
        (position, field)
        for field, words in vocabulary.field_words.items()
        for word in words
        if (position := _found(word, text)) is not None
    ]
    return min(named)[1] if named else None


def new_or_returning(message: Message, vocabulary: Vocabulary) -> Optional[str]:
    """ "new" or "returning" from "I'm new", "I've been before", or a plain no (new) or yes (been before)."""
    clicked = message.entity("new_patient")
    if clicked in ("new", "returning"):
        return clicked
    text = normalised(message.text)
    said = [
        (position, answer)
        for answer, words in vocabulary.new_patient_words.items()
        for word in words
        if (position := _found(word, text)) is not None
    ]
    if said:
        return min(said)[1]
    plain = choice(message, vocabulary, ["yes", "no"])
    return {"yes": "returning", "no": "new"}.get(plain or "")


def asks_to_book(message: Message, vocabulary: Vocabulary) -> bool:
    """ "Can I book acupuncture for next Monday?": a request for an appointment, not "how do I book?"."""
    text = normalised(message.text)
    if any(_found(p, text) is not None for p in vocabulary.only_asks_how):
        return False
    return any(_found(p, text) is not None for p in vocabulary.asks_to_book)


def is_filler(message: Message, vocabulary: Vocabulary) -> bool:
    """ "ok", "yes", "no", "idk", "thanks": words that answer no question that asks for a detail."""
    text = normalised(message.text)
    if not text:
        return True
    if (
        choice(message, vocabulary, ["yes", "no", "skip", "change"])
        and len(text.split()) <= SHORT_MESSAGE_WORDS
    ):
        return True
    return all(word in vocabulary.fillers for word in text.split()) or text in vocabulary.fillers


@dataclass(frozen=True)
class TimeSaid:
    """When a message says the patient would come, and whether it turns a time down or offers one."""

    wanted: Optional[str]
    turned_down: bool = False
    offered: bool = False
    limited: bool = False  # said with a limit ("before 5", "any time except Friday"): keep the words whole
    excluded: bool = False  # the limit leaves the time out ("any time except Friday"): no reading

    @property
    def changes(self) -> bool:
        """ "I can't do Tuesday" or "how about Wednesday?": the time given before no longer stands."""
        return self.turned_down or (self.offered and self.wanted is not None)


WHEN = "when_said"  # stands for the time in content/booking.yml's time_offers ("how about *")


def time_said(text: str, vocabulary: Vocabulary) -> TimeSaid:
    """The time a message asks for, leaving out the times it turns down ("I can't go on Tuesday, can we
    do Wednesday?" asks for Wednesday); with nothing turned down, the time as find_time reads it."""
    wanted: List[str] = []
    turned_down = False
    for clause in re.split(r"[,;.!?]+|\s-\s|\s(?=but\s)", text):
        kept, refused = _turned_down(clause, vocabulary)
        turned_down = turned_down or refused
        wanted.extend(kept)
    if not turned_down:
        time = find_time(_after_a_correction(text, vocabulary), vocabulary.time_words) or find_time(
            text, vocabulary.time_words
        )  # "no monday is fine actually make it 10am": the time after "actually"
        if time is None:
            return TimeSaid(None)
        return TimeSaid(
            time,
            offered=_offers(text, time, vocabulary),
            limited=_limited(text, time, vocabulary),
            excluded=_said(text, time, vocabulary.time_exclusions),
        )
    return TimeSaid(wanted[-1] if wanted else None, turned_down=True)


def _after_a_correction(text: str, vocabulary: Vocabulary) -> str:
    """The words after the last correction word ("actually", "make it"), or "" when there is none."""
    lowered = text.lower()
    ends = [
        match.end()
        for word in vocabulary.correction_words
        for match in re.finditer(_as_words(re.escape(word)), lowered)
    ]
    return text[max(ends) :] if ends else ""


def _turned_down(clause: str, vocabulary: Vocabulary) -> Tuple[List[str], bool]:
    """The times a clause asks for, and whether it turns one down; "cant do mon would tues work" turns
    down the part before the word that offers another."""
    time = find_time(clause, vocabulary.time_words)
    if not time:
        return [], False
    if not _says_no(clause, time, vocabulary):
        return [time], False
    lowered = clause.lower()
    for turn in vocabulary.time_turns:
        for match in re.finditer(_as_words(re.escape(turn)), lowered):
            before, after = clause[: match.start()], clause[match.start() :]
            offered = find_time(after, vocabulary.time_words)
            refused = find_time(before, vocabulary.time_words)
            if offered and refused and _says_no(before, refused, vocabulary):
                return [offered], True
    return [], True


def _says_no(clause: str, time: str, vocabulary: Vocabulary) -> bool:
    """Whether the clause turns its time down ("can't do Tuesday"), not only limits it ("can't before 5")."""
    return _said(clause, time, vocabulary.time_refusals) and not _limited(clause, time, vocabulary)


def _limited(text: str, time: str, vocabulary: Vocabulary) -> bool:
    """ "busy until Friday", "any time except Friday", "before 5": the time is a limit, not the time."""
    limits = vocabulary.time_limits
    if any(time.lower().startswith(limit.rstrip(" *") + " ") for limit in limits):
        return True  # "before 5": a limit the time itself says
    return _said(text, time, limits) or _said(text, time, vocabulary.time_exclusions)


def _offers(text: str, time: str, vocabulary: Vocabulary) -> bool:
    """ "how about Wednesday?", "is 3pm ok?": the time put as an offer."""
    return _said(text, time, vocabulary.time_offers)


def _said(text: str, time: str, phrases: Iterable[str]) -> bool:
    """Whether one of the phrases is in the text, "*" standing for the time (after a word such as "on")."""
    plain = normalised(text)
    said = normalised(text.replace(time, f" {WHEN} ") if time else text)
    for phrase in phrases:
        pattern = re.escape(phrase).replace(r"\*", rf"(?:(?:on|at|in|for|the|this|next)\s)*{WHEN}")
        if re.search(_as_words(pattern), said if "*" in phrase else plain):
            return True
    return False
