"""The Rasa server's settings for our chat channels, from the shared core's readers (clinic/settings.py).

Read once per process when the channels are built: a mistake (a chat limit that isn't a number, say)
stops Rasa at start with a message saying what to fix, as the API does for the same mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Tuple

from clinic import settings as read
from clinic.secrets import kept_secret
from clinic.settings import VAR, ClinicFiles, Env


@dataclass(frozen=True)
class Settings:
    files: ClinicFiles = field(default_factory=ClinicFiles)
    # The clinic site's origins that may open the chat's socket (CORS covers only HTTP, not WebSockets).
    allowed_origins: Tuple[str, ...] = ()
    # A person types a few messages a minute; more than this from one sender is a script or a stuck client.
    chat_limit_per_minute: int = 30
    # One address may be a whole waiting room behind one router, but not a flood of made-up senders.
    chat_limit_per_client_per_minute: int = 300
    # Reverse proxies in front of Rasa whose X-Forwarded-For is believed (addresses, e.g. 127.0.0.1).
    trusted_proxies: Tuple[str, ...] = ()
    # Signs the chat's conversation tokens (bot/sessions.py); made once into this file if not given.
    session_key: Optional[str] = None
    session_key_file: Path = VAR / "chat_session_key"

    def chat_session_key(self) -> str:
        return self.session_key or kept_secret(self.session_key_file)

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> Settings:
        env = read.environment(env)
        return cls(
            files=ClinicFiles.from_env(env),
            allowed_origins=read.origins(env),
            chat_limit_per_minute=read.count(env, "CLINIC_CHAT_LIMIT_PER_MINUTE", default=30),
            chat_limit_per_client_per_minute=read.count(
                env, "CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE", default=300
            ),
            trusted_proxies=read.words(env, "CLINIC_TRUSTED_PROXIES"),
            session_key=read.secret(env, "CLINIC_CHAT_SESSION_KEY"),
            session_key_file=read.path(env, "CLINIC_CHAT_SESSION_KEY_FILE", VAR / "chat_session_key"),
        )
