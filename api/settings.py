"""One settings object for the API, from environment variables, with defaults that work on a laptop.

Parsed with the shared core's readers (clinic/settings.py): the same mistake fails the same way here,
in the chat channel and in the action server.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple
from urllib.parse import urlsplit

from clinic import settings as read
from clinic.settings import PROJECT, VAR, ClinicFiles, ConfigurationError, Env, WithClinicFiles

# Re-exported: the API's callers catch it from here.
__all__ = ["ConfigurationError", "Settings", "get_settings", "settings_of"]

# Where a browser treats plain http as secure enough for a session: this machine, and nowhere else.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def on_plain_http_localhost(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS


@dataclass(frozen=True)
class Settings(WithClinicFiles):
    rasa_url: str
    action_server_url: str
    public_rasa_url: str
    handoffs_db: Path = VAR / "handoffs.db"
    # No default on purpose: a secret in the repository would be everyone's secret.
    bot_token: Optional[str] = None
    # Secure cookies (and HSTS). None: decided from staff_url, true unless the staff pages are on plain
    # http://localhost, where `make run` serves them and where scripts and tests log in without TLS.
    secure_cookies: Optional[bool] = None
    staff_url: str = "http://localhost:8000/staff"
    rasa_tracker_db: Path = VAR / "rasa_tracker.db"
    # Rasa's endpoints file: when set, `clinic` reads the tracker store from it (PostgreSQL with
    # `make run-scaled`) instead of the SQLite file above (api/tracker_store.py).
    rasa_endpoints: Optional[Path] = None
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
    # FastAPI's /docs and /redoc load Swagger and ReDoc from a CDN, next to the staff pages: off unless asked.
    api_docs: bool = False
    # How often an open inbox asks whether anything changed (a 304 when nothing did).
    inbox_poll_seconds: int = 10
    # Teaching the assistant (docs/teaching.md): Rasa's key to pull the promoted model from the API, the
    # model `make train` built (what Rasa runs until staff promote another), the folder of retrained
    # models and the pipeline a retraining uses (tests use a smaller one).
    model_token: Optional[str] = None
    base_model: Path = PROJECT / "models" / "clinic.tar.gz"
    models_dir: Path = VAR / "models"
    teach_config: Path = PROJECT / "config.yml"

    def __post_init__(self) -> None:
        if self.secure_cookies is None:
            object.__setattr__(self, "secure_cookies", not on_plain_http_localhost(self.staff_url))

    @property
    def outbox_dbs(self) -> Tuple[Path, ...]:
        """Every action server's outbox on this machine: outbox_db and, beside it, each `make run-scaled`
        instance's (instance-N/outbox.db), those that exist."""
        instances = sorted(
            self.outbox_db.parent.glob("instance-*/outbox.db"),
            key=lambda path: (len(path.parent.name), path.parent.name),
        )
        # With only instances' outboxes (make run-scaled), the single action server's absent one is no news.
        main = (self.outbox_db,) if self.outbox_db.exists() or not instances else ()
        return (*main, *instances)

    @property
    def email_notifications(self) -> bool:
        return bool(self.smtp_host and self.notify_email_to)

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> Settings:
        files = ClinicFiles.from_env(env)
        env = read.environment(env)
        rasa_url = read.url(env, "RASA_URL", "http://localhost:5005")
        return cls(
            rasa_url=rasa_url,
            action_server_url=read.url(env, "ACTION_SERVER_URL", "http://localhost:5055"),
            public_rasa_url=read.url(env, "PUBLIC_RASA_URL", rasa_url),
            handoffs_db=read.path(env, "CLINIC_HANDOFFS_DB", VAR / "handoffs.db"),
            bot_token=read.secret(env, "CLINIC_BOT_TOKEN"),
            secure_cookies=_optional_flag(env, "CLINIC_SECURE_COOKIES"),
            staff_url=read.url(env, "CLINIC_STAFF_URL", "http://localhost:8000/staff"),
            rasa_tracker_db=read.path(env, "CLINIC_RASA_TRACKER_DB", VAR / "rasa_tracker.db"),
            rasa_endpoints=Path(env["CLINIC_RASA_ENDPOINTS"]) if env.get("CLINIC_RASA_ENDPOINTS") else None,
            outbox_db=read.path(env, "CLINIC_OUTBOX_DB", VAR / "outbox.db"),
            notify_webhook=read.secret(env, "CLINIC_NOTIFY_WEBHOOK"),
            smtp_host=env.get("CLINIC_SMTP_HOST") or None,
            smtp_port=read.port(env, "CLINIC_SMTP_PORT", default=587, usually="587"),
            smtp_user=env.get("CLINIC_SMTP_USER") or None,
            smtp_password=read.secret(env, "CLINIC_SMTP_PASSWORD"),
            smtp_starttls=read.flag(env, "CLINIC_SMTP_STARTTLS", default=True),
            notify_email_from=read.text(env, "CLINIC_NOTIFY_EMAIL_FROM", "clinic-assistant@localhost"),
            notify_email_to=env.get("CLINIC_NOTIFY_EMAIL_TO") or None,
            clinic_config=files.clinic_config,
            content_dir=files.content_dir,
            allowed_origins=read.origins(env),
            handoff_limit_per_minute=read.count(env, "CLINIC_HANDOFF_LIMIT_PER_MINUTE", default=60),
            api_docs=read.flag(env, "CLINIC_API_DOCS", default=False),
            inbox_poll_seconds=max(1, read.count(env, "CLINIC_INBOX_POLL_SECONDS", default=10)),
            model_token=read.secret(env, "CLINIC_MODEL_TOKEN"),
            base_model=read.path(env, "CLINIC_MODEL", PROJECT / "models" / "clinic.tar.gz"),
            models_dir=read.path(env, "CLINIC_MODELS_DIR", VAR / "models"),
            teach_config=read.path(env, "CLINIC_TEACH_CONFIG", PROJECT / "config.yml"),
        )


def _optional_flag(env: Env, name: str) -> Optional[bool]:
    """A yes/no setting, or None when it is not set (the default then depends on other settings)."""
    return read.flag(env, name, default=False) if env.get(name, "").strip() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def settings_of(app: object) -> Settings:
    """The settings the app runs with, honouring a test's dependency override (for middleware)."""
    overrides = getattr(app, "dependency_overrides", {})
    provider = overrides.get(get_settings, get_settings)
    settings: Settings = provider()
    return settings
