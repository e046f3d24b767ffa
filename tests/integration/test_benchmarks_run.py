"""The benchmark scripts run: each with a handful of rows, so that a schema or API change that
breaks one fails here and not months later when somebody measures (bench_tag's raw baseline
once inserted a customer row by position and broke on a new column)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("bench_register.py", ["--n", "5", "--rounds", "1"]),
        ("bench_tag.py", ["--n", "5", "--rounds", "1"]),
        ("bench_scaling.py", ["--sizes", "3,5", "--reps", "2"]),
        ("bench_statement.py", ["--sizes", "10,20", "--payments", "3,5", "--reps", "2"]),
        ("bench_reseller_list.py", ["--sizes", "3,5", "--backend", "both"]),
        # Not on the suite's PostgreSQL database, which the benchmark would wipe.
        ("bench_renewals.py", ["--n", "5", "--rounds", "1", "--postgres", ""]),
    ],
)
def test_the_benchmark_runs(script: str, args: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args, "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "x" in done.stdout  # a ratio or a growth factor was printed
