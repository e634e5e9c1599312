"""Reading what a patient typed into the details a booking needs: name, contact, preferred time."""

from __future__ import annotations

import re
from typing import Optional, Tuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email

REGIONS = ("CA", "US")  # numbers without +1 are read as North American
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[a-z]{2,}", re.IGNORECASE)
NAME_INTROS = re.compile(r"^(my name is|my name's|name is|name's|it's|it is|this is|i'm|i am|im)\s+", re.I)
NAME_IN_REQUEST = re.compile(r"\b(?:my name is|name is|for)\s+([A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)")
NAME = re.compile(r"^[^\W\d_][^\d@#$%^&*=+<>{}\[\]\\/|~`]{0,98}$", re.UNICODE)

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_WORDS = {d[:3]: d for d in DAYS} | {d: d for d in DAYS} | {"tues": "tuesday", "thurs": "thursday"}
PARTS = ["morning", "afternoon", "evening", "weekday", "weekend", "asap", "any time", "anytime", "lunch"]
CLOCK = re.compile(r"\b(before|after|around|at|by)?\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b", re.I)


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


def find_contact(text: str) -> Optional[Tuple[str, str]]:
    """A phone number or email found anywhere in a longer message."""
    email = EMAIL.search(text)
    if email:
        return parse_contact(email.group(0))
    for match in phonenumbers.PhoneNumberMatcher(text, "CA", leniency=phonenumbers.Leniency.POSSIBLE):
        found = parse_contact(match.raw_string)
        if found:
            return found
    return None


def parse_name(text: str) -> Optional[str]:
    """The name in an answer to "what name should we use?", without "my name is"."""
    name = NAME_INTROS.sub("", text.strip()).strip(" .!,")
    if not name or name.endswith("?") or len(name) > 100 or len(name.split()) > 6 or not NAME.match(name):
        return None
    return name


def find_name(text: str) -> Optional[str]:
    """A name given inside a request: "book acupuncture for Jordan", "my name is Priya Sharma"."""
    match = NAME_IN_REQUEST.search(text)
    return match.group(1) if match else None


def normalise_time(text: str) -> Optional[str]:
    """What we could read from a preferred time, e.g. "Tuesday afternoon, after 4 pm"; None if nothing."""
    lowered = text.lower()
    words = re.findall(r"[a-z]+", lowered)
    days = []
    for word in words:
        day = DAY_WORDS.get(word)
        if day and day.capitalize() not in days:
            days.append(day.capitalize())
    parts = [p for p in PARTS if p in lowered]
    clocks = [
        " ".join(
            x
            for x in (
                m.group(1),
                f"{m.group(2)}{':' + m.group(3) if m.group(3) else ''} {m.group(4).lower()}",
            )
            if x
        )
        for m in CLOCK.finditer(text)
    ]
    pieces = [" or ".join(days)] if days else []
    pieces += parts + clocks
    return ", ".join(pieces) if pieces else None
