"""The Rasa server's settings for our chat channels, from the shared core's readers (clinic/settings.py).

Read once per process when the channels are built: a mistake (a chat limit that isn't a number, say)
stops Rasa at start with a message saying what to fix, as the API does for the same mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from clinic import settings as read
from clinic.settings import ClinicFiles, Env


@dataclass(frozen=True)
class Settings:
    files: ClinicFiles = field(default_factory=ClinicFiles)
    # The clinic site's origins that may open the chat's socket (CORS covers only HTTP, not WebSockets).
    allowed_origins: Tuple[str, ...] = ()
    # A person types a few messages a minute; more than this from one sender is a script or a stuck client.
    chat_limit_per_minute: int = 30

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> Settings:
        env = read.environment(env)
        return cls(
            files=ClinicFiles.from_env(env),
            allowed_origins=read.origins(env),
            chat_limit_per_minute=read.count(env, "CLINIC_CHAT_LIMIT_PER_MINUTE", default=30),
        )
