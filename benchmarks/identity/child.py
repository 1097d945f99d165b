"""One contender's run in its own process: ``python -m benchmarks.identity.child < spec.json``.

Only the contender's own module is imported, so its peak memory is its own; the outcome, with the
process's peak resident set (``VmHWM``) added, goes to the spec's result file.
"""

from __future__ import annotations

import cProfile
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from benchmarks.identity.spec import Outcome, RunSpec
from benchmarks.ingest.spec import peak_rss_mb

ENTRY_POINTS = {
    ("ours", "resolve"): ("benchmarks.identity.ours", "run"),
    ("splink", "resolve"): ("benchmarks.identity.splink_run", "resolve"),
    ("splink", "train"): ("benchmarks.identity.splink_run", "train"),
}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    spec = RunSpec.from_json(sys.stdin.read())
    module_name, function = ENTRY_POINTS[(spec.contender, spec.task)]
    run = cast(Callable[[RunSpec], Outcome], getattr(importlib.import_module(module_name), function))
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
