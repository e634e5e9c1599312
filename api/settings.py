"""One settings object for the API, from environment variables, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional, Tuple

PROJECT = Path(__file__).resolve().parents[1]
VAR = PROJECT / "var"


class ConfigurationError(Exception):
    """A setting is present but unusable; the message says which one and how to fix it."""


@dataclass(frozen=True)
class Settings:
    rasa_url: str
    action_server_url: str
    public_rasa_url: str
    handoffs_db: Path = VAR / "handoffs.db"
    # No default on purpose: a secret in the repository would be everyone's secret.
    bot_token: Optional[str] = None
    session_secret: Optional[str] = None
    session_secret_file: Path = VAR / "session_secret"
    # Browsers drop Secure cookies on plain http://localhost, so this is for deployments behind TLS.
    secure_cookies: bool = False
    staff_url: str = "http://localhost:8000/staff"
    rasa_tracker_db: Path = VAR / "rasa_tracker.db"
    # The action server's queue of requests not yet handed to the API (actions/outbox.py).
    outbox_db: Path = VAR / "outbox.db"
    notify_webhook: Optional[str] = None
    smtp_host: Optional[str] = None
    smtp_port: int = 587
    smtp_user: Optional[str] = None
    smtp_password: Optional[str] = None
    smtp_starttls: bool = True
    notify_email_from: str = "clinic-assistant@localhost"
    notify_email_to: Optional[str] = None
    clinic_config: Path = PROJECT / "clinic.yml"
    content_dir: Path = PROJECT / "content"
    # The clinic site's origins that may call the widget's endpoints from another origin (CORS).
    allowed_origins: Tuple[str, ...] = ()
    # Requests handed over per client per minute (the action server is one client); 0 means no limit.
    handoff_limit_per_minute: int = 60

    @property
    def email_notifications(self) -> bool:
        return bool(self.smtp_host and self.notify_email_to)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        rasa_url = env.get("RASA_URL", "http://localhost:5005")
        return cls(
            rasa_url=rasa_url,
            action_server_url=env.get("ACTION_SERVER_URL", "http://localhost:5055"),
            public_rasa_url=env.get("PUBLIC_RASA_URL", rasa_url),
            handoffs_db=Path(env.get("CLINIC_HANDOFFS_DB", VAR / "handoffs.db")),
            bot_token=env.get("CLINIC_BOT_TOKEN") or None,
            session_secret=env.get("CLINIC_SESSION_SECRET") or None,
            session_secret_file=Path(env.get("CLINIC_SESSION_SECRET_FILE", VAR / "session_secret")),
            secure_cookies=_flag(env, "CLINIC_SECURE_COOKIES", default=False),
            staff_url=env.get("CLINIC_STAFF_URL", "http://localhost:8000/staff").rstrip("/"),
            rasa_tracker_db=Path(env.get("CLINIC_RASA_TRACKER_DB", VAR / "rasa_tracker.db")),
            outbox_db=Path(env.get("CLINIC_OUTBOX_DB", VAR / "outbox.db")),
            notify_webhook=env.get("CLINIC_NOTIFY_WEBHOOK") or None,
            smtp_host=env.get("CLINIC_SMTP_HOST") or None,
            smtp_port=_port(env.get("CLINIC_SMTP_PORT", "587")),
            smtp_user=env.get("CLINIC_SMTP_USER") or None,
            smtp_password=env.get("CLINIC_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "CLINIC_SMTP_STARTTLS", default=True),
            notify_email_from=env.get("CLINIC_NOTIFY_EMAIL_FROM", "clinic-assistant@localhost"),
            notify_email_to=env.get("CLINIC_NOTIFY_EMAIL_TO") or None,
            clinic_config=Path(env.get("CLINIC_CONFIG", PROJECT / "clinic.yml")),
            content_dir=Path(env.get("CLINIC_CONTENT_DIR", PROJECT / "content")),
            allowed_origins=tuple(
                origin.rstrip("/")
                for origin in env.get("CLINIC_ALLOWED_ORIGINS", "").replace(",", " ").split()
            ),
            handoff_limit_per_minute=_count(env, "CLINIC_HANDOFF_LIMIT_PER_MINUTE", default=60),
        )


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={value!r} is not a yes/no value: set it to true or false.")


def _count(env: Mapping[str, str], name: str, *, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigurationError(f"{name}={value!r} is not a whole number: set it to 0 or more.")
    return int(value)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigurationError(
            f"CLINIC_SMTP_PORT={value!r} is not a port number: set it to your mail server's port, usually 587."
        )
    return int(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
