"""Reading a patient's answers: phone numbers, emails, names and preferred times."""

from datetime import datetime

import pytest
import yaml

from actions.patient_details import find_contact, find_name, normalise_time, parse_contact, parse_name
from actions.settings import PROJECT

FRIDAY_27_NOVEMBER = datetime(2026, 11, 27, 9, 0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("604 555 0142", ("+16045550142", "phone")),
        ("(778) 555-0199", ("+17785550199", "phone")),
        ("+1 250-555-0111", ("+12505550111", "phone")),
        ("212-555-0100", ("+12125550100", "phone")),
        ("Jordan.Lee@Example.com", ("Jordan.Lee@example.com", "email")),
    ],
)
def test_canadian_and_us_phone_numbers_and_emails_are_accepted_and_normalised(text, expected):
    assert parse_contact(text) == expected


@pytest.mark.parametrize("text", ["hello", "12", "sam@mail", "555", "call me maybe", "a@b", ""])
def test_anything_else_is_not_a_contact(text):
    assert parse_contact(text) is None


def test_details_given_up_front_are_found_in_the_request():
    text = "book acupuncture for Jordan, 604 555 0142"
    assert find_contact(text) == ("+16045550142", "phone")
    assert find_name(text) == "Jordan"
    assert find_name("my name is Priya Sharma and i want ims") == "Priya Sharma"
    assert find_contact("email me at sam@example.ca please") == ("sam@example.ca", "email")
    assert find_name("i want to book for next week") is None


@pytest.mark.parametrize(
    "text, name",
    [
        ("ok book me in. Im Sam Lee, 604-555-0199, tuesday afternoon", "Sam Lee"),
        ("I'd like IMS, I'm Ana Ruiz", "Ana Ruiz"),
        ("can I book acupuncture and this is Dev", "Dev"),
        ("book ims, i am sore today", None),  # lower case after a clause is too often not a name
        ("I want ims. Im Tuesday mornings", None),
    ],
)
def test_a_name_introduced_later_in_the_message_is_found_when_capitalised(text, name):
    assert find_name(text) == name


@pytest.mark.parametrize(
    "text, name",
    [
        ("Jordan", "Jordan"),
        ("my name is Alex Chen", "Alex Chen"),
        ("it's Sam", "Sam"),
        ("Zoë O'Brien-Smith", "Zoë O'Brien-Smith"),
    ],
)
def test_names_are_taken_without_their_introduction(text, name):
    assert parse_name(text) == name


@pytest.mark.parametrize(
    "text, name",
    [
        ("It's for my son, Leo Park", "Leo Park"),
        ("my wife's name is Ana Ruiz", "Ana Ruiz"),
        ("for my daughter Mia Chen", "Mia Chen"),
        ("it is for my mom - Grace Liu", "Grace Liu"),
        ("Leo Park, he's 9", "Leo Park"),  # a remark about the person after the name
        ("Mia Chen, age 14", "Mia Chen"),
    ],
)
def test_a_booking_for_someone_else_takes_their_name(text, name):
    assert parse_name(text) == name


def test_who_it_is_for_without_a_name_is_no_name():
    not_names = yaml.safe_load((PROJECT / "content" / "booking.yml").read_text())["not_names"]
    assert parse_name("it's for my son", not_names) is None


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "1234", "what is ims?", "x" * 101, "a b c d e f g"]
)
def test_things_that_are_not_names_are_refused(text):
    assert parse_name(text) is None


@pytest.mark.parametrize(
    "text, read",
    [
        ("next tuesday afternoon", "Tuesday 1 December, afternoon"),  # dated by dateparser
        ("asap, after 5", "as soon as possible, after 5 pm"),
        ("Friday at 10am", "Friday 4 December, at 10 am"),
        ("mon or wed evenings", "Monday or Wednesday, evening"),
        ("any time after 4pm", "any time, after 4 pm"),
        ("whenever suits", None),
    ],
)
def test_preferred_times_are_read_where_possible(text, read):
    assert normalise_time(text, now=FRIDAY_27_NOVEMBER) == read


@pytest.mark.parametrize(
    "text, kept",
    [
        ("email is better: sam.lee@example.ca, or text 604-555-0142", ("sam.lee@example.ca", "email")),
        ("text me at 604-555-0142 or email sam.lee@example.ca", ("+16045550142", "phone")),
        ("sam.lee@example.ca, actually text me at 604-555-0142", ("+16045550142", "phone")),
        ("604-555-0101 no wait, it's 604-555-0142", ("+16045550142", "phone")),
    ],
)
def test_of_two_contacts_the_first_is_kept_unless_the_second_corrects_it(text, kept):
    assert find_contact(text) == kept
