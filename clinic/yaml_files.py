"""The YAML files a clinic edits (clinic.yml, content/*.yml), read again only when they change.

Every process reads them on every message or page, so each is parsed once per change; a missing or
broken file fails with a message saying which and how to fix it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Type

import yaml

from clinic.settings import ConfigurationError

RESTORE = "restore it from the repository and edit it there"


def read_yaml(
    path: Path, *, error: Type[ConfigurationError] = ConfigurationError, if_missing: str = RESTORE
) -> Any:
    """The parsed file (shared between callers: never change what it returns)."""
    if not path.exists():
        raise error(f"{path} not found: {if_missing}.")
    try:
        return _parsed(path, path.stat().st_mtime_ns)
    except yaml.YAMLError as problem:
        raise error(f"{path} is not valid YAML ({problem}): fix it and try again.") from None


@lru_cache(maxsize=16)
def _parsed(path: Path, mtime_ns: int) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
