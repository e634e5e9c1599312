"""Where Rasa's time goes per message: a py-spy profile of our Rasa process under one patient.

py-spy is not one of our dependencies: `make bench` uses it when it finds it (`pip install py-spy`, or
BENCH_PY_SPY=/path/to/py-spy) and says so in the report when it doesn't. The profile samples only
what is on the CPU, so waiting on the action server's HTTP reply is not in it; the action server's own
work shows in the round trip instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from scripts.stack import BIN

RATE = 100  # samples per second
# (what, function, file it is defined in): time spent inside, callees included
STAGES: List[Tuple[str, str, str]] = [
    ("whole message in Rasa (`MessageProcessor.handle_message`)", "handle_message", "rasa/core/processor.py"),
    (
        "NLU: our spaCy pipeline, classifier, red-flag guard",
        "_parse_message_with_graph",
        "rasa/core/processor.py",
    ),
    ("policies: choosing the next action", "_predict_next_with_tracker", "rasa/core/processor.py"),
    ("running actions, the action server's included", "_run_action", "rasa/core/processor.py"),
    (
        "... of which Rasa's `jsonschema.validate` of each action-server reply",
        "_validate_action_result",
        "rasa/core/actions/action.py",
    ),
    ("tracker store: loading the conversation", "retrieve", "rasa/core/tracker_store.py"),
    ("tracker store: saving the conversation", "save", "rasa/core/tracker_store.py"),
]


def py_spy() -> Optional[str]:
    """The py-spy executable, if there is one."""
    found = os.environ.get("BENCH_PY_SPY") or shutil.which("py-spy")
    if found:
        return found
    local = BIN / "py-spy"
    return str(local) if local.exists() else None


@dataclass
class Profile:
    messages: int
    cpu_ms_per_message: float  # every sample of the process, per message
    stages: List[Tuple[str, float]]  # (what, CPU ms per message)


def stage_times(raw: Path, messages: int) -> Profile:
    """Sums py-spy's raw (collapsed) stacks into CPU milliseconds per message for each stage."""
    totals = [0] * len(STAGES)
    everything = 0
    for line in raw.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = line.rsplit(" ", 1)
        n = int(count)
        everything += n
        frames = stack.split(";")
        for i, (_, function, file) in enumerate(STAGES):
            if any(f.startswith(f"{function} (") and f"{file}:" in f for f in frames):
                totals[i] += n
    per = 1000 / RATE / max(1, messages)
    return Profile(
        messages, everything * per, [(what, t * per) for (what, _, _), t in zip(STAGES, totals, strict=True)]
    )


def profile_rasa(pid: int, seconds: float, work: Path, run_load: Callable[[], int]) -> Optional[Profile]:
    """Records `pid` with py-spy while `run_load()` runs (it returns the messages it sent)."""
    spy = py_spy()
    if spy is None:
        return None
    raw = work / "rasa-profile.txt"
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(int(seconds) + 2), "--rate", str(RATE)]
        + ["--format", "raw", "--output", str(raw)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # py-spy attaches
    messages = run_load()
    try:
        recorder.wait(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        recorder.kill()
        recorder.wait()
    if not raw.exists():
        return None  # not allowed to attach (ptrace), for one
    return stage_times(raw, messages)


def jsonschema_check_ms(calls: int = 30) -> Tuple[float, float]:
    """Milliseconds per call of Rasa's check of an action-server reply: as Rasa does it
    (`jsonschema.validate`, which checks the schema itself again every time), and with a validator
    built once."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    reply = {
        "events": [{"event": "slot", "timestamp": None, "name": "therapy", "value": "ims"}],
        "responses": [
            {"text": "What name should the booking be under?", "buttons": [], "custom": {"asks": "name"}}
        ],
    }
    started = time.perf_counter()
    for _ in range(calls):
        jsonschema.validate(reply, spec)
    as_rasa = (time.perf_counter() - started) * 1000 / calls
    validator = jsonschema.validators.validator_for(spec)(spec)
    started = time.perf_counter()
    for _ in range(calls):
        validator.validate(reply)
    built_once = (time.perf_counter() - started) * 1000 / calls
    return as_rasa, built_once
