"""Writes docs/benchmarks.md and its plots from what a run measured. Only renders: measures nothing.

The report's prose is templates/benchmarks.md.j2; this module works out the figures and table rows it shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import jinja2

from scripts.bench.accuracy import OURS, Scores
from scripts.bench.driver import LoadResult
from scripts.bench.growth import Grown
from scripts.bench.profile import Profile
from scripts.bench.training import Training

OUR_NAME = "ours"
BARE_NAME = "bare rasa init"
# Read by path: scripts/ is not an installed package, so there is no package data to declare.
TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "benchmarks.md.j2"


@dataclass
class Results:
    """Everything one run measured, filled in as it goes."""

    mode: str  # "full" or "quick"
    command: str
    date: str
    machine: Dict[str, str]
    plan: Dict[str, str]
    accuracy: List[Scores] = field(default_factory=list)
    nlu_ms: Optional[float] = None  # median in-process NLU parse of the patients' messages
    training: List[Training] = field(default_factory=list)
    sizes: List[Tuple[str, float]] = field(default_factory=list)
    widget_kb: Optional[float] = None
    loads: List[LoadResult] = field(default_factory=list)
    startup: Dict[str, float] = field(default_factory=dict)  # seconds until the first answer
    ready: Dict[str, float] = field(default_factory=dict)  # seconds until every part answers
    memory_idle: Dict[str, float] = field(default_factory=dict)  # MB
    memory_peak: Dict[str, float] = field(default_factory=dict)  # MB, under load
    warm_up_misses: int = 0
    growth: List[Grown] = field(default_factory=list)
    tracker: List[Tuple[int, int, LoadResult]] = field(default_factory=list)  # senders, events, load
    handoffs: Optional[int] = None  # requests the staff API holds after the load phases
    jsonschema_ms: Optional[Tuple[float, float]] = (
        None  # Rasa's reply check per call: as Rasa does it, built once
    )
    profile: Optional[Profile] = None
    profiled: bool = False  # a profile was tried (full mode)
    floor_started_early: bool = False  # the floor started during the accuracy step (quick mode)
    # Scale-out (scripts/bench/scaled.py): make run's stack, 1 and 2 instances, a row each; or why not.
    scaled: List[Dict[str, object]] = field(default_factory=list)
    scaled_skipped: str = ""
    scaled_plan: str = ""
    seconds: float = 0.0


def _ms(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0f}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _find(results: Results, target: str, patients: int, paused: bool) -> Optional[LoadResult]:
    for r in results.loads:
        if (r.target, r.patients, r.paused) == (target, patients, paused):
            return r
    return None


def _peak_throughput(results: Results, target: str) -> Optional[LoadResult]:
    closed = [r for r in results.loads if r.target == target and not r.paused]
    return max(closed, key=lambda r: r.throughput) if closed else None


def _status(met: Optional[bool]) -> str:
    return "not measured" if met is None else ("**met**" if met else "**missed**")


def targets(results: Results) -> List[Tuple[str, str, str]]:
    """(target, what we measured, met or missed) for each target of the issue."""
    rows = []
    ours1, bare1 = _find(results, OUR_NAME, 1, False), _find(results, BARE_NAME, 1, False)
    if ours1 and bare1:
        ratio = ours1.percentile(50) / bare1.percentile(50)
        rows.append(
            (
                "One patient: p50 within 2x of bare Rasa",
                f"{_ms(ours1.percentile(50))} ms vs {_ms(bare1.percentile(50))} ms: {ratio:.2f}x",
                _status(ratio <= 2.0),
            )
        )
        rows.append(
            (
                "One patient: p95 <= 100 ms",
                f"{_ms(ours1.percentile(95))} ms",
                _status(ours1.percentile(95) <= 100),
            )
        )
    busy = _find(results, OUR_NAME, 50, True)
    if busy:
        rows.append(
            (
                "Busy hour (50 patients, 2-5 s pauses): p95 <= 150 ms, zero errors",
                f"p95 {_ms(busy.percentile(95))} ms, {busy.errors} errors, {busy.throughput:.1f} msg/s",
                _status(busy.percentile(95) <= 150 and busy.errors == 0),
            )
        )
    ours_max, bare_max = _peak_throughput(results, OUR_NAME), _peak_throughput(results, BARE_NAME)
    if ours_max and bare_max:
        share = ours_max.throughput / bare_max.throughput
        rows.append(
            (
                "Saturation: throughput >= 50% of bare Rasa's",
                f"{ours_max.throughput:.1f} vs {bare_max.throughput:.1f} msg/s (best closed-loop level each): {_pct(share)}",
                _status(share >= 0.5),
            )
        )
    if results.accuracy:
        ours, peers = results.accuracy[0], results.accuracy[1:]
        columns = [
            ("topic accuracy", lambda s: s.topic_accuracy),
            ("out-of-scope rejection", lambda s: s.oos_rejection),
            ("emergency recall", lambda s: s.emergency_recall),
        ]
        beaten = [all(get(ours) > get(p) for p in peers) for _, get in columns]
        ties = [
            name
            for (name, get), b in zip(columns, beaten, strict=True)
            if not b and all(get(ours) >= get(p) for p in peers)
        ]
        lost = [name for (name, get), b in zip(columns, beaten, strict=True) if not b and name not in ties]
        detail = f"beats both on {sum(beaten)} of 3 columns"
        if ties:
            detail += f"; ties at best on {', '.join(ties)}"
        if lost:
            detail += f"; behind a peer on {', '.join(lost)}"
        rows.append(
            ("Our pipeline beats both simple peers on every accuracy column", detail, _status(all(beaten)))
        )
    ours_parts = [results.memory_peak.get(p) for p in ("rasa", "actions", "api")]
    if all(x is not None for x in ours_parts):
        total = sum(ours_parts)  # type: ignore[arg-type]
        rows.append(
            ("Whole stack <= 1.5 GB resident", f"{total:.0f} MB at peak under load", _status(total <= 1536))
        )
    if OUR_NAME in results.startup:
        first = results.startup[OUR_NAME]
        rows.append(("First answer <= 30 s after start", f"{first:.1f} s", _status(first <= 30)))
    return rows


def _load_rows(loads: List[LoadResult]) -> List[List[str]]:
    return [
        [
            r.target,
            str(r.patients),
            r.mode,
            f"{r.seconds:.0f}",
            str(r.messages),
            f"{r.throughput:.1f}",
            _ms(r.percentile(50)),
            _ms(r.percentile(95)),
            _ms(r.percentile(99)),
            str(r.errors),
            str(r.wrong_replies) if r.target == OUR_NAME else "-",
            str(r.bookings) if r.target == OUR_NAME else "-",
        ]
        for r in loads
    ]


def _ratio_rows(results: Results) -> List[List[str]]:
    rows = []
    for r in results.loads:
        if r.target != OUR_NAME:
            continue
        bare = _find(results, BARE_NAME, r.patients, r.paused)
        if not bare or not bare.latencies or not r.latencies:
            continue
        rows.append(
            [
                str(r.patients),
                r.mode,
                f"{r.percentile(50) / bare.percentile(50):.2f}x",
                f"{r.percentile(95) / bare.percentile(95):.2f}x",
                f"{r.throughput / bare.throughput:.2f}x" if bare.throughput else "n/a",
            ]
        )
    return rows


def _fraction(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"


def _accuracy_rows(scores: List[Scores]) -> List[List[str]]:
    return [
        [
            f"**{s.name}**" if s.name == OURS else s.name,
            _fraction(s.topic_right, s.faq),
            _fraction(s.oos_rejected, s.oos),
            _fraction(s.emergencies_caught, s.emergencies),
            _fraction(s.topic_wrong, s.faq),
            _fraction(s.false_alarms, s.others),
        ]
        for s in scores
    ]


def _training_rows(training: List[Training]) -> List[List[str]]:
    return [[t.what, f"{t.seconds:.1f}", f"{t.cpu_seconds:.1f}", f"{t.model_mb:.1f}"] for t in training]


def _size_rows(sizes: List[Tuple[str, float]]) -> List[List[str]]:
    return [[what, f"{size:.1f}"] for what, size in sizes]


def _memory_rows(results: Results) -> List[List[str]]:
    """Idle and peak MB of each process measured, in a fixed order; a side not measured reads nan."""
    return [
        [
            name,
            f"{results.memory_idle.get(name, float('nan')):.0f}",
            f"{results.memory_peak.get(name, float('nan')):.0f}",
        ]
        for name in ["rasa", "actions", "api", "whole stack (ours)", BARE_NAME]
        if name in results.memory_idle or name in results.memory_peak
    ]


def _startup_rows(results: Results) -> List[List[str]]:
    return [
        [name, f"{first:.1f}", f"{results.ready[name]:.1f}" if name in results.ready else "-"]
        for name, first in results.startup.items()
    ]


def _growth_rows(growth: List[Grown]) -> List[List[str]]:
    return [
        [
            f"{g.factor}x",
            str(g.topics),
            str(g.examples),
            f"{g.train_seconds:.1f}",
            f"{g.train_cpu_seconds:.1f}",
            f"{g.model_mb:.1f}",
            _fraction(g.scores.topic_right, g.scores.faq),
            _fraction(g.scores.oos_rejected, g.scores.oos),
            _fraction(g.scores.emergencies_caught, g.scores.emergencies),
            _fraction(g.scores.topic_wrong, g.scores.faq),
        ]
        for g in growth
    ]


def _tracker_rows(tracker: List[Tuple[int, int, LoadResult]]) -> List[List[str]]:
    return [
        [
            f"{senders:,}",
            f"{events:,}",
            str(r.messages),
            _ms(r.percentile(50)),
            _ms(r.percentile(95)),
            _ms(r.percentile(99)),
            str(r.errors),
        ]
        for senders, events, r in tracker
    ]


def _bookings_sent(results: Results) -> int:
    """Bookings our assistant submitted during the load phases, to set against what the staff API holds."""
    return sum(r.bookings for r in results.loads if r.target == OUR_NAME)


def _round_trip_ms(results: Results) -> Optional[str]:
    """One patient's median round trip on ours, which the NLU's own time is a part of; None if not measured."""
    ours1 = _find(results, OUR_NAME, 1, False)
    return _ms(ours1.percentile(50)) if ours1 and ours1.latencies else None


def _stage_rows(profile: Profile) -> List[List[str]]:
    total = profile.cpu_ms_per_message
    return [[what, f"{ms:.1f}", f"{100 * ms / total:.0f}%" if total else "-"] for what, ms in profile.stages]


class LargestStage(NamedTuple):
    what: str
    ms: float
    percent: float  # of the CPU time per message
    is_jsonschema: bool  # Rasa's reply check, which the report says how to avoid


def _largest_stage(profile: Profile) -> LargestStage:
    """The costliest stage, leaving out the two that contain others (the whole message, running actions)."""
    parts = [
        (what, ms) for what, ms in profile.stages if not what.startswith(("whole message", "running actions"))
    ]
    what, ms = max(parts, key=lambda part: part[1])
    return LargestStage(
        what=what.lstrip(". ").replace("of which ", ""),  # "... of which X" reads as X on its own
        ms=ms,
        percent=100 * ms / profile.cpu_ms_per_message,
        is_jsonschema="jsonschema" in what,
    )


def plot_latency(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    styles = {OUR_NAME: ("tab:blue", "o"), BARE_NAME: ("tab:gray", "s")}
    for ax, paused in zip(axes[:2], (False, True), strict=True):
        for target, (colour, marker) in styles.items():
            runs = sorted(
                (r for r in results.loads if r.target == target and r.paused == paused),
                key=lambda r: r.patients,
            )
            if not runs:
                continue
            xs = [r.patients for r in runs]
            ax.plot(xs, [r.percentile(50) for r in runs], marker=marker, color=colour, label=f"{target} p50")
            ax.plot(
                xs,
                [r.percentile(95) for r in runs],
                marker=marker,
                color=colour,
                linestyle="--",
                label=f"{target} p95",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("concurrent patients")
        ax.set_ylabel("round trip (ms)")
        ax.set_title("closed loop (no pauses)" if not paused else "2-5 s pauses between messages")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    for target, (colour, marker) in styles.items():
        runs = sorted(
            (r for r in results.loads if r.target == target and not r.paused), key=lambda r: r.patients
        )
        if runs:
            ax.plot(
                [r.patients for r in runs],
                [r.throughput for r in runs],
                marker=marker,
                color=colour,
                label=target,
            )
    ax.set_xscale("log")
    ax.set_xlabel("concurrent patients (closed loop)")
    ax.set_ylabel("messages per second")
    ax.set_title("throughput")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.suptitle(f"Latency and throughput over Rasa's REST channel ({results.mode} run, {results.date})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_accuracy(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = [
        ("topic accuracy", lambda s: s.topic_accuracy),
        ("out-of-scope rejection", lambda s: s.oos_rejection),
        ("emergency recall", lambda s: s.emergency_recall),
    ]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / max(1, len(results.accuracy))
    for i, s in enumerate(results.accuracy):
        xs = [j + i * width for j in range(len(columns))]
        bars = ax.bar(xs, [get(s) for _, get in columns], width, label=s.name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([j + width * (len(results.accuracy) - 1) / 2 for j in range(len(columns))])
    ax.set_xticklabels([name for name, _ in columns])
    ax.set_ylim(0, 1.28)  # room for the legend above the bars
    ax.set_ylabel("share of held-out questions")
    ax.set_title("Held-out accuracy: our pipeline vs simple peers (trained on data/nlu)")
    ax.legend(fontsize=8, loc="upper center", ncol=len(results.accuracy))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_growth(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    xs = [g.factor for g in results.growth]
    ax.plot(xs, [g.train_seconds for g in results.growth], marker="o", label="training (s, wall)")
    ax.set_xlabel("knowledge base size (x the real FAQ topics)")
    ax.set_ylabel("seconds")
    ax2 = ax.twinx()
    ax2.plot(
        xs,
        [g.scores.topic_accuracy for g in results.growth],
        marker="s",
        color="tab:green",
        label="topic accuracy",
    )
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("held-out topic accuracy")
    ax.set_title("More topics: training time and accuracy")
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="lower right", fontsize=8)
    ax.grid(True, alpha=0.3)
    ax = axes[1]
    if results.tracker:
        senders = [s for s, _, _ in results.tracker]
        ax.plot(senders, [r.percentile(50) for _, _, r in results.tracker], marker="o", label="p50")
        ax.plot(
            senders,
            [r.percentile(95) for _, _, r in results.tracker],
            marker="o",
            linestyle="--",
            label="p95",
        )
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    ax.set_xlabel("conversations in the tracker store")
    ax.set_ylabel("round trip (ms), one patient, closed loop")
    ax.set_title("A fuller tracker store")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _grown(results: Results) -> bool:
    """Growth was measured (full mode): section 5 has its tables and plot rather than a note."""
    return bool(results.growth or results.tracker)


def _write_plots(results: Results, folder: Path) -> None:
    plot_latency(results, folder / "bench_latency.png")
    plot_accuracy(results, folder / "bench_accuracy.png")
    if _grown(results):
        plot_growth(results, folder / "bench_growth.png")


SCALED_COLUMNS = [
    ("set-up", "set-up"),
    ("saturation msg/s", "saturation msg/s"),
    ("saturation p95 ms", "p95 ms"),
    ("CPU ms/msg", "CPU ms/msg"),
    ("of which rasa", "of which Rasa"),
    ("actions", "action servers"),
    ("postgres+redis+nginx", "PostgreSQL + Redis + nginx"),
    ("cores per instance", "cores per instance (Rasa + action server)"),
    ("busy msg/s", "busy hour msg/s"),
    ("busy p95 ms", "busy p95 ms"),
    ("errors", "errors"),
]


def scaled_table(rows: List[Dict[str, object]]) -> str:
    """The 1 vs 2 instances table (docs/benchmarks.md, and docs/scaling.md on a full run)."""
    lines = [
        "| " + " | ".join(title for _, title in SCALED_COLUMNS) + " |",
        "|" + "---|" * len(SCALED_COLUMNS),
    ]
    for row in rows:
        row = {**row, "errors": int(row.get("saturation errors", 0)) + int(row.get("busy errors", 0))}  # type: ignore[call-overload]
        lines.append("| " + " | ".join(str(row.get(key, "")) for key, _ in SCALED_COLUMNS) + " |")
    return "\n".join(lines)


def scaled_figures(rows: List[Dict[str, object]]) -> Dict[str, Any]:
    """What the rows say in a sentence: 2 instances against 1, and the CPU a message costs."""
    if len(rows) < 3:
        return {}
    one, two = rows[1], rows[2]
    gain = float(two["saturation msg/s"]) / max(0.1, float(one["saturation msg/s"])) - 1  # type: ignore[arg-type]
    cpu_ms = sum(float(row["CPU ms/msg"]) for row in rows[1:]) / 2  # type: ignore[arg-type]
    # A patient's messages a second in the busy hour (50 patients pausing 2-5 s between messages).
    per_patient = float(two["busy msg/s"]) / float(two["patients"])  # type: ignore[arg-type]
    return {
        "one": one,
        "two": two,
        "gain_pct": round(100 * gain),
        "cpu_ms": round(cpu_ms, 1),
        "per_patient": round(per_patient, 2),
        "patients_per_core": round(1000 / cpu_ms / per_patient) if per_patient else 0,
    }


def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # Markdown, not HTML: escaping would show as &amp; and the like
        trim_blocks=True,  # a line holding only a {% tag %} leaves no blank line behind
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the run instead of leaving a hole
    )
    return environment.get_template(TEMPLATE)


def _values(results: Results) -> Dict[str, Any]:
    """What the template shows beyond the Results themselves: each table's rows and the derived figures."""
    profile = results.profile
    return {
        "results": results,
        "machine": results.machine,
        "targets": targets(results),
        "load_rows": _load_rows(results.loads),
        "ratio_rows": _ratio_rows(results),
        "bookings_sent": _bookings_sent(results),
        "round_trip_ms": _round_trip_ms(results),
        "stage_rows": _stage_rows(profile) if profile is not None else [],
        "largest": _largest_stage(profile) if profile is not None else None,
        "accuracy_rows": _accuracy_rows(results.accuracy),
        "training_rows": _training_rows(results.training),
        "size_rows": _size_rows(results.sizes),
        "memory_rows": _memory_rows(results),
        "startup_rows": _startup_rows(results),
        "grown": _grown(results),
        "growth_rows": _growth_rows(results.growth),
        "tracker_rows": _tracker_rows(results.tracker),
        "scaled_table": scaled_table(results.scaled) if results.scaled else "",
        "scaled": scaled_figures(results.scaled),
    }


def render(results: Results, report: Path) -> str:
    """Writes the plots beside `report` and returns the Markdown."""
    _write_plots(results, report.parent)
    return _template().render(_values(results))
