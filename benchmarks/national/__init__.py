"""National-scale benchmark: the registry refresh, the first full cycle, an unchanged cycle and a cycle
after one change, as the production job runs them on PostgreSQL (``python -m benchmarks.national``)."""
