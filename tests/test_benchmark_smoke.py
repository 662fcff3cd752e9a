"""A tiny run of benchmarks/bench_step.py: the script works and its three implementations agree.

Speed itself is never asserted here (timed unit tests are flaky); benchmarks/README.md has the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_step.py"


def test_benchmark_smoke_run(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--threads", "1", "--json", str(out_json)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out_json.read_text())
    assert [r["shape"] for r in report["results"]] == ["small", "deep", "wide"]
    for r in report["results"]:
        # the script itself refuses to time implementations whose losses disagree
        assert r["first-loss max rel. difference"] < 1e-3
        assert r["median_step_ms"]["coursenn"] > 0 and r["coursenn/hand-numpy"] > 0
        assert r["median_step_ms"]["two-phase"] > 0 and r["coursenn/two-phase"] > 0
    assert report["sgemm_gflops"] > 0
    assert "wide coursenn fraction of sgemm" in report["results"][-1]
    assert "cnn/numpy" in proc.stdout


def test_benchmark_rejects_unknown_shape(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--smoke", "--shapes", "huge", "--json", str(tmp_path / "x.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "unknown shape 'huge'" in proc.stderr
