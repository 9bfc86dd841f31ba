"""Charts of the bulletins drawn on the server as inline SVG (SPEC C17): the PDF renderer fetches
nothing, so a chart is markup in the document. Horizontal bars (达标率 or scores by child
organization) and a line over months or years. Text uses the document's CJK font; every text
is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC, sans-serif"
RED = "#b22222"
GREY = "#e6e6e6"
INK = "#333333"
MUTED = "#888888"
BAR_LIMIT = 40  # bars per chart; a longer ranking shows its first BAR_LIMIT


def _text(x: float, y: float, text: str, *, size: float = 11, anchor: str = "start", fill=INK):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-family="{FONT}">{escape(text)}</text>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(width: int, height: int, parts: list[str], title: str) -> SafeString:
    body = "".join(parts)
    return mark_safe(  # every text above went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str,
    maximum: float = 100.0,
    unit: str = "%",
    width: int = 640,
    reference: float | None = None,
) -> SafeString | None:
    """Horizontal bars, one per (label, value) in the given order; a value of None draws no
    bar and reads "—". `reference` draws a dashed line (the subtree's own figure). None when
    there is nothing to draw."""
    rows = list(rows)[:BAR_LIMIT]
    if not rows:
        return None
    label_w, value_w, bar_h, gap, top = 170, 58, 14, 6, 22
    plot_w = width - label_w - value_w
    height = top + len(rows) * (bar_h + gap) + 16
    parts = [_text(0, 14, title, size=12, fill=INK)]
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(_text(label_w - 6, y + bar_h - 3, _short(label, 14), anchor="end"))
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="{GREY}"/>'
        )
        if value is not None:
            share = max(0.0, min(value / maximum, 1.0)) if maximum else 0.0
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{plot_w * share:.1f}" height="{bar_h}" '
                f'fill="{RED}"/>'
            )
        shown = "—" if value is None else f"{value:.1f}{unit}"
        parts.append(_text(width - value_w + 6, y + bar_h - 3, shown))
    if reference is not None and maximum:
        x = label_w + plot_w * max(0.0, min(reference / maximum, 1.0))
        bottom = top + len(rows) * (bar_h + gap)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{INK}" '
            f'stroke-width="1" stroke-dasharray="3,3"/>'
        )
        parts.append(_text(x, bottom + 12, f"合计 {reference:.1f}{unit}", size=9, anchor="middle"))
    return _svg(width, height, parts, title)


def axis(values: Sequence[float], floor: float | None, ceiling: float | None):
    """(low, high) of a y axis: the values' range widened by half of it (at least 2), rounded
    outwards to multiples of five, and kept within [floor, ceiling] when they are given."""
    least, most = min(values), max(values)
    pad = max((most - least) / 2, 2.0)
    low = math.floor((least - pad) / 5) * 5
    high = math.ceil((most + pad / 2) / 5) * 5
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    if high <= low:
        high = low + 5
    return float(low), float(high)


def _polyline(points: list[str]) -> str:
    """A stretch of the line between two gaps (nothing for a single point)."""
    if len(points) < 2:
        return ""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{RED}" stroke-width="1.5"/>'


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "%",
    width: int = 640,
    height: int = 170,
    floor: float | None = 0.0,
    ceiling: float | None = 100.0,
) -> SafeString | None:
    """A line through the points that have a value (gaps where they have none), each point
    labelled; the y axis spans the values with some room, on multiples of five, up to
    `ceiling` and down to `floor` when given. None without any value."""
    points = list(points)
    values = [v for _label, v in points if v is not None]
    if not values:
        return None
    low, high = axis(values, floor, ceiling)
    left, right, top, bottom = 44, 16, 28, 26
    inset = 10  # the first and last points clear the axis labels
    plot_w, plot_h = width - left - right, height - top - bottom
    step = (plot_w - 2 * inset) / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    parts = [_text(0, 14, title, size=12)]
    for tick in (low, (low + high) / 2, high):
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GREY}" stroke-width="1"/>'
        )
        parts.append(_text(left - 4, y + 3, f"{tick:g}{unit}", size=9, anchor="end", fill=MUTED))
    lines: list[str] = []
    dots: list[str] = []
    segment: list[str] = []
    for i, (label, value) in enumerate(points):
        x = left + inset + i * step if len(points) > 1 else left + plot_w / 2
        parts.append(_text(x, height - 8, label, size=9, anchor="middle", fill=MUTED))
        if value is None:
            lines.append(_polyline(segment))
            segment = []
            continue
        y = y_of(max(low, min(value, high)))
        segment.append(f"{x:.1f},{y:.1f}")
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{RED}"/>')
        dots.append(_text(x, y - 6, f"{value:g}", size=8, anchor="middle"))
    lines.append(_polyline(segment))
    return _svg(width, height, parts + lines + dots, title)
