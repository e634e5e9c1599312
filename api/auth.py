"""Staff passwords (scrypt with a per-user salt) and the checks behind the bot token and staff logins."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Optional

from sqlite_utils import Database

from api import store

MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# The classic interactive-login cost (about 16 MB, ~50 ms); stored with each hash so it can be raised.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class WeakPassword(ValueError):
    pass


class BadUsername(ValueError):
    pass


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise BadUsername(
            "A username is 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit"
        )
    return username


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")
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


def authenticate_staff(db: Database, *, username: str, password: str) -> bool:
    stored: Optional[str] = store.staff_password_hash(db, username=username)
    matches = verify_password(password, stored or _NOBODY)
    return matches and stored is not None


def is_bot_token(token: str, expected: Optional[str]) -> bool:
    return expected is not None and hmac.compare_digest(token.encode(), expected.encode())


class LoginRequired(Exception):
    """A staff page was asked for without a valid session; the edge redirects to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path
