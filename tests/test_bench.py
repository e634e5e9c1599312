"""`make bench QUICK=1` runs end to end and writes its report with every table and plot.

The figures themselves are measured, never asserted: this only checks that the benchmark works.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from actions.settings import PROJECT

pytestmark = pytest.mark.e2e


def test_the_quick_benchmark_writes_its_report_with_its_tables(tmp_path):
    report = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench", "--quick", "--report", str(report)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,  # under 3 minutes, plus training the floor once on a machine that has never run it
    )
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
