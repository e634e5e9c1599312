"""Reading settings from the environment, the same way in every process.

Each process builds its own settings object from these parsers (api/settings.py, actions/settings.py,
bot/settings.py). A setting that is present but unusable fails at once with a message saying which
one and how to fix it; an absent one takes a default that works on a laptop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT = Path(__file__).resolve().parents[1]
VAR = PROJECT / "var"

Env = Mapping[str, str]


class ConfigurationError(Exception):
    """A setting is present but unusable; the message says which one and how to fix it."""


def text(env: Env, name: str, default: str) -> str:
    return env.get(name, "").strip() or default


def secret(env: Env, name: str) -> Optional[str]:
    """A secret has no default on purpose: one in the repository would be everyone's secret."""
    return env.get(name) or None


def path(env: Env, name: str, default: Path) -> Path:
    return Path(env.get(name) or default)


def url(env: Env, name: str, default: str) -> str:
    return text(env, name, default).rstrip("/")


def flag(env: Env, name: str, *, default: bool) -> bool:
    value = env.get(name, "").strip()
    if not value:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={value!r} is not a yes/no value: set it to true or false.")


def count(env: Env, name: str, *, default: int) -> int:
    """A whole number of 0 or more (0 usually turns a limit off)."""
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigurationError(f"{name}={value!r} is not a whole number: set it to 0 or more.")
    return int(value)


def port(env: Env, name: str, *, default: int, usually: str = "") -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 65536:
        hint = f", usually {usually}" if usually else ""
        raise ConfigurationError(f"{name}={value!r} is not a port number: set it to 1 to 65535{hint}.")
    return int(value)


def words(env: Env, name: str) -> Tuple[str, ...]:
    """A list separated by spaces or commas."""
    return tuple(env.get(name, "").replace(",", " ").split())


def origins(env: Env, name: str = "CLINIC_ALLOWED_ORIGINS") -> Tuple[str, ...]:
    """The clinic site's origins, separated by spaces or commas; none set means no cross-origin caller."""
    return tuple(origin.rstrip("/") for origin in words(env, name))


def environment(env: Optional[Env]) -> Env:
    """The environment to read: the process's own unless a test passes one."""
    return os.environ if env is None else env


class WithClinicFiles:
    """For settings that name clinic.yml and the content folder as two fields of their own."""

    clinic_config: Path
    content_dir: Path

    @property
    def files(self) -> ClinicFiles:
        return ClinicFiles(self.clinic_config, self.content_dir)


@dataclass(frozen=True)
class ClinicFiles:
    """Where the clinic's own files are: clinic.yml and the content/ folder."""

    clinic_config: Path = PROJECT / "clinic.yml"
    content_dir: Path = PROJECT / "content"

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> ClinicFiles:
        env = environment(env)
        return cls(
            clinic_config=path(env, "CLINIC_CONFIG", PROJECT / "clinic.yml"),
            content_dir=path(env, "CLINIC_CONTENT_DIR", PROJECT / "content"),
        )
