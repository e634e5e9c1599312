"""Keeps patients' details out of the access log: a search (`/staff?q=Jordan+Lee`) is logged as its path."""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class QueryStringsOut(logging.Filter):
    """Drops the query string from uvicorn's access lines (their third argument is the path asked for)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def keep_queries_out_of_access_log() -> None:
    """Installs the filter once (a second app in the same process adds nothing)."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QueryStringsOut) for f in access.filters):
        access.addFilter(QueryStringsOut())
