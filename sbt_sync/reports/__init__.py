"""Reports: the national recap and its renderings."""
