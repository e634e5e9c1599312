"""Secrets a process makes once and keeps in a 0600 file, for when the environment gives none."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from clinic.settings import ConfigurationError

MIN_LENGTH = 32


@lru_cache(maxsize=8)
def kept_secret(path: Path) -> str:
    """The secret in `path`, made (random, 0600) if the file is missing.

    Two processes starting at once agree on one: each writes a draft, and link() lets only the first in.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    secret = path.read_text().strip()
    if len(secret) < MIN_LENGTH:
        raise ConfigurationError(
            f"{path} does not hold a usable secret (at least {MIN_LENGTH} characters): delete it and a new "
            "one is made at the next start."
        )
    return secret
