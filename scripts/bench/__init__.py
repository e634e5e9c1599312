"""Benchmarks of the assistant (issue #6): latency and throughput on the running stack against a bare
`rasa init` floor measured in the same run, accuracy against simple peers, cost, and growth.

    python -m scripts.bench            # `make bench`: the full run (about 15-20 minutes)
    python -m scripts.bench --quick    # `make bench QUICK=1`: under 3 minutes, no growth

Writes docs/benchmarks.md and its PNG plots beside it. Figures are measured here and only written
down; no test asserts them.
"""
