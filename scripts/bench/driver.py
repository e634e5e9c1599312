"""The load driver: simulated patients talking to Rasa's REST channel, with asyncio and httpx.

Each patient runs whole conversations (patients.yml) one after another with a fresh sender id, either
closed loop (the next message as soon as the reply arrives: saturation) or pausing 2-5 s between
messages like a person reading and typing. A run stops starting messages at its deadline and gives
the ones in flight a bounded time to finish.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import numpy as np
import yaml

PATIENTS = Path(__file__).with_name("patients.yml")
PAUSE = (2.0, 5.0)  # seconds a patient takes to read a reply and type the next message
TIMEOUT = 30.0  # one message's round trip; longer is an error


@dataclass(frozen=True)
class Turn:
    text: str
    topic: Optional[str] = None  # the reply's custom.topic, when it must be one
    asks: Optional[str] = None  # the booking prompt's custom.asks, when it must be one
    reference: bool = False  # the reply must carry the booking's reference (the submit went through)


def conversation(rng: random.Random, script: Optional[Dict[str, Any]] = None) -> List[Turn]:
    """One patient's conversation: a greeting; two FAQs, a clarification and a booking, in an order of
    the patient's own (some come to book first, some ask first); thanks."""
    s = script or yaml.safe_load(PATIENTS.read_text(encoding="utf-8"))
    first, second = rng.sample(s["faq"], 2)
    vague = rng.choice(s["clarification"])
    b = s["booking"]
    middle = [
        [Turn(first["text"], first["topic"]), Turn(second["text"], second["topic"])],
        [Turn(vague["text"], "clarify"), Turn(vague["button"], vague["topic"])],
        [
            Turn(rng.choice(b["start"]), "booking", "therapy"),
            Turn(rng.choice(b["therapy"]), "booking", "name"),
            Turn(rng.choice(b["name"]), "booking", "contact"),
            Turn(rng.choice(b["contact"]), "booking", "preferred_time"),
            Turn(rng.choice(b["preferred_time"]), "booking", "new_patient"),
            Turn(rng.choice(b["new_patient"]), "booking", "reason"),
            Turn(rng.choice(b["reason"]), "booking", "consent"),
            Turn("yes", "booking", "confirm"),
            Turn("yes", "booking", reference=True),
        ],
    ]
    rng.shuffle(middle)
    return [
        Turn(s["greeting"], "greet"),
        *[turn for part in middle for turn in part],
        Turn(s["thanks"], "thanks"),
    ]


def wrong(turn: Turn, replies: Any) -> bool:
    """The reply isn't the one this turn must get (only checked on our assistant)."""
    if not isinstance(replies, list) or not replies:
        return True
    custom = replies[-1].get("custom") or {}
    return (
        (turn.topic is not None and custom.get("topic") != turn.topic)
        or (turn.asks is not None and custom.get("asks") != turn.asks)
        or (turn.reference and not custom.get("reference"))
    )


@dataclass
class LoadResult:
    """What one run measured. Latencies in milliseconds, of the messages answered in the window."""

    target: str
    patients: int
    paused: bool
    seconds: float
    latencies: List[float] = field(default_factory=list)
    errors: int = 0  # no answer: connection refused, timeout, status >= 400
    wrong_replies: int = 0  # answered, but not with what the turn must get (our assistant only)
    bookings: int = 0  # conversations that reached their booking's confirmation (a submit to the staff API)

    @property
    def mode(self) -> str:
        return "2-5 s pauses" if self.paused else "closed loop"

    @property
    def messages(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    def summary(self) -> Dict[str, Any]:
        return {
            "target": self.target,
            "patients": self.patients,
            "mode": self.mode,
            "seconds": round(self.seconds, 1),
            "messages": self.messages,
            "per_second": round(self.throughput, 1),
            "p50": round(self.percentile(50), 1),
            "p95": round(self.percentile(95), 1),
            "p99": round(self.percentile(99), 1),
            "errors": self.errors,
            "wrong_replies": self.wrong_replies,
            "bookings": self.bookings,
        }


async def _patient(
    client: httpx.AsyncClient,
    url: str,
    number: int,
    result: LoadResult,
    deadline: float,
    check: bool,
    seed: int,
    script: Dict[str, Any],
) -> None:
    rng = random.Random(seed * 1000 + number)

    async def pause(low: float, high: float) -> None:
        await asyncio.sleep(max(0.0, min(rng.uniform(low, high), deadline - time.monotonic())))

    if result.paused:  # patients arrive spread out rather than all at once
        await pause(0, PAUSE[1])
    n = 0
    while time.monotonic() < deadline:
        sender = f"bench-{seed}-{number}-{n}"
        n += 1
        turns = conversation(rng, script)
        for i, turn in enumerate(turns):
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            try:
                response = await client.post(url, json={"sender": sender, "message": turn.text})
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code >= 400:
                    result.errors += 1
                    break  # this conversation can't go on; start another
                result.latencies.append(elapsed)
                if check and wrong(turn, response.json()):
                    result.wrong_replies += 1
            except (httpx.HTTPError, ValueError):
                result.errors += 1
                break
            result.bookings += turn.reference
            if result.paused and i < len(turns) - 1:
                await pause(*PAUSE)


async def run_load(
    rasa_url: str,
    *,
    target: str,
    patients: int,
    paused: bool,
    seconds: float,
    check: bool = False,
    seed: int = 0,
) -> LoadResult:
    """Run `patients` simulated patients against Rasa's REST channel for `seconds`."""
    script = yaml.safe_load(PATIENTS.read_text(encoding="utf-8"))
    url = f"{rasa_url}/webhooks/rest/webhook"
    result = LoadResult(target, patients, paused, seconds)
    limits = httpx.Limits(max_connections=patients + 5, max_keepalive_connections=patients + 5)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        started = time.monotonic()
        deadline = started + seconds
        tasks = [
            asyncio.create_task(_patient(client, url, i, result, deadline, check, seed, script))
            for i in range(patients)
        ]
        # Messages in flight at the deadline may finish, within one message's timeout.
        done, pending = await asyncio.wait(tasks, timeout=seconds + TIMEOUT + 5)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        # Until the last answer: the messages in flight at the deadline are counted too.
        result.seconds = time.monotonic() - started
    return result


async def say(client: httpx.AsyncClient, rasa_url: str, sender: str, text: str) -> Any:
    response = await client.post(
        f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    )
    response.raise_for_status()
    return response.json()


def warm_up(rasa_url: str, check: bool = False) -> int:
    """One whole conversation, not measured: the first messages load what Rasa loads lazily.

    Returns how many of its replies were not what they must be (0 on our assistant when all is well).
    """

    async def go() -> int:
        script = yaml.safe_load(PATIENTS.read_text(encoding="utf-8"))
        misses = 0
        async with httpx.AsyncClient(timeout=60) as client:
            for turn in conversation(random.Random(-1), script):
                replies = await say(client, rasa_url, "bench-warm-up", turn.text)
                misses += check and wrong(turn, replies)
        return misses

    return asyncio.run(go())
