"""1 vs 2 Rasa instances (behind nginx, on PostgreSQL and Redis), and `make run`'s SQLite stack beside them.

    python -m scripts.bench.scaled            # `make bench-scaled`: about 6 minutes; prints a Markdown table
    python -m scripts.bench.scaled --quick    # 10 s phases, for a look
    compare((30.0, 60.0))                     # what `make bench` does (its report's "Scale-out" section)

For each set-up, with the same driver and conversations as `make bench` (scripts/bench/driver.py):
saturation (50 patients, closed loop: the next message as soon as the reply arrives) and the busy hour
(50 patients pausing 2-5 s between messages), and the CPU seconds every process of the set-up used per
message answered (/proc: user + system time of each process and its children, before and after), so
that cores per message rate can be read off. The driver runs on the same machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from scripts.bench import driver
from scripts.bench.processes import _children, machine
from scripts.scaled import Scaled, ScaledError, ScaledPorts, postgres_bin, program
from scripts.stack import Ports, Stack

NO_LIMITS = {"CLINIC_CHAT_LIMIT_PER_MINUTE": "0", "CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE": "0"}
PATIENTS = 50
TICKS = os.sysconf("SC_CLK_TCK")
# The full run's phases (seconds): saturation, then the busy hour.
SECONDS = (30.0, 60.0)


def missing() -> Optional[str]:
    """Why the scaled set-up cannot run on this machine (what to install), or None when it can."""
    try:
        postgres_bin()
        program("redis-server", "redis-server")
        program("nginx", "nginx")
    except ScaledError as error:
        return str(error)
    return None


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time of these processes and all their descendants (live ones, and the children
    they have reaped: a PostgreSQL backend that ended is counted in its postmaster's)."""
    tree = _children()
    total, todo = 0, list(pids)
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / TICKS


def groups(runners: Iterable[Stack]) -> Dict[str, List[int]]:
    """The set-up's processes by kind: rasa, actions, api, postgres, redis, nginx."""
    found: Dict[str, List[int]] = {}
    for runner in runners:
        for name, process in runner.processes.items():
            found.setdefault(name, []).append(process.pid)
    return found


def pids_of(runner: Stack) -> List[int]:
    """A Rasa and its action server (make run's API, one more process, apart)."""
    return [process.pid for name, process in runner.processes.items() if name != "api"]


def measure(
    label: str, url: str, runners: List[Stack], seconds: Tuple[float, float], instances: List[Stack]
) -> Dict[str, object]:
    """One set-up's two phases; `instances` are its Rasa + action-server pairs (their cores are shown)."""
    driver.warm_up(url)
    row: Dict[str, object] = {"set-up": label, "patients": PATIENTS}
    # make bench's seeds for its 50-patient phases: the same conversations as its report's rows.
    for paused, span, seed in ((False, seconds[0], 2), (True, seconds[1], 5)):
        kinds = groups(runners)
        before = {kind: cpu_seconds(pids) for kind, pids in kinds.items()}
        instance_before = [cpu_seconds(pids_of(member)) for member in instances]
        result = asyncio.run(
            driver.run_load(
                url, target=label, patients=PATIENTS, paused=paused, seconds=span, check=True, seed=seed
            )
        )
        used = {kind: cpu_seconds(pids) - before[kind] for kind, pids in kinds.items()}
        s = result.summary()
        phase = "busy" if paused else "saturation"
        row[f"{phase} msg/s"] = s["per_second"]
        row[f"{phase} p50 ms"] = s["p50"]
        row[f"{phase} p95 ms"] = s["p95"]
        row[f"{phase} errors"] = s["errors"]
        row[f"{phase} wrong replies"] = s["wrong_replies"]
        if not paused:  # CPU per message at saturation, by kind of process
            messages = max(1, result.messages)
            # Cores each instance (its Rasa and action server) kept busy: one Rasa uses one at most.
            row["cores per instance"] = " + ".join(
                f"{(cpu_seconds(pids_of(member)) - instance_before[n]) / float(s['seconds']):.2f}"
                for n, member in enumerate(instances)
            )
            row["CPU ms/msg"] = round(1000 * sum(used.values()) / messages, 1)
            row["of which rasa"] = round(1000 * used.get("rasa", 0) / messages, 1)
            row["actions"] = round(1000 * used.get("actions", 0) / messages, 1)
            row["postgres+redis+nginx"] = round(
                1000 * sum(used.get(k, 0) for k in ("postgres", "redis", "nginx")) / messages, 1
            )
        print(f"  {label}: {phase}: {s}", flush=True)
    return row


def sqlite_stack(work: Path, seconds: Tuple[float, float]) -> Dict[str, object]:
    folder = work / "sqlite"
    log = (work / "sqlite.log").open("w")
    stack = Stack(ports=Ports.free(), var_dir=folder, log=log, rasa_interface="127.0.0.1", settings=NO_LIMITS)
    try:
        stack.start()
        stack.wait_until_ready(240)
        return measure("make run (SQLite, 1 Rasa)", stack.urls["rasa"], [stack], seconds, [stack])
    finally:
        stack.stop()
        log.close()


def scaled(work: Path, instances: int, seconds: Tuple[float, float]) -> Dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix=f"clinic-bench-{instances}-", dir=work))
    log = (work / f"scaled-{instances}.log").open("w")
    setup = Scaled(
        instances=instances, ports=ScaledPorts.free(instances), var_dir=folder, log=log, settings=NO_LIMITS
    )
    try:
        setup.start()
        setup.wait_until_ready(300)
        for member in setup.members:  # each instance loads what it loads lazily before measuring
            driver.warm_up(member.urls["rasa"])
        runners: List[Stack] = [r for r in (setup.servers, setup.api, *setup.members) if r is not None]
        label = f"{instances} instance{'s' if instances > 1 else ''} (nginx, PostgreSQL, Redis)"
        return measure(label, setup.urls["rasa"], runners, seconds, list(setup.members))
    finally:
        setup.stop()
        log.close()


def table(rows: List[Dict[str, object]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def compare(seconds: Tuple[float, float] = SECONDS) -> List[Dict[str, object]]:
    """`make run`'s stack, then 1 and 2 scaled instances, each fresh and measured alone: a row each."""
    # Under TMPDIR (default /tmp): as root, PostgreSQL's account must pass through the folders above.
    work = Path(tempfile.mkdtemp(prefix="clinic-bench-scaled-"))
    work.chmod(0o711)
    try:
        return [sqlite_stack(work, seconds), scaled(work, 1, seconds), scaled(work, 2, seconds)]
    except Exception:
        for log in sorted(work.glob("*.log")):  # the servers' last words: their folder goes below
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s phases")
    args = parser.parse_args()
    seconds = (10.0, 10.0) if args.quick else SECONDS
    if missing():
        raise SystemExit(f"Cannot run the scaled set-up here: {missing()}")
    started = time.strftime("%Y-%m-%d %H:%M")
    rows = compare(seconds)
    about = machine()
    print(
        f"\nMeasured {started} by `python -m scripts.bench.scaled{' --quick' if args.quick else ''}` on "
        f"{about['cores']} cores ({about['cpu']}), load at the end {about['load']}; {PATIENTS} patients, "
        f"saturation {seconds[0]:.0f} s, busy hour {seconds[1]:.0f} s.\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
