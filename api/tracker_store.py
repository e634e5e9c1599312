"""Where Rasa keeps conversations, read from the endpoints file Rasa itself reads, for `clinic`'s deletes.

`make run` keeps them in a SQLite file (CLINIC_RASA_TRACKER_DB, var/rasa_tracker.db); `make run-scaled`
in PostgreSQL. With CLINIC_RASA_ENDPOINTS (or `clinic --rasa-endpoints FILE`) the command reads that
file's `tracker_store` as Rasa does: `${VAR}` in an unquoted value is the environment's VAR, `url` (or
`host`) may be a whole database URL, else `dialect`, `host`, `port`, `db`, `username`, `password`,
`login_db` and `query` make one (Rasa's SQLTrackerStore.get_db_url). Only Rasa's SQL tracker store (type
`sql` or ours, bot.tracker_store.ClinicTrackerStore) is understood: another store is refused, by name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import yaml
from sqlalchemy.engine import URL, make_url

from clinic.settings import PROJECT

# Rasa's own pattern (rasa.shared.utils.io.replace_environment_variables): a plain scalar with ${...}.
ENV_VAR = re.compile(r"^(.*)\$\{(.*)\}(.*)$")
SQL_TYPES = ("sql", "bot.tracker_store.ClinicTrackerStore")


class TrackerStoreConfigError(Exception):
    """The endpoints file names a tracker store the command cannot reach; the message says why."""


class _Unset(str):
    """A value whose ${VAR} the environment does not set: an error only if the tracker store needs it."""


@dataclass(frozen=True)
class TrackerStore:
    """Rasa's SQL tracker store: a SQLite file or a database server, as a SQLAlchemy URL."""

    url: URL
    source: str  # where this came from, for messages

    @classmethod
    def sqlite_file(cls, path: Path, source: str = "CLINIC_RASA_TRACKER_DB") -> TrackerStore:
        return cls(make_url(f"sqlite:///{path}"), source)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def sqlite_path(self) -> Optional[Path]:
        """The file, for a SQLite store."""
        return Path(self.url.database or "") if self.dialect == "sqlite" else None

    @property
    def name(self) -> str:
        """The file's path, or the server's URL without its password: safe to print."""
        path = self.sqlite_path
        return str(path) if path is not None else self.url.render_as_string(hide_password=True)


def _loader(environ: Dict[str, str]) -> type:
    class EndpointsLoader(yaml.SafeLoader):
        pass

    def expand(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        value = loader.construct_scalar(node)
        missing = [name for name in re.findall(r"\$\{([^}]*)\}", value) if name not in environ]
        expanded = re.sub(r"\$\{([^}]*)\}", lambda m: environ.get(m.group(1), m.group(0)), value)
        return _Unset(", ".join(missing)) if missing else expanded

    EndpointsLoader.add_implicit_resolver("!env_var", ENV_VAR, None)
    EndpointsLoader.add_constructor("!env_var", expand)
    return EndpointsLoader


def from_endpoints(path: Path, environ: Optional[Dict[str, str]] = None) -> Optional[TrackerStore]:
    """The tracker store `path` configures; None when it has none (Rasa then keeps conversations in memory)."""
    environ = dict(os.environ if environ is None else environ)
    try:
        config = yaml.load(path.read_text(encoding="utf-8"), Loader=_loader(environ)) or {}
    except OSError as error:
        raise TrackerStoreConfigError(
            f"Cannot read Rasa's endpoints file {path} ({error.strerror}): set CLINIC_RASA_ENDPOINTS "
            "(or --rasa-endpoints) to the file your Rasa runs with."
        ) from None
    except yaml.YAMLError as error:
        raise TrackerStoreConfigError(f"{path} is not valid YAML ({error}).") from None
    section = config.get("tracker_store") if isinstance(config, dict) else None
    if not section:
        return None
    if not isinstance(section, dict):
        raise TrackerStoreConfigError(f"{path}: tracker_store is not a mapping of settings.")
    for key, value in section.items():
        if isinstance(value, _Unset):
            raise TrackerStoreConfigError(
                f"{path}: tracker_store's {key} needs the environment variable(s) {value}, as Rasa does: "
                'set them to what Rasa\'s instances are given (README "Scale-out": the clinic command).'
            )
    kind = str(section.get("type") or "")
    if kind.lower() != "sql" and kind not in SQL_TYPES:
        raise TrackerStoreConfigError(
            f"{path}: tracker_store type {kind or '(none)'!r} is not Rasa's SQL tracker store: `clinic` "
            "deletes conversations from SQL stores only (SQLite, PostgreSQL). Nothing was deleted."
        )
    return TrackerStore(_db_url(section), source=str(path))


def configured(
    endpoints: Optional[Path], sqlite_file: Path, environ: Optional[Dict[str, str]] = None
) -> Optional[TrackerStore]:
    """The tracker store of Rasa's endpoints file when one is given (None if it has none), else the
    SQLite file: what `clinic` and the staff pages' "forget" delete from."""
    if endpoints is not None:
        return from_endpoints(endpoints, environ)
    return TrackerStore.sqlite_file(sqlite_file)


def _db_url(section: Dict[str, Any]) -> URL:
    """As Rasa's SQLTrackerStore.get_db_url: a whole URL in `url`/`host`, else one made of the parts."""
    host = section.get("url") or section.get("host")
    dialect = str(section.get("dialect") or "sqlite")
    if host and "://" in str(host):
        return make_url(str(host))
    port = section.get("port")
    if host:
        parsed = urlsplit(f"scheme://{host}")
        port = parsed.port or port
        host = parsed.hostname or host
    # Rasa logs in to `login_db` only to create `db`, where the conversations are.
    db = str(section.get("db") or "rasa.db")
    if dialect == "sqlite" and not Path(db).is_absolute():
        db = str(PROJECT / db)  # Rasa runs in the project's folder (make run, make run-scaled)
    return URL.create(
        dialect,
        username=section.get("username"),
        password=section.get("password"),
        host=host,
        port=int(port) if port else None,
        database=db,
        query=section.get("query") or {},
    )
