"""Reconciliation: source rows to registry identities and golden cases (DESIGN.md, "The golden dataset").

Deciding is pure (``identity``, ``golden``); reading the database is kept apart (``candidates``).
"""
