"""Parsing and checking fault-switch values, shared by ``up --fault``, the control endpoint and the CLI.

An assignment reads ``endpoint.switch=value``, e.g. ``siasn.error_5xx_rate=0.2``; ``*.latency_ms=50``
sets every endpoint; ``token_ttl_seconds=none`` restores normal token lifetimes.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sbt_sync.sandbox.faults import ENDPOINTS, Faults

_KINDS: dict[str, str] = {
    f.name: ("rate" if f.name.endswith("_rate") else "optional_int" if "None" in str(f.type) else "int")
    for f in fields(Faults)
}


def coerce_fault_value(name: str, value: Any) -> float | int | None:
    """``value`` (a JSON value or a command-line string) as switch ``name`` needs it.

    Raises ``ValueError`` naming the switch for an unknown switch or a value out of range.
    """
    kind = _KINDS.get(name)
    if kind is None:
        raise ValueError(f"unknown fault switch {name!r}; expected one of {', '.join(sorted(_KINDS))}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", "null", "") and kind == "optional_int":
            return None
        try:
            value = float(text) if kind == "rate" else int(text)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a number") from None
    if value is None and kind == "optional_int":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if kind == "rate":
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name}: a rate is between 0 and 1, got {value}")
        return float(value)
    if value != int(value) or value < 0:
        raise ValueError(f"{name}: expected a whole number >= 0, got {value}")
    return int(value)


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it names a fault endpoint (or ``*``); raises ``ValueError`` otherwise."""
    if endpoint != "*" and endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)} or *")
    return endpoint


def parse_assignment(text: str) -> tuple[str, str, float | int | None]:
    """``(endpoint, switch, value)`` from ``endpoint.switch=value``; raises ``ValueError``."""
    target, sep, raw = text.partition("=")
    endpoint, dot, name = target.strip().partition(".")
    if not sep or not dot:
        raise ValueError(f"{text!r}: expected endpoint.switch=value, e.g. siasn.error_5xx_rate=0.2")
    return check_endpoint(endpoint), name, coerce_fault_value(name, raw)


def group_assignments(texts: list[str]) -> dict[str, dict[str, float | int | None]]:
    """Assignments grouped per endpoint, in order (a later one wins); raises ``ValueError``."""
    grouped: dict[str, dict[str, float | int | None]] = {}
    for text in texts:
        endpoint, name, value = parse_assignment(text)
        grouped.setdefault(endpoint, {})[name] = value
    return grouped


def active_faults(snapshot: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per endpoint, only the switches that differ from :class:`Faults`' defaults."""
    defaults = Faults().to_dict()
    return {
        endpoint: {name: value for name, value in switches.items() if defaults.get(name) != value}
        for endpoint, switches in snapshot.items()
    }
