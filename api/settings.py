"""One settings object for the API, from environment variables, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    rasa_url: str
    action_server_url: str
    public_rasa_url: str

    @classmethod
    def from_env(cls) -> Settings:
        rasa_url = os.environ.get("RASA_URL", "http://localhost:5005")
        return cls(
            rasa_url=rasa_url,
            action_server_url=os.environ.get("ACTION_SERVER_URL", "http://localhost:5055"),
            public_rasa_url=os.environ.get("PUBLIC_RASA_URL", rasa_url),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
