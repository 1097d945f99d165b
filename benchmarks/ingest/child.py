"""One contender's run in its own process: ``python -m benchmarks.ingest.child < spec.json``.

Only the contender's own module is imported, so its peak memory is its own; the outcome, with the
process's peak resident set added, goes to the spec's result file.
"""

from __future__ import annotations

import cProfile
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from benchmarks.ingest.spec import Outcome, RunSpec, peak_rss_mb

MODULES = {
    "ours": "benchmarks.ingest.ours",
    "dlt": "benchmarks.ingest.dlt_rest",
    "raw": "benchmarks.ingest.raw_copy",
}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    spec = RunSpec.from_json(sys.stdin.read())
    module = importlib.import_module(MODULES[spec.contender])
    run = cast(Callable[[RunSpec], Outcome], module.run)
    if spec.profile_path:
        profiler = cProfile.Profile()
        outcome = profiler.runcall(run, spec)
        profiler.dump_stats(spec.profile_path)
    else:
        outcome = run(spec)
    outcome.peak_rss_mb = peak_rss_mb()
    outcome.write(Path(spec.result_path))


if __name__ == "__main__":
    main()
