"""Staff passwords (scrypt with a per-user salt) and the checks behind the bot token and staff logins.

A staff password is checked in one place only, `check_staff_password`, which counts every try against
the lock-out (api/limits.py): the login form, HTTP Basic on the staff API and the detailed /healthz all
go through it, so a guess counts the same wherever it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Optional

from sqlite_utils import Database

from api import store
from api.limits import Logins

MIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_CHARACTERS = 5
# A username this short ("al") is inside too many good passwords to refuse them for it.
MIN_USERNAME_TO_LOOK_FOR = 3
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
# Look-alike characters read as the letters they stand for, so "p@ssw0rd" is "password".
LOOK_ALIKES = str.maketrans(
    {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"}
)
# Digits, symbols and spaces around a word: "Password2024!" is "password" to whoever guesses.
DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")
SUGGESTION = "for example three or four unrelated words"
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# The classic interactive-login cost (about 16 MB, ~50 ms); stored with each hash so it can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class WeakPassword(ValueError):
    """A password the policy refuses; the message says why and what to choose instead."""


class LockedOut(Exception):
    """Too many failed logins for this account or from this client: try again in `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class BadUsername(ValueError):
    pass


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise BadUsername(
            "A username is 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit"
        )
    return username


@lru_cache(maxsize=1)
def common_passwords() -> FrozenSet[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _guessable_forms(password: str) -> FrozenSet[str]:
    """What a guesser's list would hold for this password: without spaces, without the digits and
    symbols around it, with look-alikes read as letters."""
    whole = "".join(password.lower().split())
    core = DECORATION.sub("", whole)
    return frozenset(
        form for form in (whole, core, whole.translate(LOOK_ALIKES), core.translate(LOOK_ALIKES)) if form
    )


def check_password(password: str, *, username: Optional[str] = None) -> str:
    """Returns the password if the policy takes it, else raises WeakPassword saying what to do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long: choose a longer one, "
            f"{SUGGESTION}."
        )
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        raise WeakPassword(
            f"The password repeats too few characters: use at least {MIN_DISTINCT_CHARACTERS} different "
            f"ones, {SUGGESTION}."
        )
    if username and len(username) >= MIN_USERNAME_TO_LOOK_FOR and username.lower() in password.lower():
        raise WeakPassword(
            "The password must not contain the username: choose one that has nothing to do with it."
        )
    if _guessable_forms(password) & common_passwords():
        raise WeakPassword(
            "That password is one of the most common ones (or one with digits or symbols added), which "
            f"attackers try first: choose another, {SUGGESTION}."
        )
    return password


def hash_password(password: str, *, username: Optional[str] = None) -> str:
    """The stored form of a password the policy takes (check_password); the only way to make one."""
    check_password(password, username=username)
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n, dklen=32)


# Checked against when the username is unknown, so a wrong username takes as long as a wrong password.
_NOBODY = f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${'00' * 16}${'00' * 32}"


def _password_matches(db: Database, *, username: str, password: str) -> bool:
    stored: Optional[str] = store.staff_password_hash(db, username=username)
    matches = verify_password(password, stored or _NOBODY)
    return matches and stored is not None


def check_staff_password(db: Database, logins: Logins, *, username: str, password: str) -> bool:
    """Whether this is the staff member's password, counting the try: raises LockedOut while the account
    or this client is locked out, even for the right password (else guessing could go on elsewhere)."""
    locked = logins.attempt(username)
    if locked:
        raise LockedOut(locked)
    if not _password_matches(db, username=username, password=password):
        return False
    logins.succeeded(username)
    return True


def is_bot_token(token: str, expected: Optional[str]) -> bool:
    return expected is not None and hmac.compare_digest(token.encode(), expected.encode())


class LoginRequired(Exception):
    """A staff page was asked for without a valid session; the edge redirects to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path
