"""Runs the benchmarks and writes docs/benchmarks.md; see scripts/bench/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, TextIO, Tuple

from scripts.bench import accuracy, driver, growth, profile, training
from scripts.bench import scaled as bench_scaled
from scripts.bench.processes import BareRasa, MemorySampler, first_answer, machine, rss_mb
from scripts.bench.report import BARE_NAME, OUR_NAME, Results, render, scaled_table
from scripts.stack import ROOT, Ports, Stack

REPORT = ROOT / "docs" / "benchmarks.md"
# A full run's 1 vs 2 instances table also goes here, between these two lines.
SCALING = ROOT / "docs" / "scaling.md"
SCALING_BEGIN = "<!-- make bench writes the table below: do not edit by hand -->"
SCALING_END = "<!-- end of make bench's table -->"
# A quick run is for everyday comparisons: it must not replace the committed full report.
QUICK_REPORT = ROOT / "build" / "bench" / "quick" / "benchmarks.md"
MODEL = ROOT / "models" / "clinic.tar.gz"
START_TIMEOUT = 240.0


@dataclass(frozen=True)
class Plan:
    """How long and how much: the full run, or the quick one for everyday use (under 3 minutes)."""

    name: str
    phases: Tuple[Tuple[int, bool], ...]  # (patients, paused)
    closed_seconds: float
    paused_seconds: float
    one_line_change: bool
    growth_factors: Tuple[int, ...]
    tracker_senders: Tuple[int, ...]
    tracker_seconds: float
    profile_seconds: float
    floor_starts_early: bool  # start the floor during the accuracy step (its start-up then reads slower)
    # 1 vs 2 scaled instances: (saturation, busy hour) seconds, or None to skip them (quick mode).
    scaled_seconds: Optional[Tuple[float, float]]

    def describe(self) -> Dict[str, str]:
        closed = sorted(p for p, paused in self.phases if not paused)
        paused = sorted(p for p, paused in self.phases if paused)
        found = {
            "closed loop": f"{', '.join(map(str, closed))} patients for {self.closed_seconds:.0f} s each",
            "with pauses": f"{', '.join(map(str, paused))} patients for {self.paused_seconds:.0f} s each",
            "training": "cold and after a one-line change" if self.one_line_change else "cold only",
        }
        if self.scaled_seconds:
            found["scale-out"] = (
                f"make run's stack, 1 and 2 instances: 50 patients, saturation {self.scaled_seconds[0]:.0f} s, "
                f"busy hour {self.scaled_seconds[1]:.0f} s"
            )
        if self.growth_factors:
            found["growth"] = (
                f"{', '.join(f'{f}x' for f in self.growth_factors)} topics; tracker store at "
                f"{', '.join(f'{s:,}' for s in self.tracker_senders)} conversations, {self.tracker_seconds:.0f} s each"
            )
        return found


FULL = Plan(
    "full",
    phases=((1, False), (10, False), (50, False), (1, True), (10, True), (50, True)),
    closed_seconds=20,
    paused_seconds=60,  # long enough for most patients who book first to reach their booking's submit
    one_line_change=True,
    growth_factors=(1, 2, 4),
    tracker_senders=(2_000, 10_000),
    tracker_seconds=15,
    profile_seconds=15,
    floor_starts_early=False,
    scaled_seconds=bench_scaled.SECONDS,
)
QUICK = Plan(
    "quick",
    phases=((1, False), (10, False), (50, False), (50, True)),
    closed_seconds=4,
    paused_seconds=8,
    one_line_change=False,
    growth_factors=(),
    tracker_senders=(),
    tracker_seconds=0,
    profile_seconds=0,
    floor_starts_early=True,
    scaled_seconds=None,  # about 6 minutes: `make bench` or `make bench-scaled`
)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def knowledge(work: Path) -> Tuple[set, List[str]]:
    """The FAQ topic ids (from a fresh knowledge base) and the therapies the clinic offers."""
    from actions.knowledge import knowledge_base
    from actions.settings import PROJECT, Settings
    from clinic.facts import load_clinic

    kb = knowledge_base(Settings(PROJECT / "clinic.yml", PROJECT / "content", work / "knowledge.db"))
    return set(kb.topics), load_clinic(PROJECT / "clinic.yml")["therapies_offered"]


def handoffs(db: Path) -> int:
    """Requests the staff API holds: each whole conversation's booking (and the warm-up's)."""
    import sqlite3

    with sqlite3.connect(db, timeout=30) as con:
        return con.execute("select count(*) from handoffs").fetchone()[0]


def greeted(replies: list) -> bool:
    """Our first real answer: the greeting, which needs Rasa and the action server."""
    return bool(replies) and (replies[0].get("custom") or {}).get("topic") == "greet"


def load(url: str, target: str, patients: int, paused: bool, seconds: float, seed: int) -> driver.LoadResult:
    result = asyncio.run(
        driver.run_load(
            url,
            target=target,
            patients=patients,
            paused=paused,
            seconds=seconds,
            check=target == OUR_NAME,
            seed=seed,
        )
    )
    s = result.summary()
    say(
        f"  {target:15} {patients:>3} patients, {result.mode:13}: {s['messages']:>5} msgs, {s['per_second']:>5} msg/s, "
        f"p50 {s['p50']} ms, p95 {s['p95']} ms, errors {s['errors']}, wrong {s['wrong_replies']}"
    )
    return result


def new_results(plan: Plan, command: str) -> Results:
    """An empty Results for this run; the machine's load average is read now, before anything starts."""
    return Results(
        mode=plan.name,
        command=command,
        date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        machine=machine(),
        plan=plan.describe(),
    )


def lift_rate_limits() -> None:
    # Simulated patients with no pauses type faster than any person: rate limits would be measured.
    os.environ.update(
        CLINIC_CHAT_LIMIT_PER_MINUTE="0",
        CLINIC_CHAT_LIMIT_PER_CLIENT_PER_MINUTE="0",
        CLINIC_HANDOFF_LIMIT_PER_MINUTE="0",
    )


def start_floor(bare: BareRasa, meanwhile: str = "") -> float:
    """Starts the bare `rasa init` assistant; returns when it was started, for its start-up time."""
    say(f"the floor: starting the bare `rasa init` assistant{meanwhile}")
    started = time.monotonic()
    bare.start()
    return started


def measure_accuracy(results: Results, topics: set, offered: List[str]) -> None:
    say("accuracy: our pipeline and the simple peers on the held-out questions")
    results.accuracy = accuracy.compare(MODEL, topics, offered)


def measure_accuracy_and_start_floor(
    plan: Plan, results: Results, bare: BareRasa, topics: set, offered: List[str]
) -> None:
    """Accuracy, and the floor's start-up: quick mode overlaps the two to save time."""
    if plan.floor_starts_early:
        floor_started = start_floor(bare, " (meanwhile: accuracy)")
        measure_accuracy(results, topics, offered)
    else:
        measure_accuracy(results, topics, offered)
        floor_started = start_floor(bare)
    results.floor_started_early = plan.floor_starts_early
    results.startup[BARE_NAME] = first_answer(
        f"{bare.url}/webhooks/rest/webhook", bool, floor_started, START_TIMEOUT
    )
    say(f"  first answer after {results.startup[BARE_NAME]:.1f} s")


def measure_nlu_and_reply_check(results: Results) -> None:
    """In-process timings that say where a round trip goes: our NLU, and Rasa's check of each action reply."""
    texts = [t.text for i in range(5) for t in driver.conversation(random.Random(i))]
    results.nlu_ms = accuracy.nlu_milliseconds(MODEL, texts)
    results.jsonschema_ms = profile.jsonschema_check_ms()


def measure_cost(plan: Plan, results: Results, work: Path, bare: BareRasa) -> None:
    say("cost: training" + (" (cold, then after a one-line change)" if plan.one_line_change else " (cold)"))
    results.training = training.training_costs(work / "train", one_line_change=plan.one_line_change)
    results.widget_kb = training.widget_gzip_kb()
    results.sizes = training.sizes(bare.model)


def start_ours(results: Results, stack: Stack) -> None:
    """Starts Rasa, the action server and the API, timing the first real answer and every part's readiness."""
    say("ours: Rasa, the action server and the API")
    started = time.monotonic()
    stack.start()
    results.startup[OUR_NAME] = first_answer(
        f"{stack.urls['rasa']}/webhooks/rest/webhook", greeted, started, START_TIMEOUT
    )
    stack.wait_until_ready(timeout=START_TIMEOUT)
    results.ready[OUR_NAME] = time.monotonic() - started
    say(
        f"  first answer after {results.startup[OUR_NAME]:.1f} s, every part after {results.ready[OUR_NAME]:.1f} s"
    )


def warm_up(results: Results, bare: BareRasa, stack: Stack) -> Dict[str, int]:
    """A conversation on each, then their idle memory. Returns the processes to sample under load, by name."""
    driver.warm_up(bare.url)
    results.warm_up_misses = driver.warm_up(stack.urls["rasa"], check=True)
    assert bare.process is not None
    pids = {name: p.pid for name, p in stack.processes.items()}
    pids[BARE_NAME] = bare.process.pid
    for name, pid in pids.items():
        results.memory_idle[name] = rss_mb(pid)
    return pids


def measure_load(plan: Plan, results: Results, bare: BareRasa, stack: Stack, pids: Dict[str, int]) -> None:
    """Every phase on both assistants, interleaved so that both see the same noise, with peak memory."""
    say("latency: the same phases on both, the floor's first each time")
    with MemorySampler(pids) as sampler:
        for seed, (patients, paused) in enumerate(plan.phases):
            seconds = plan.paused_seconds if paused else plan.closed_seconds
            for target, url in ((BARE_NAME, bare.url), (OUR_NAME, stack.urls["rasa"])):
                results.loads.append(load(url, target, patients, paused, seconds, seed))
    results.memory_peak = dict(sampler.peak)
    for table in (results.memory_idle, results.memory_peak):
        table["whole stack (ours)"] = sum(table[name] for name in ("rasa", "actions", "api"))


def profile_rasa(plan: Plan, results: Results, stack: Stack, work: Path) -> None:
    if not plan.profile_seconds:
        return
    say("where the time goes: py-spy on our Rasa process, one patient")

    def one_patient() -> int:
        return load(stack.urls["rasa"], OUR_NAME, 1, False, plan.profile_seconds, 99).messages

    results.profile = profile.profile_rasa(
        stack.processes["rasa"].pid, plan.profile_seconds, work, one_patient
    )
    results.profiled = True


def measure_tracker_growth(plan: Plan, results: Results, stack: Stack) -> None:
    """One patient's latency as the tracker store fills: as it is after the load phases, then fuller."""
    if not plan.tracker_senders:
        return
    say("growth: latency as the tracker store fills")
    db = stack.var_dir / "rasa_tracker.db"
    for senders in (0, *plan.tracker_senders):
        counts = growth.fill_tracker(db, senders) if senders else growth.stored_conversations(db)
        say(f"  {counts[0]:,} conversations, {counts[1]:,} events")
        one = load(stack.urls["rasa"], OUR_NAME, 1, False, plan.tracker_seconds, 100 + senders)
        results.tracker.append((*counts, one))


def measure_with_servers(
    plan: Plan, results: Results, work: Path, bare: BareRasa, stack: Stack, topics: set, offered: List[str]
) -> None:
    """Every phase that needs the floor or our stack, in the order they need them."""
    measure_accuracy_and_start_floor(plan, results, bare, topics, offered)
    measure_nlu_and_reply_check(results)
    measure_cost(plan, results, work, bare)
    start_ours(results, stack)
    pids = warm_up(results, bare, stack)
    measure_load(plan, results, bare, stack, pids)
    bare.stop()  # the phases left are on ours alone
    results.handoffs = handoffs(stack.var_dir / "handoffs.db")
    profile_rasa(plan, results, stack, work)
    measure_tracker_growth(plan, results, stack)


def print_server_log(log: TextIO, path: Path) -> None:
    """The servers' last words, for a run that failed: their log goes with the temporary folder."""
    log.flush()
    print(path.read_text()[-6000:], file=sys.stderr)


def measure_topic_growth(plan: Plan, results: Results, topics: set, offered: List[str], work: Path) -> None:
    for factor in plan.growth_factors:
        say(f"growth: {factor}x the topics (train, then score on the held-out questions)")
        results.growth.append(growth.grow(factor, topics, offered, work / f"grown-{factor}x"))


def measure_scale_out(plan: Plan, results: Results) -> None:
    """1 vs 2 instances behind nginx on PostgreSQL and Redis, beside make run's stack, when they are installed."""
    why_not = bench_scaled.missing()
    if plan.scaled_seconds is None:
        results.scaled_skipped = "`make bench QUICK=1` skips it (about 6 minutes more): `make bench` or `make bench-scaled` runs it."
    elif why_not:
        results.scaled_skipped = f"it needs PostgreSQL, Redis and nginx installed. {why_not.rstrip('.')}."
    else:
        say("scale-out: make run's stack, then 1 and 2 instances behind nginx on PostgreSQL and Redis")
        try:
            results.scaled = bench_scaled.compare(plan.scaled_seconds)
        except Exception as error:  # the rest of the report is still worth writing
            results.scaled_skipped = (
                f"the scaled set-up failed ({type(error).__name__}: {error}); its log is above."
            )
            say(f"scale-out: FAILED: {results.scaled_skipped}")
            return
        saturation, busy = plan.scaled_seconds
        results.scaled_plan = (
            f"saturation {saturation:.0f} s in a closed loop, the busy hour {busy:.0f} s with 2-5 s pauses"
        )
        return
    say(f"scale-out: SKIPPED: {results.scaled_skipped}")


def write_scaling_table(results: Results) -> None:
    """The full run's table into docs/scaling.md too, where the sizing advice reads it."""
    text = SCALING.read_text(encoding="utf-8")
    if SCALING_BEGIN not in text or SCALING_END not in text:
        say(f"  {SCALING.relative_to(ROOT)} has no place marked for the table: not changed")
        return
    head, rest = text.split(SCALING_BEGIN, 1)
    _, tail = rest.split(SCALING_END, 1)
    about = results.machine
    table = (
        f"\n**{results.date}**, measured by `make bench` ({results.scaled_plan}; {about['cores']} cores, "
        f"{about['cpu']}; load average at the start of the run {about['load']}):\n\n"
        f"{scaled_table(results.scaled)}\n"
    )
    SCALING.write_text(head + SCALING_BEGIN + table + SCALING_END + tail, encoding="utf-8")
    say(f"  the table also went into {SCALING.relative_to(ROOT)}")


def write_report(results: Results, report: Path) -> None:
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(render(results, report), encoding="utf-8")
    say(f"done in {results.seconds / 60:.1f} minutes: {report}")


def run(plan: Plan, report: Path, command: str) -> Results:
    started = time.monotonic()
    results = new_results(plan, command)
    if not MODEL.exists():
        sys.exit(f"{MODEL} not found: run `make train` first (or use `make bench`, which does).")
    with (
        tempfile.TemporaryDirectory(prefix="clinic-bench-") as tmp,
        (Path(tmp) / "servers.log").open("w") as log,
    ):
        work = Path(tmp)
        topics, offered = knowledge(work)
        bare = BareRasa(log=log)  # the first run on a machine trains the floor here, once
        lift_rate_limits()
        stack = Stack(ports=Ports.free(), var_dir=work / "var", log=log, rasa_interface="127.0.0.1")
        try:
            measure_with_servers(plan, results, work, bare, stack, topics, offered)
        except BaseException:
            print_server_log(log, work / "servers.log")
            raise
        finally:
            bare.stop()
            stack.stop()
        # After the servers have stopped: training, then each scaled set-up, gets the machine to itself.
        measure_topic_growth(plan, results, topics, offered, work)
    measure_scale_out(plan, results)
    results.seconds = time.monotonic() - started
    write_report(results, report)
    if results.scaled and report == REPORT:
        write_scaling_table(results)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="under 3 minutes: shorter, fewer levels, no growth"
    )
    parser.add_argument(
        "--report",
        type=Path,
        help=f"where to write the report, plots beside it (default {REPORT.relative_to(ROOT)}, "
        f"or {QUICK_REPORT.relative_to(ROOT)} with --quick)",
    )
    args = parser.parse_args()
    default = QUICK_REPORT if args.quick else REPORT
    report = (args.report or default).resolve()
    command = "make bench QUICK=1" if args.quick else "make bench"
    if report != default:
        command = f"python -m scripts.bench{' --quick' if args.quick else ''} --report {args.report}"
    run(QUICK if args.quick else FULL, report, command)


if __name__ == "__main__":
    main()
