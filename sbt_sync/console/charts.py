"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN, readable offline.

Each function returns markup-safe SVG with a <title> per bar for the exact number on hover and a text
label, so the chart reads without a mouse too; the whole chart is one image (``role="img"``) whose
``aria-label`` says every number, so a screen reader reads it as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#e07a1f", "#4c9a2a", "#a23b72", "#6c757d")


def _spoken(rows: Sequence[tuple[str, int]]) -> str:
    """The chart's numbers as its accessible name: "label: value; label: value" (not yet escaped)."""
    return "; ".join(f"{label}: {value}" for label, value in rows)


def hbars(
    rows: Sequence[tuple[str, int]], *, width: int = 520, bar: int = 26, label_width: int = 170
) -> Markup:
    """Horizontal bars (a funnel when the rows shrink), one per (label, value)."""
    top = max((v for _, v in rows), default=0) or 1
    height = len(rows) * (bar + 8) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{escape(_spoken(rows))}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 8 + i * (bar + 8)
        w = max(1, round((width - label_width - 60) * value / top))
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.68:.0f}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar}" fill="{PALETTE[i % len(PALETTE)]}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{label_width + w + 6}" y="{y + bar * 0.68:.0f}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)


def vbars(rows: Sequence[tuple[str, int]], *, width: int = 560, height: int = 220) -> Markup:
    """Vertical bars, one per (label, value), labels under the bars."""
    top = max((v for _, v in rows), default=0) or 1
    n = max(len(rows), 1)
    slot = (width - 20) / n
    plot = height - 40
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(_spoken(rows))}">'
    ]
    for i, (label, value) in enumerate(rows):
        h = round(plot * value / top)
        x = 10 + i * slot
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{plot - h + 16}" width="{slot * 0.7:.1f}" '
            f'height="{h}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {value}</title></rect>"
            f'<text x="{x + slot / 2:.1f}" y="{plot - h + 12}" text-anchor="middle">{value}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (escaped above)


LABEL_GAP = 60
"""The least distance between two x labels of :func:`lines` (a YYYY-MM label is about 50 wide)."""


def lines(
    points: Mapping[str, Mapping[str, int]],
    series: Sequence[tuple[str, str]],
    *,
    width: int = 960,
    height: int = 280,
) -> Markup:
    """One polyline per series over the ordered x labels; ``series`` is (key, legend label)."""
    xs = list(points)
    top = max((points[x].get(k, 0) for x in xs for k, _ in series), default=0) or 1
    plot_w, plot_h, left, base = width - 70, height - 60, 40, height - 30
    step = plot_w / max(len(xs) - 1, 1)
    spoken = ". ".join(
        f"{legend}: " + _spoken([(x, points[x].get(key, 0)) for x in xs]) for key, legend in series
    )
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(spoken)}">']
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#999"/>')
    parts.append(f'<text x="4" y="{base - plot_h + 4}">{top}</text><text x="4" y="{base}">0</text>')
    for j, (key, legend) in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        coords = " ".join(
            f"{left + i * step:.1f},{base - plot_h * points[x].get(key, 0) / top:.1f}"
            for i, x in enumerate(xs)
        )
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<rect x="{left + j * 220}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + j * 220 + 16}" y="15">{escape(legend)}</text>'
        )
    if xs:
        # Labels at least LABEL_GAP apart (about eight at most), the last always: a periodic label
        # closer to the last one than that is left out, or the two would print over each other.
        every = max(1, len(xs) // 8, math.ceil(LABEL_GAP / step))
        last = len(xs) - 1
        for i, x in enumerate(xs):
            if i == last or (i % every == 0 and (last - i) * step >= LABEL_GAP):
                parts.append(
                    f'<text x="{left + i * step:.1f}" y="{height - 10}" '
                    f'text-anchor="middle">{escape(x)}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (escaped above)
