"""One variant in its own process, so its CPU time and peak memory are its own:
``python -m bench.child SPEC.json OUT.json``."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from .baseline import run_baseline
from .common import RunSpec
from .engine_run import run_engine, run_hold

RUNNERS = {
    "engine": run_engine,
    "oracle": run_engine,
    "baseline": run_baseline,
    "hold": run_hold,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m bench.child SPEC.json OUT.json", file=sys.stderr)
        return 2
    spec = RunSpec.from_json(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    result = asyncio.run(RUNNERS[spec.variant](spec))
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
