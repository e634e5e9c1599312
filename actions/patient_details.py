"""Reading what a patient typed into the details a booking needs: name, contact, preferred time.

Each detail can come in an answer to its own question ("parse_*": the whole answer is the detail) or
inside any other message ("find_*": "my name is Ana Ruiz and my number is 778-555-0199").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterable, List, Optional, Tuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email

REGIONS = ("CA", "US")  # numbers without +1 are read as North American
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
NAME_INTROS = re.compile(
    r"^(?:(?:my|the)\s+name\s+is|my\s+name's|name\s+is|name's|it's|it\s+is|its|this\s+is|i'm|i\s+am|im|"
    r"call\s+me|under|for)\s+",
    re.I,
)
# Booking for someone else: "(it's for) my son, Leo Park", "my wife's name is Ana", "our daughter Mia".
RELATIONS = (
    r"son|daughter|husband|wife|partner|spouse|mom|mum|mother|dad|father|child|kid|boy|girl|baby|"
    r"grandma|grandmother|grandpa|grandfather|grandson|granddaughter|friend|brother|sister|aunt|uncle|"
    r"niece|nephew|fianc[eé]e?|boyfriend|girlfriend|stepson|stepdaughter"
)
RELATION_INTRO = re.compile(
    rf"^(?:for\s+)?(?:my|our)\s+(?:{RELATIONS})(?:'s\s+name\s+is|’s\s+name\s+is|\s+is\s+called|\s+called|\s+named|\s+is)?"
    r"[\s,:-]+",
    re.I,
)
# A remark about that person after the name: "Leo Park, he's 9", "Mia Chen, age 14".
ABOUT_THEM = re.compile(
    r",\s*(?:(?:he|she|they)(?:'s|’s|\s+is|\s+are|'re|’re)|aged?|\d+\s*(?:yo|y/o|yrs?|years?))\b.*$", re.I
)
# Anywhere in a message: "... my name is Ana Ruiz and ..."; at its start also "it's Dev", "this is Sam".
NAME_SAID = re.compile(
    r"\b(?:my\s+name\s+is|my\s+name's|name\s+is|name's|call\s+me|name\s+to|name\s+should\s+be)\s+"
    r"(?:(?:spelled|spelt|spelled\s+as|spelt\s+as|actually)\s+)?(?P<name>.+)",
    re.I,
)
NAME_LEADS = re.compile(
    r"^(?:hi|hello|hey)?[\s,!]*(?:it's|it\s+is|this\s+is|i'm|i\s+am)\s+(?P<name>.+)", re.I
)
# Later in a message, a new sentence or clause that introduces a capitalised name: "ok book me in. Im Sam
# Lee, 604-555-0199", "I'd like IMS, I'm Ana". Lower case there is too often not a name ("i'm sore").
NAME_INTRODUCED = re.compile(
    r"(?:[.!?;,]\s*|\band\s+)(?i:it's|it\s+is|this\s+is|i'm|i’m|i\s+am|im)\s+"
    r"(?P<name>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)"
)
# "book acupuncture for Jordan": a capitalised name after "for".
NAME_AFTER_FOR = re.compile(r"\bfor\s+(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)")
POLITE_END = re.compile(r"[\s,]+(?:please|thanks|thank\s+you|thx|ty)$", re.I)
NAME = re.compile(r"^[^\W\d_][^\d@#$%^&*=+<>{}\[\]\\/|~`?!]{0,98}$", re.UNICODE)
NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$", re.UNICODE)
# Words that end a name inside a longer message: "my name is Ana Ruiz and my number is ...".
AFTER_NAME = {
    "and", "my", "i", "i'm", "im", "number", "phone", "email", "cell", "at", "on", "but", "please", "can",
    "could", "would", "the", "for", "you", "is", "it", "with", "from", "to", "or", "so", "by",
}  # fmt: skip

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_WORDS = (
    {d[:3]: d for d in DAYS}
    | {d: d for d in DAYS}
    | {d + "s": d for d in DAYS}
    | {"tues": "tuesday", "thurs": "thursday", "weds": "wednesday"}
)
PARTS = ["morning", "afternoon", "evening", "weekday", "weekend", "lunch", "any time", "anytime"]
CLOCK = re.compile(
    r"\b(?P<rel>before|after|around|at|by|from)?\s*(?P<hour>\d{1,2})(?::(?P<min>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?(?!\d)",
    re.I,
)
SAID_CLOCK = re.compile(
    r"\b(?:before|after|around|at|by|from|until)\s*\d{1,2}(?::\d{2})?\s*(?:am|pm)?\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b",
    re.I,
)
DATE_LIKE = re.compile(
    r"\b(mon|tue|wed|thu|fri|sat|sun|today|tonight|tomorrow|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\btmrw?\b|\b\d{1,2}(st|nd|rd|th)\b|\b\d{1,2}/\d{1,2}\b",
    re.I,
)
CORRECTS_A_CONTACT = re.compile(
    r"\b(no|wait|actually|sorry|oops|i mean|meant|instead|rather|wrong|typo|scratch that|correction)\b", re.I
)
ANY_TIME = re.compile(r"\b(any\s*time|any\s*day|whenever|flexible)\b", re.I)
ASAP = re.compile(r"\b(asap|as soon as possible|soonest|earliest)\b", re.I)


def parse_contact(text: str) -> Optional[Tuple[str, str]]:
    """(value, "phone" | "email") when the whole answer is a usable phone number or email."""
    text = text.strip()
    if "@" in text:
        try:
            return validate_email(text, check_deliverability=False).normalized, "email"
        except EmailNotValidError:
            return None
    for region in REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), "phone"
    return None


def contact_spans(text: str) -> List[Tuple[int, int, Tuple[str, str]]]:
    """Every usable phone number (phonenumbers' matcher) and email in a message, with where it is."""
    found = []
    for email in EMAIL.finditer(text):
        parsed = parse_contact(email.group(0))
        if parsed:
            found.append((email.start(), email.end(), parsed))
    for match in phonenumbers.PhoneNumberMatcher(text, "CA", leniency=phonenumbers.Leniency.POSSIBLE):
        if any(start <= match.start < end for start, end, _ in found):
            continue  # digits inside an email address
        parsed = parse_contact(match.raw_string)
        if parsed:
            found.append((match.start, match.end, parsed))
    return sorted(found)


def find_contact(text: str) -> Optional[Tuple[str, str]]:
    """A phone number or email found anywhere in a longer message: the last when the message corrects one
    ("604-555-0101 no wait, it's 604-555-0110", "sam@x.ca, actually text me at ..."), else the first, the one
    a patient offering both puts first ("email is better: sam@x.ca, or text 604-555-0101")."""
    spans = contact_spans(text)
    if not spans:
        return None
    (_, first_end, first), (last_start, _, last) = spans[0], spans[-1]
    if first[1] == last[1] or CORRECTS_A_CONTACT.search(text[first_end:last_start]):
        return last
    return first


def without_contacts(text: str) -> str:
    """The message with its phone numbers and emails taken out: "Dev Sharma, 604-555-0155" -> "Dev Sharma,"."""
    for start, end, _ in reversed(contact_spans(text)):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())


def parse_name(text: str, not_names: Iterable[str] = ()) -> Optional[str]:
    """The name in an answer to "what name should we use?", without "my name is"; None for anything that
    is not a name: a question, a filler ("ok", "idk"), or a word that never is one (content/booking.yml)."""
    name = NAME_INTROS.sub("", without_contacts(text).strip()).strip(" .!,;:-")
    name = RELATION_INTRO.sub("", name)
    name = ABOUT_THEM.sub("", POLITE_END.sub("", name)).strip(" .!,;:-")
    name = re.sub(r"^(?:is|it's)\s+", "", name, flags=re.I).strip(" .!,;:-")
    if not name or "?" in text or len(name) > 100 or len(name.split()) > 5 or not NAME.match(name):
        return None
    refused = {w.lower() for w in not_names}
    words = [w.strip(".,!'’").lower() for w in name.split()]
    if any(w in refused for w in words) or name.lower() in refused:
        return None
    if any(not NAME_WORD.match(w) for w in name.split()):
        return None
    return name


def find_name(
    text: str, not_names: Iterable[str] = (), *, leads: bool = True, after_for: bool = True
) -> Optional[str]:
    """A name given inside another message: "my name is Priya Sharma"; with `leads`, also at its start
    ("it's Dev, 604-555-0155", "this is Sam") or capitalised in a later sentence ("... . I'm Sam Lee");
    with `after_for`, "book acupuncture for Jordan"."""
    text = without_contacts(text)
    patterns = [NAME_SAID] + ([NAME_LEADS, NAME_INTRODUCED] if leads else [])
    patterns += [NAME_AFTER_FOR] if after_for else []
    for pattern in patterns:
        match = pattern.search(text)
        if not match:
            continue
        words: List[str] = []
        for word in re.split(r"\s+", match.group("name")):
            bare = word.strip(",.;:!?")
            if not bare or bare.lower() in AFTER_NAME or not NAME_WORD.match(bare) or len(words) == 4:
                break
            words.append(bare)
            if bare != word:  # punctuation ends the name
                break
        name = parse_name(" ".join(words), not_names) if words else None
        if name and not any(w.lower() in DAY_WORDS for w in name.split()):
            return name
    return None


def find_time(text: str, time_words: Iterable[str]) -> Optional[str]:
    """The part of a message that says when: "next Monday morning", "asap", "after 5"; None if none.

    The longest run of words from content/booking.yml's time_words and clock times that names a day, a
    part of the day, "asap" or a clock time ("the time" alone names none)."""
    words = {w.lower() for w in time_words}
    tokens = list(re.finditer(r"[\w'’:.]+", text))
    best: Optional[Tuple[int, int]] = None
    start, anchored = None, False
    lowered = [t.group(0).lower().rstrip(".") for t in tokens]
    for index, token in enumerate([*tokens, None]):
        word = lowered[index] if token else ""
        before = lowered[index - 1] if index else ""
        after = lowered[index + 1] if index + 1 < len(lowered) else ""
        number = bool(token and re.fullmatch(r"\d{1,2}(:\d{2})?(am|pm)?", word))
        is_clock = number and (
            not word.isdigit() or before in CLOCK_LEADS or after in ("am", "pm", "a.m", "p.m")
        )
        in_run = token is not None and (word in words or number or word in DAY_WORDS)
        if in_run:
            if start is None:
                start, anchored = index, False
            anchored = anchored or is_clock or word in DAY_WORDS or (not number and word not in NOT_ANCHORS)
        elif start is not None:
            if anchored and (best is None or index - start > best[1] - best[0]):
                best = (start, index)
            start = None
    if best is None:
        loose = ASAP.search(text) or ANY_TIME.search(text)
        return loose.group(0) if loose else None
    kept = [t.group(0) for t in tokens[best[0] : best[1]]]
    while kept and kept[0].lower() in CONNECTORS | {"work"}:  # "I work nights": the time is "nights"
        kept.pop(0)
    while kept and (
        kept[-1].lower() in CONNECTORS | {"next", "this", "after", "before", "at", "around", "any"}
        or (kept[-1].lower() == "work" and kept[-2:-1] != ["after"])  # "does Tuesday work?", not "after work"
    ):
        kept.pop()
    if not kept:
        return None
    span = text[text.index(kept[0], tokens[best[0]].start()) :]
    span = span[: span.index(kept[-1], len(" ".join(kept[:-1])) - 1 if len(kept) > 1 else 0) + len(kept[-1])]
    if span.lower() in ("week", "month", "time") or re.fullmatch(r"\d+", span):
        return None
    return span.strip(" ,.")


# Words that join a time's words ("on the 15th", "Monday or Wednesday") but are not part of it at its ends.
CONNECTORS = {"the", "on", "in", "or", "and", "of", "a", "an", "is", "to", "by", "for", "from", "best"}
# Time words that name no time on their own.
NOT_ANCHORS = CONNECTORS | {
    "next", "this", "coming", "at", "after", "before", "around", "early", "late", "mid", "any", "every",
    "time", "possible", "work", "am", "pm", "soon",
}  # fmt: skip
CLOCK_LEADS = {"at", "after", "before", "around", "by", "from", "until", "till", "til"}


DAY_NAMED = re.compile(
    r"\b(?:(?:next|this)\s+)?(?:"
    + "|".join(sorted(set(DAY_WORDS) - {"sat", "sun"}, key=len, reverse=True))
    + r")\b|\b(?:today|tonight|tomorrow|tmrw?)\b",
    re.I,
)
TIME_OF_DAY = re.compile(r"\b(?:morning|afternoon|evening|lunch(?:time)?)s?\b", re.I)


def on_the_day_said(time: str, *earlier: Optional[str]) -> str:
    """A time that names only the hour or the part of the day, on the day said before it ("monday is fine,
    make it 10am" -> "monday 10am"; "Monday morning", then "actually make it 10am" -> "Monday 10am")."""
    if DAY_NAMED.search(time) or ANY_TIME.search(time) or ASAP.search(time) or "week" in time.lower():
        return time
    if not (SAID_CLOCK.search(time) or TIME_OF_DAY.search(time)):
        return time
    for text in earlier:
        day = DAY_NAMED.search(text or "")
        if day:
            return f"{day.group(0)} {time}"
    return time


def normalise_time(text: str, now: Optional[datetime] = None) -> Optional[str]:
    """What we could read from a preferred time, e.g. "Monday 30 November, morning" or "as soon as
    possible, after 5 pm"; None if nothing. One day ("next Monday", "tomorrow", "Dec 3") is dated with
    dateparser; several days ("mon or wed") are named."""
    lowered = text.lower()
    words = re.findall(r"[a-z]+", lowered)
    days: List[str] = []
    for word in words:
        day = DAY_WORDS.get(word)
        if day and day.capitalize() not in days:
            days.append(day.capitalize())
    pieces = []
    if ASAP.search(text):
        pieces.append("as soon as possible")
    recurring = any(w in (d + "s" for d in DAYS) for w in words)
    dated = None if recurring or len(days) > 1 else read_date(text, now)
    if dated:
        pieces.append(dated)
    elif days:
        pieces.append(" or ".join(days))
    pieces += [p for p in PARTS if p in lowered]
    pieces += [clock for clock in clock_times(text)]
    return ", ".join(pieces) if pieces else None


def clock_times(text: str) -> List[str]:
    """Clock times as the front desk writes them: "after 5" -> "after 5 pm" (clinics open by day, so a
    bare 1 to 7 is afternoon), "10am" -> "10 am"."""
    found = []
    for match in CLOCK.finditer(text):
        hour = int(match.group("hour"))
        rel, minutes, ampm = match.group("rel"), match.group("min"), match.group("ampm")
        if hour > 12 or (not rel and not ampm) or (not ampm and not 1 <= hour <= 12):
            continue
        if not ampm:
            ampm = "pm" if 1 <= hour <= 7 else "am" if hour >= 8 and hour != 12 else "pm"
        ampm = ampm.replace(".", "").lower()
        found.append(" ".join(x for x in (rel, f"{hour}{':' + minutes if minutes else ''} {ampm}") if x))
    return found


def read_date(text: str, now: Optional[datetime] = None) -> Optional[str]:
    """The one day a preferred time names, as "Monday 30 November", read by dateparser; None if none."""
    from dateparser.search import search_dates  # imported when needed: it loads its language data

    cleaned = re.sub(
        r"\b(morning|afternoon|evening|night|asap|lunch(time)?|any\s*time)s?\b", " ", text, flags=re.I
    )
    cleaned = SAID_CLOCK.sub(" ", cleaned)
    cleaned = re.sub(r"\b(tmrw|tmr|tomorow)\b", "tomorrow", cleaned, flags=re.I)
    cleaned = re.sub(r"\b(next|this|coming)\s+(?=(mon|tue|wed|thu|fri|sat|sun))", "", cleaned, flags=re.I)
    if not DATE_LIKE.search(cleaned):
        return None
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now or datetime.now(),
        "STRICT_PARSING": False,
    }
    try:
        found = search_dates(cleaned, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - an odd phrase must never break the booking
        return None
    if not found:
        return None
    said, when = found[0]
    if re.fullmatch(r"\s*\d{1,2}\s*", said) or said.strip().lower() in NOT_ANCHORS:
        return None  # a bare number is a clock time, not the day of the month
    if re.search(r"week|month", said, re.I) or when.date() < (now or datetime.now()).date():
        return None  # a span of days, or a day already past: the words say more than a date would
    return f"{when:%A} {when.day} {when:%B}"
