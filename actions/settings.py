"""The action server's settings: where the clinic's files are, how to reach the staff API, how to listen.

Built from the shared core's readers (clinic/settings.py), so a mistake fails the same way as in the
API. Read when asked, not at import, so tests can point the action server at their own files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from clinic import settings as read
from clinic.settings import PROJECT, VAR, ClinicFiles, Env, WithClinicFiles

__all__ = ["PROJECT", "Settings", "settings"]


@dataclass(frozen=True)
class Settings(WithClinicFiles):
    clinic_config: Path = PROJECT / "clinic.yml"
    content_dir: Path = PROJECT / "content"
    knowledge_db: Path = VAR / "knowledge.db"
    # Requests wait here until the staff API has them (actions/outbox.py).
    outbox_db: Path = VAR / "outbox.db"
    api_url: str = "http://localhost:8000"
    # The action server's key to the staff API (CLINIC_BOT_TOKEN).
    bot_token: str = ""
    # Only Rasa on this machine needs the action server: set an address for a multi-host setup.
    host: str = "127.0.0.1"
    port: int = 5055
    # Rasa's key to the action server (CLINIC_ACTION_TOKEN).
    action_token: Optional[str] = None
    # On a developer's laptop the action server may run without its key (CLINIC_DEVELOPMENT=true).
    development: bool = False

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> Settings:
        files = ClinicFiles.from_env(env)
        env = read.environment(env)
        return cls(
            clinic_config=files.clinic_config,
            content_dir=files.content_dir,
            knowledge_db=read.path(env, "CLINIC_KNOWLEDGE_DB", VAR / "knowledge.db"),
            outbox_db=read.path(env, "CLINIC_OUTBOX_DB", VAR / "outbox.db"),
            api_url=read.url(env, "CLINIC_API_URL", "http://localhost:8000"),
            bot_token=read.secret(env, "CLINIC_BOT_TOKEN") or "",
            host=read.text(env, "CLINIC_ACTION_HOST", "127.0.0.1"),
            port=read.port(env, "CLINIC_ACTION_PORT", default=5055),
            action_token=read.secret(env, "CLINIC_ACTION_TOKEN"),
            development=read.flag(env, "CLINIC_DEVELOPMENT", default=False),
        )


def settings() -> Settings:
    """The settings as the environment says now."""
    return Settings.from_env()
