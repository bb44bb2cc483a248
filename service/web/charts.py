"""Charts drawn on the server as inline SVG: no chart library, no script, nothing fetched.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` (read by screen
readers); the page puts a data table next to it, so the numbers never depend on seeing the
picture. Sizes are in a viewBox about as wide as a phone, so the text stays legible there and
the chart scales up (to a CSS maximum) on a desktop. Colours pass 3:1 against white for
graphics; values are written next to the bars, so colour carries no meaning on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 400
BAR = "#0b4fb3"
TRACK = "#dfe3ea"
TEXT = "#1b1b1b"
FONT = 15


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    shown: str  # the value as written (thousands separators)


def number(value: int | float) -> str:
    return f"{value:,}"


def _markup(parts: list[str]) -> Markup:
    # Every label, value and title interpolated into ``parts`` went through html.escape.
    return Markup("".join(parts))  # noqa: S704


def _open(chart_id: str, height: int, title: str, desc: str) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-size="{FONT}" fill="{TEXT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def horizontal_bars(chart_id: str, bars: list[Bar], title: str, desc: str) -> Markup:
    """One row per item: its label above, a bar scaled to the largest value, the value after."""
    row, top = 46, 4
    height = top + row * max(1, len(bars))
    peak = max((b.value for b in bars), default=0) or 1
    room = WIDTH - 90  # space kept for the value written after the longest bar
    parts = [_open(chart_id, height, title, desc)]
    for i, bar in enumerate(bars):
        y = top + i * row
        width = round(room * bar.value / peak, 1)
        parts.append(
            f'<text x="0" y="{y + 15}">{escape(bar.label)}</text>'
            f'<rect x="0" y="{y + 22}" width="{room}" height="16" rx="2" fill="{TRACK}"/>'
            f'<rect x="0" y="{y + 22}" width="{width}" height="16" rx="2" fill="{BAR}"/>'
            f'<text x="{width + 6}" y="{y + 36}" font-weight="700">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return _markup(parts)


def vertical_bars(chart_id: str, bars: list[Bar], title: str, desc: str) -> Markup:
    """Columns (one per year), the value above each and the label below."""
    height, base, top = 220, 190, 24
    n = max(1, len(bars))
    slot = WIDTH / n
    width = min(56.0, slot * 0.6)
    peak = max((b.value for b in bars), default=0) or 1
    parts = [_open(chart_id, height, title, desc)]
    parts.append(f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#6b6f76"/>')
    for i, bar in enumerate(bars):
        cx = slot * i + slot / 2
        h = round((base - top) * bar.value / peak, 1)
        parts.append(
            f'<rect x="{cx - width / 2:.1f}" y="{base - h}" width="{width:.1f}" height="{h}" '
            f'fill="{BAR}"/>'
            f'<text x="{cx:.1f}" y="{base - h - 6}" text-anchor="middle" font-weight="700">'
            f"{escape(bar.shown)}</text>"
            f'<text x="{cx:.1f}" y="{base + 18}" text-anchor="middle">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return _markup(parts)


def progress_bar(chart_id: str, percent: float, title: str, desc: str) -> Markup:
    """The share of the target reached, as a filled track (the figures are written beside it)."""
    filled = round(WIDTH * max(0.0, min(percent, 100.0)) / 100, 1)
    return _markup(
        [
            _open(chart_id, 24, title, desc),
            f'<rect x="0" y="0" width="{WIDTH}" height="24" rx="4" fill="{TRACK}"/>',
            f'<rect x="0" y="0" width="{filled}" height="24" rx="4" fill="{BAR}"/>',
            "</svg>",
        ]
    )
