"""Identity: who a source row names (rules, candidate search, and their storage)."""
