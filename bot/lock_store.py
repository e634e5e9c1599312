"""Rasa's RedisLockStore, with its ticket bookkeeping made safe for several Rasa instances.

Rasa 3.6's lock store keeps each conversation's queue of tickets as one JSON value in Redis and changes
it by reading, changing and writing it back (issue a ticket, drop expired ones, finish one and delete
the lock). Two instances doing that at the same moment both read the same queue: both get the same
ticket, or one's write drops the other's ticket, and both handle a message of one conversation at once.
Then one turn overwrites the other in the tracker store: a message answered but lost from the
conversation (tests/test_scaled.py caught it with two messages sent to two instances at once).

Here each read-change-write holds a short Redis mutex per conversation (redis-py's `Lock`: SET NX with
an expiry, released by a script that checks its token), so the tickets are handed out one at a time
whichever instance asks. Listed in endpoints.scaled.yml as `type: bot.lock_store.ClinicRedisLockStore`
with the stock store's settings (url, port, password, db).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Seconds one read-change-write may hold the mutex (it takes a millisecond or two), and may wait for it.
MUTEX_SECONDS = 5.0


class ClinicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore whose ticket changes are atomic across instances."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **settings: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by its module path
            settings = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **settings}
        super().__init__(**settings)

    @contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        mutex = self.red.lock(
            f"{self.key_prefix}mutex:{conversation_id}",
            timeout=MUTEX_SECONDS,
            blocking_timeout=MUTEX_SECONDS,
            sleep=0.002,
        )
        with mutex:
            yield

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Finishing a ticket and deleting an idle lock are one step: else the delete could drop a
        # ticket another instance issued in between, and its holder would find no lock at all.
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
