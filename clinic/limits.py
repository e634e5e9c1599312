"""Rate limits: at most so many events per key (a sender, a client, a username) in a sliding window.

Kept in memory, per process: a restart forgets them, which is the right failure for a limit. Used
by the chat channels (bot/channels.py) and the API (api/limits.py).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from typing import Callable, Deque, Hashable


class SlidingWindow:
    """At most `limit` events per key in any `seconds`; remembers the `max_keys` most recent keys.

    A limit of 0 means no limit (for benchmarks and load tests that play many patients at once).
    """

    def __init__(
        self,
        limit: int,
        seconds: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.max_keys = max_keys
        self.clock = clock
        self._events: OrderedDict[Hashable, Deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, *, counting: bool = True) -> Deque[float]:
        """The key's events in the window. Only counting makes a key remembered (and most recent), so
        looking keys up can never push out the ones that hold events."""
        if not counting and key not in self._events:
            return deque()
        events = self._events.setdefault(key, deque())
        if counting:
            self._events.move_to_end(key)
        horizon = self.clock() - self.seconds
        while events and events[0] <= horizon:
            events.popleft()
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return events

    def take(self, key: Hashable) -> bool:
        """Count one event and say whether it was within the limit; an event over it is not counted."""
        if not self.limit:
            return True
        with self._lock:
            events = self._recent(key)
            if len(events) >= self.limit:
                return False
            events.append(self.clock())
            return True

    def retry_after(self, key: Hashable) -> int:
        """Whole seconds until `key` may have one more event (0 if it may now)."""
        if not self.limit:
            return 0
        with self._lock:
            events = self._recent(key, counting=False)
            if len(events) < self.limit:
                return 0
            return max(1, math.ceil(events[-self.limit] + self.seconds - self.clock()))

    def give_back(self, key: Hashable) -> None:
        """Uncount the key's latest event (one that turned out not to count, a right password say)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._events.pop(key, None)
