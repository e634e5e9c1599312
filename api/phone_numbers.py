"""Phone numbers the way the front desk needs them: one key per patient whatever the format, the
national format to dial, and a search box that finds "604.555.0142" when "(604) 555-0142" was stored."""

from __future__ import annotations

import re
from typing import Optional

import phonenumbers

# The clinic's own country: numbers typed without a country code are read as numbers from here, and
# shown without one. (Canada and the US share +1, so a US number reads the same way.)
HOME_REGION = "CA"
DIGITS = re.compile(r"\d")
# A search that is only a phone number: digits with the punctuation people write numbers with.
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]+$")
# Fewer digits than this match too many numbers by accident ("2026" is a year, not a phone).
MIN_SEARCH_DIGITS = 4


def _parsed(text: str) -> Optional[phonenumbers.PhoneNumber]:
    try:
        number = phonenumbers.parse(text, HOME_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def contact_key(contact: str, contact_type: str) -> str:
    """What links two requests from the same patient: E.164 for a phone, the lower-cased email."""
    if contact_type == "email":
        return contact.strip().lower()
    number = _parsed(contact)
    if number is None:
        return "+" + "".join(DIGITS.findall(contact))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def for_display(contact: str) -> str:
    """604-555-0142 for a number from home, +44 20 7946 0958 for one from abroad, as stored otherwise."""
    number = _parsed(contact)
    if number is None:
        return contact
    if number.country_code == 1 and phonenumbers.region_code_for_number(number) in ("CA", "US", None):
        national = str(number.national_number)
        if len(national) == 10:
            return f"{national[:3]}-{national[3:6]}-{national[6:]}"
    if phonenumbers.region_code_for_number(number) == HOME_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def digits_to_find(query: str) -> Optional[str]:
    """The digits a phone-number search looks for in the stored keys, or None if it is not one.

    A whole number in any format becomes its E.164 digits ("(604) 555-0142" and "+1 604 555 0142"
    alike); part of one ("555 0142", "0142") is looked for as it is.
    """
    query = query.strip()
    if not PHONE_LIKE.match(query):
        return None
    digits = "".join(DIGITS.findall(query))
    if len(digits) < MIN_SEARCH_DIGITS:
        return None
    number = _parsed(query)
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
    return digits
