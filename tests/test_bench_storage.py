"""`python -m bench --profile storage-tiny`: the storage benchmark's whole path, small."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .databases import run_database

ROOT = Path(__file__).resolve().parent.parent


def test_the_storage_benchmark_measures_both_databases(tmp_path: Path) -> None:
    run_database()  # skips (or fails under CI) without a PostgreSQL server
    out = tmp_path / "storage.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--profile", "storage-tiny", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    for backend in ("sqlite", "postgresql"):
        figures = result[backend]
        assert figures["baseline_schema"] == 7  # the baseline runs on the schema it had
        assert figures["budgets"]["with_ms"] > 0 and figures["budgets"]["without_ms"] > 0
        assert set(figures["now"]) == {
            "admission",
            "admission_write",
            "usage_30",
            "usage_366",
            "startup",
        }
        assert set(figures["baseline"]) == {"admission", "usage_30", "usage_366", "startup"}
        assert figures["now"]["usage_366"]["runs"] == 3
        assert figures["now"]["admission"]["loop_block_ms"] >= 0
    assert "/usage days:366, big server" in done.stdout
    assert "PostgreSQL baseline" in done.stdout
    assert "the rules' queries with money budgets" in done.stdout
