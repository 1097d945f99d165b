"""Benchmarks of sbt-sync's hot paths, run on demand (``python -m benchmarks.<name>``), never in tests.

Each suite measures the project against a named baseline on identical inputs and writes its results
to ``benchmarks/results/``; see ``benchmarks/README.md``.
"""
