"""The password policy for staff accounts: long, not repetitive, not the username, not a common one;
each refusal says what to do instead."""

from __future__ import annotations

import pytest

from api.auth import WeakPassword, check_password, common_passwords, hash_password, verify_password

ADVICE = "for example three or four unrelated words"


@pytest.mark.parametrize(
    "password, why",
    [
        ("short", "at least 12 characters long"),
        ("eleven char", "at least 12 characters long"),
        ("aaaaaaaaaaaa", "repeats too few characters"),
        ("121212121212", "repeats too few characters"),
        ("abcdabcdabcd", "repeats too few characters"),
        ("robin's long password", "must not contain the username"),
        ("my name is ROBIN, ok?", "must not contain the username"),
        ("123456789012", "one of the most common ones"),
        ("qwertyuiop12", "one of the most common ones"),
        ("password1234", "one of the most common ones"),
        ("Password2024!", "one of the most common ones"),  # a common word with digits and symbols added
        ("P@ssw0rd12345", "one of the most common ones"),  # look-alike characters
        ("iloveyou iloveyou", "one of the most common ones"),  # spaces
        ("correct horse battery staple", "one of the most common ones"),
        ("1q2w3e4r5t6y", "one of the most common ones"),
    ],
)
def test_weak_passwords_are_refused_with_what_to_do_instead(password, why):
    with pytest.raises(WeakPassword) as refused:
        check_password(password, username="robin")

    what_is_wrong, what_to_do = str(refused.value).split(": ", 1)
    assert why in what_is_wrong
    assert what_to_do.startswith(("choose", "use"))


@pytest.mark.parametrize(
    "password",
    ["a long enough password", "kettle orbit margarine", "Tuesday's 3 blue herons", "x7#Lq9!vR2mZ"],
)
def test_long_uncommon_passwords_are_taken(password):
    assert check_password(password, username="robin") == password
    assert verify_password(password, hash_password(password, username="robin"))


def test_a_short_username_does_not_rule_out_every_password_with_its_letters():
    assert check_password("a long enough password", username="al")


def test_no_hash_is_made_for_a_password_the_policy_refuses():
    with pytest.raises(WeakPassword, match=ADVICE):
        hash_password("aaaaaaaaaaaa")


def test_the_common_passwords_are_a_data_file_of_hundreds():
    listed = common_passwords()

    assert len(listed) >= 300
    assert {"password", "123456789012", "qwertyuiop", "iloveyou"} <= listed
    assert all(
        entry == entry.lower() and entry.strip() == entry and not entry.startswith("#") for entry in listed
    )
