"""`make bench QUICK=1` runs end to end and writes its report with every table and plot.

The figures themselves are measured, never asserted: this only checks that the benchmark works.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from actions.settings import PROJECT

pytestmark = pytest.mark.e2e


def run_quick_benchmark(report, timeout: float) -> subprocess.CompletedProcess:
    """`python -m scripts.bench --quick`; past `timeout` it is interrupted first, so its own clean-up stops
    the servers it started (killed outright, they would be left running), then killed if it hangs."""
    command = [sys.executable, "-m", "scripts.bench", "--quick", "--report", str(report)]
    bench = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = bench.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        bench.send_signal(signal.SIGINT)
        try:
            out, err = bench.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            bench.kill()
            out, err = bench.communicate()
        pytest.fail(f"the quick benchmark ran past {timeout:.0f} s:\n{out[-2000:]}{err[-2000:]}")
    return subprocess.CompletedProcess(command, bench.returncode, out, err)


def test_the_quick_benchmark_writes_its_report_with_its_tables(tmp_path):
    report = tmp_path / "benchmarks.md"
    # under 3 minutes, plus training the floor once on a machine that has never run it
    done = run_quick_benchmark(report, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    text = report.read_text(encoding="utf-8")
    for heading in [
        "## Targets (issue #6) and where we stand",
        "## 1. Latency and throughput",
        "## 2. The floor",
        "## 3. Accuracy against simple peers",
        "## 4. Cost",
        "## Scale-out: 1 vs 2 instances",
        "## 5. Growth",
    ]:
        assert heading in text
    # The quick run never starts the scaled set-up, and says so.
    assert "**Not measured in this run:** `make bench QUICK=1` skips it" in text
    for row in [
        "| ours | 1 | closed loop |",
        "| bare rasa init | 1 | closed loop |",
        "| ours | 50 | 2-5 s pauses |",
        "| **our pipeline** |",
        "| TF-IDF + logistic regression |",
        "| nearest neighbour (TF-IDF, cosine) |",
        "| cold (`rasa train --force`, empty cache) |",
        "| whole stack (ours) |",
        "| One patient: p50 within 2x of bare Rasa |",
    ]:
        assert row in text, row
    assert text.count("|---|") >= 8  # a table per measurement
    for plot in ["bench_latency.png", "bench_accuracy.png"]:
        assert (tmp_path / plot).stat().st_size > 10_000
