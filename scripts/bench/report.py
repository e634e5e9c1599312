"""Writes docs/benchmarks.md and its plots from what a run measured. Only renders: measures nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from scripts.bench.accuracy import OURS, Scores
from scripts.bench.driver import LoadResult
from scripts.bench.growth import Grown
from scripts.bench.profile import Profile
from scripts.bench.training import Training

OUR_NAME = "ours"
BARE_NAME = "bare rasa init"


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


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *["| " + " | ".join(str(c) for c in row) + " |" for row in rows],
        "",
    ]


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


def _where_the_time_goes(results: Results) -> List[str]:
    lines = []
    if results.handoffs is not None:
        sent = sum(r.bookings for r in results.loads if r.target == OUR_NAME)
        lines += [
            "*bookings sent*: conversations that got as far as confirming their booking request, which sends it to",
            f"the staff API. After the load phases the API held **{results.handoffs}** requests: {sent} from the",
            "phases above and 1 from the warm-up conversation.",
            "",
        ]
    lines += ["### Where one message's time goes (ours)", ""]
    ours1 = _find(results, OUR_NAME, 1, False)
    if results.nlu_ms is not None:
        lines.append(
            f"- Our NLU alone (spaCy pipeline, our classifier, the red-flag guard; in-process, no HTTP): median "
            f"**{results.nlu_ms:.1f} ms** on the patients' messages"
            + (
                f", of a one-patient round trip of {_ms(ours1.percentile(50))} ms."
                if ours1 and ours1.latencies
                else "."
            )
        )
    if results.jsonschema_ms is not None:
        as_rasa, once = results.jsonschema_ms
        lines.append(
            f"- Rasa checks every reply of the action server with `jsonschema.validate`, which checks the schema"
            f" itself again each time: **{as_rasa:.1f} ms** per call here, against {once:.2f} ms with a validator"
            " built once. An FAQ answer makes one call to the action server, a booking step two (the form's"
            " validation, then the next question)."
        )
    if results.profile is not None:
        p = results.profile
        lines += [
            f"- A py-spy profile of our Rasa process ({p.messages} messages, one patient, closed loop; CPU only,"
            f" so waiting on the action server is not in it; the profiler slows the process) puts"
            f" **{p.cpu_ms_per_message:.0f} ms of CPU** per message in Rasa:",
            "",
            *_table(
                ["stage (callees included)", "CPU ms per message", "share"],
                [
                    [
                        what,
                        f"{ms:.1f}",
                        f"{100 * ms / p.cpu_ms_per_message:.0f}%" if p.cpu_ms_per_message else "-",
                    ]
                    for what, ms in p.stages
                ],
            ),
        ]
        parts = [
            (what, ms) for what, ms in p.stages if not what.startswith(("whole message", "running actions"))
        ]
        what, ms = max(parts, key=lambda part: part[1])
        lines += [
            f"The largest part is {what.lstrip('. ').replace('of which ', '')}: {ms:.0f} of the {p.cpu_ms_per_message:.0f} ms"
            f" ({100 * ms / p.cpu_ms_per_message:.0f}%).",
        ]
        if results.jsonschema_ms is not None and "jsonschema" in what:
            as_rasa, once = results.jsonschema_ms
            lines += [
                "That is Rasa's code, not ours, and outside what this benchmark changes: building the validator once",
                "(a small override of `RemoteAction._validate_action_result`, loaded with our components) would take",
                f"about {as_rasa - once:.0f} ms off every call to the action server on this machine, as measured above.",
            ]
        lines.append("")
    elif results.profiled:
        lines += [
            "- No py-spy profile: py-spy was not found (`pip install py-spy`, or set BENCH_PY_SPY), or could not"
            " attach to the process.",
        ]
    lines.append("")
    return lines


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


def render(results: Results, report: Path) -> str:
    """Writes the plots beside `report` and returns the Markdown."""
    folder = report.parent
    plot_latency(results, folder / "bench_latency.png")
    plot_accuracy(results, folder / "bench_accuracy.png")
    m = results.machine
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `{results.command}` ({results.mode} mode) on {results.date}, in {results.seconds / 60:.1f} minutes.",
        "Every figure below comes from that run; nothing is typed in by hand. Rerun it after a change and compare.",
        "",
        "| machine | |",
        "|---|---|",
        f"| cores | {m['cores']} ({m['cpu']}) |",
        f"| memory | {m['memory']} |",
        f"| system | {m['os']}, Python {m['python']}, Rasa {m['rasa']} |",
        f"| load average at the start (1 / 5 / 15 min) | {m['load']} |",
        "",
        "**A noisy machine.** These 2 cores are shared with other engineers' builds and tests while this runs, so",
        "absolute figures move from run to run. That is why the bare `rasa init` assistant (the floor) is measured",
        "in the same run with the same driver, its load phases interleaved with ours, and why our latency is",
        "given as a ratio to it: the ratio holds better than the milliseconds. The load driver runs on the",
        "same 2 cores too.",
        "",
        "How this run measured: " + "; ".join(f"{k}: {v}" for k, v in results.plan.items()) + ".",
        "",
        "## Targets (issue #6) and where we stand",
        "",
        *_table(["target", "measured", "status"], [list(row) for row in targets(results)]),
        "",
        "## 1. Latency and throughput over Rasa's REST channel",
        "",
        "Simulated patients (`scripts/bench/driver.py`, asyncio + httpx, localhost only) each run whole",
        "conversations from `scripts/bench/patients.yml` one after another: a greeting; two FAQ questions, a",
        'vague question that gets "Did you mean ...?" and the button the patient taps, and a booking request',
        "(treatment, name, contact, time, new or returning, reason, consent, confirm) that ends in a real",
        "submit to the staff API, in an order drawn per conversation; thanks: 15 messages, each patient's",
        "own questions and details (seeded). Closed loop sends the next message as soon as the",
        "reply arrives; the other mode pauses 2-5 s like a person. Round trip = POST to",
        "`/webhooks/rest/webhook` until the whole reply is read. *errors*: no answer (refused, timeout of 30 s,",
        "HTTP status >= 400). *wrong replies*: answered, but not with the topic or booking step the turn",
        "must get, or the booking's last reply without its reference (checked on ours only: the bare",
        "assistant knows none of these questions and is sent the same messages).",
        "",
        *_table(
            [
                "assistant",
                "patients",
                "mode",
                "s",
                "messages",
                "msg/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "errors",
                "wrong replies",
                "bookings sent",
            ],
            _load_rows(results.loads),
        ),
        "Ours as a ratio to the bare assistant under the same load (below 1 means ours is faster):",
        "",
        *_table(["patients", "mode", "p50 ratio", "p95 ratio", "throughput ratio"], _ratio_rows(results)),
        "![latency against concurrency](bench_latency.png)",
        "",
    ]
    lines += _where_the_time_goes(results)
    lines += [
        "## 2. The floor: a bare `rasa init` assistant",
        "",
        "`rasa init --no-prompt` from the same Rasa install, in a temporary folder, trained once and cached in",
        f"`build/bench/rasa-init-{m['rasa']}/` (the cache is per Rasa version; delete it to retrain), served with",
        "`rasa run` on a free port with its own defaults: DIET + TED, in-memory tracker store, no action server.",
        "Ours runs RulePolicy, our classifier, an action server for every answer and Rasa's SQLite tracker",
        "store, so the two do different work per message; the floor says what Rasa itself costs on this",
        "machine right now. Its rows are in the tables above.",
        "",
        "## 3. Accuracy against simple peers",
        "",
        "On `tests/data/nlu_holdout.yml` (never used for training), every classifier trained on `data/nlu` only.",
        "Ours goes the way `make eval` goes: the trained model (`models/clinic.tar.gz`), then",
        '`actions.understanding.decide`, which may ask "Did you mean ...?" instead of answering (that counts as',
        "not right for topic accuracy). The peers are scikit-learn pipelines on the raw, lower-cased text:",
        "TF-IDF of words and word pairs (sublinear tf) with logistic regression (default C=1), and the same",
        "TF-IDF with the single nearest training example by cosine. A peer's top intent is routed the way our",
        "dialogue routes it (a form's intent becomes its topic, small talk its reply's topic) and always",
        "answers: out-of-scope rejection = it predicted `out_of_scope`, emergency recall = it predicted",
        "`emergency`. The last two columns are what the first three trade against.",
        "",
        *_table(
            [
                "classifier",
                "topic accuracy",
                "out-of-scope rejection",
                "emergency recall",
                "answered with a wrong topic",
                "false emergency alarms",
            ],
            _accuracy_rows(results.accuracy),
        ),
        "![accuracy of the three classifiers](bench_accuracy.png)",
        "",
        "## 4. Cost",
        "",
        "**Training** (`rasa train` from the project with our config and components, into a temporary folder",
        "with its own training cache; `models/` and `.rasa/` are not touched). Wall clock, and CPU time (user +",
        "system), which other work on the machine disturbs less:",
        "",
        *_table(
            ["training", "wall s", "CPU s", "model MB"],
            [
                [t.what, f"{t.seconds:.1f}", f"{t.cpu_seconds:.1f}", f"{t.model_mb:.1f}"]
                for t in results.training
            ],
        ),
        "**Size on disk:**",
        "",
        *_table(["what", "MB"], [[what, f"{size:.1f}"] for what, size in results.sizes]),
        "**Resident memory** (VmRSS of the process and its children, from /proc), at idle after start-up and a",
        "warm-up conversation, and the peak sampled every 0.5 s during the load phases:",
        "",
        *_table(
            ["process", "idle MB", "peak under load MB"],
            [
                [
                    name,
                    f"{results.memory_idle.get(name, float('nan')):.0f}",
                    f"{results.memory_peak.get(name, float('nan')):.0f}",
                ]
                for name in ["rasa", "actions", "api", "whole stack (ours)", BARE_NAME]
                if name in results.memory_idle or name in results.memory_peak
            ],
        ),
        "**Start-up:** seconds from starting the processes until the first patient message gets a real answer",
        "(ours: a greeting answered through the action server; the floor: any reply), and until every part",
        "of ours answers its health check:",
        "",
        *_table(
            ["assistant", "first answer s", "every part ready s"],
            [
                [
                    name,
                    f"{results.startup[name]:.1f}",
                    f"{results.ready[name]:.1f}" if name in results.ready else "-",
                ]
                for name in results.startup
            ],
        ),
        *(
            [
                "(Quick mode starts the floor while the accuracy step runs, to save time, so its start-up reads",
                "slower than it would alone.)",
                "",
            ]
            if results.floor_started_early
            else []
        ),
        "**The chat widget** (`api/static/widget.js`, gzip -9): "
        + (f"{results.widget_kb:.1f} KB." if results.widget_kb is not None else "not built yet."),
        "",
        "## 5. Growth",
        "",
    ]
    if results.growth or results.tracker:
        plot_growth(results, folder / "bench_growth.png")
        lines += [
            "**More topics.** The real FAQ topics, then 2x and 4x with synthetic ones (`scripts/bench/growth.py`):",
            "every extra copy of a topic is about an invented therapy, its examples the real topic's with each",
            "therapy name swapped for the invented one (or the name added), an occasional word dropped and a",
            "typo, so a copy competes with its real topic the way a new therapy's questions would (\"does it",
            'hurt?" now has two answers). `rasa train nlu` with an empty cache for each size; accuracy on the',
            "real held-out questions, a synthetic topic counting as a wrong answer.",
            "",
            *_table(
                [
                    "size",
                    "topics",
                    "training examples",
                    "train wall s",
                    "train CPU s",
                    "model MB",
                    "topic accuracy",
                    "out-of-scope rejection",
                    "emergency recall",
                    "wrong topic",
                ],
                [
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
                    for g in results.growth
                ],
            ),
            "**A fuller tracker store.** After the load phases, the longest stored conversation's events are",
            "copied under new sender ids straight into the running stack's SQLite tracker store, then one",
            "patient talks in a closed loop:",
            "",
            *_table(
                ["stored conversations", "events", "messages", "p50 ms", "p95 ms", "p99 ms", "errors"],
                [
                    [
                        f"{s:,}",
                        f"{e:,}",
                        str(r.messages),
                        _ms(r.percentile(50)),
                        _ms(r.percentile(95)),
                        _ms(r.percentile(99)),
                        str(r.errors),
                    ]
                    for s, e, r in results.tracker
                ],
            ),
            "![growth](bench_growth.png)",
            "",
        ]
    else:
        lines += [
            "Not measured in quick mode: run `make bench` for training time and accuracy with 2x and 4x the topics",
            "and latency with a full tracker store.",
            "",
        ]
    lines += [
        "## Redo it",
        "",
        "```sh",
        "make bench            # full: every load level for longer, growth too (about 15-20 minutes)",
        "make bench QUICK=1    # under 3 minutes: shorter windows, fewer levels, no growth",
        "```",
        "",
        "The full run writes docs/benchmarks.md and its plots; the quick one writes build/bench/quick/benchmarks.md, so it never replaces the committed report (`--report PATH` writes elsewhere).",
        "The first run on a machine also trains the floor assistant once (about 1.5 minutes) into `build/bench/`.",
        "",
    ]
    return "\n".join(lines)
