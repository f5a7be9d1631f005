"""Server-rendered SVG bar charts. Each chart is an image with a text title; the page shows the same
figures in a data table beside it, which is what screen readers use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 24
GAP = 10
WIDTH = 480
LABEL_WIDTH = 170


@dataclass
class Chart:
    title: str
    rows: list[tuple[str, Decimal]]
    svg: SafeString


def bar_chart(*, title: str, rows: list[tuple[str, Decimal]]) -> Chart:
    biggest = max((value for _, value in rows), default=Decimal(0)) or Decimal(1)
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    usable = WIDTH - LABEL_WIDTH - 90
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" viewBox="0 0 {WIDTH} {height}" '
        f'class="app-chart"><title>{escape(title)}: bar chart of the figures in the table</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = int(usable * value / biggest) if biggest else 0
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="13" fill="#0b0c0c">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{max(width, 1)}" height="{BAR_HEIGHT}" fill="#1d70b8"/>'
            f'<text x="{LABEL_WIDTH + max(width, 1) + 5}" y="{y + 17}" font-size="13" fill="#0b0c0c">£{value:,.0f}</text>'
        )
    if not rows:
        parts.append(f'<text x="0" y="{GAP + 17}" font-size="13" fill="#0b0c0c">No commitments</text>')
    parts.append("</svg>")
    return Chart(title=title, rows=rows, svg=mark_safe("".join(parts)))  # noqa: S308 - every label escaped
