"""Server-rendered SVG bar charts for the dashboard: no JavaScript, no CDN, every label escaped."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


# What a channel's bars count (the analytics definitions: "sent" includes the delivered and read ones).
DELIVERY_SERIES: tuple[Series, ...] = (
    Series("sent", "Enviados", "#417690"),
    Series("delivered", "Entregados", "#79aec8"),
    Series("read", "Leídos", "#3a7d44"),
    Series("failed", "Fallidos", "#ba2121"),
)

WIDTH, HEIGHT = 300, 180
TOP, BOTTOM, SIDE = 18, 26, 6  # room for the value labels above the bars and the group labels below
BASELINE = HEIGHT - BOTTOM


def _number(value: float) -> str:
    return f"{value:.1f}"


def grouped_bar_chart(
    *, title: str, groups: list[tuple[str, str, dict[str, int]]], series: tuple[Series, ...] = DELIVERY_SERIES
) -> SafeString:
    """One group of bars per (key, label, counts), one bar per series, scaled to the largest count.

    Each bar carries `data-group`, `data-series` and `data-count`, and a tooltip (`<title>`) that says what it is.
    """
    top = max((counts.get(s.key, 0) for _, _, counts in groups for s in series), default=0)
    scale = (BASELINE - TOP) / top if top else 0
    group_width = (WIDTH - 2 * SIDE) / max(len(groups), 1)
    bar_width = group_width * 0.8 / len(series)

    bars, values, labels = [], [], []
    for g, (key, label, counts) in enumerate(groups):
        left = SIDE + g * group_width + group_width * 0.1
        for s, item in enumerate(series):
            count = int(counts.get(item.key, 0))
            height = count * scale
            x = left + s * bar_width
            bars.append(
                (
                    key,
                    item.key,
                    count,
                    _number(x),
                    _number(BASELINE - height),
                    _number(bar_width - 2),
                    _number(height),
                    item.colour,
                    f"{label} · {item.label}: {count}",
                )
            )
            if count:
                values.append((_number(x + (bar_width - 2) / 2), _number(BASELINE - height - 4), count))
        labels.append((_number(left + group_width * 0.4), HEIGHT - 8, label))

    empty = (
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" class="office-chart-empty">Sin envíos en este periodo</text>',
            WIDTH // 2,
            BASELINE // 2 + TOP,
        )
        if not top
        else ""
    )
    return format_html(
        '<svg class="office-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{title}">'
        "<title>{title}</title>"
        '<line x1="{side}" y1="{base}" x2="{right}" y2="{base}" class="office-chart-axis"/>'
        "{bars}{values}{labels}{empty}</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        side=SIDE,
        right=WIDTH - SIDE,
        base=BASELINE,
        bars=format_html_join(
            "",
            '<rect data-group="{}" data-series="{}" data-count="{}" x="{}" y="{}" width="{}" height="{}" fill="{}">'
            "<title>{}</title></rect>",
            bars,
        ),
        values=format_html_join(
            "", '<text x="{}" y="{}" text-anchor="middle" class="office-chart-value">{}</text>', values
        ),
        labels=format_html_join(
            "", '<text x="{}" y="{}" text-anchor="middle" class="office-chart-label">{}</text>', labels
        ),
        empty=empty,
    )


def chart_legend(series: tuple[Series, ...] = DELIVERY_SERIES) -> SafeString:
    items = format_html_join(
        "",
        '<li><span class="office-legend-swatch" style="background:{}"></span>{}</li>',
        ((item.colour, item.label) for item in series),
    )
    return format_html('<ul class="office-legend">{}</ul>', items)
