"""axe-core, the accessibility engine, run on a console page in the browser tests.

The engine is the ``axe.min.js`` that the ``axe-playwright-python`` package ships (pinned in
constraints.txt, so ``make venv`` installs it on a fresh machine without Node.js). It is evaluated in
the page through the DevTools protocol, which the console's Content-Security-Policy (scripts from
'self' only) does not govern, and runs every rule it has: WCAG 2.0/2.1/2.2 A and AA and the best
practices. A page fails on a ``serious`` or ``critical`` finding; the lesser ones are reported only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

BLOCKING = frozenset({"serious", "critical"})
RUN = "(options) => axe.run(document, options)"
OPTIONS = {"resultTypes": ["violations"]}


@cache
def axe_script() -> str:
    """The engine's source (read once)."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_version() -> str:
    """The engine's version, from its licence banner (``/*! axe v4.12.1``)."""
    return axe_script().split("\n", 1)[0].removeprefix("/*! axe v").strip()


@dataclass(frozen=True)
class Finding:
    """One rule that failed on one page, with the elements it failed on (CSS selectors)."""

    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]
    why: str = ""

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5]) + (
            f" (+{len(self.targets) - 5})" if len(self.targets) > 5 else ""
        )
        return f"{self.page}: {self.rule} [{self.impact}] {self.help} -> {shown}" + (
            f" ({self.why})" if self.why else ""
        )


def audit(page: Any, label: str) -> list[Finding]:
    """Every axe violation on the page as it is now, whatever its impact; ``label`` names the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script())
    result = page.evaluate(RUN, OPTIONS)
    return [
        Finding(
            page=label,
            rule=v["id"],
            impact=v.get("impact") or "unknown",
            help=v["help"],
            targets=tuple(" ".join(map(str, node["target"])) for node in v["nodes"]),
            why=" ".join((v["nodes"][0].get("failureSummary") or "").split())[:240] if v["nodes"] else "",
        )
        for v in result["violations"]
    ]


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that fail a page: serious or critical."""
    return [f for f in findings if f.impact in BLOCKING]
