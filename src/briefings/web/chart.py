"""Bar charts as inline SVG, drawn on the server: no script, no network."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 22
LABEL = 200
WIDTH = 640


def _num(v: float) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{v:,}"


def bars(rows: list[tuple[str, float]], unit: str) -> Markup:
    """Horizontal bars, one a row: for ranked names."""
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1
    span = WIDTH - LABEL - 70
    height = ROW * len(rows) + 4
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-label="{escape(unit)} by speaker, as a bar chart">'
    ]
    for i, (name, v) in enumerate(rows):
        y = i * ROW + 2
        w = max(1.0, span * v / top) if v else 0
        out.append(
            f'<text x="{LABEL - 6}" y="{y + 15}" text-anchor="end">{escape(name[:32])}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{w:.1f}" height="{ROW - 6}"><title>{escape(name)}: '
            f"{_num(v)} {escape(unit)}</title></rect>"
            f'<text x="{LABEL + w + 4:.1f}" y="{y + 15}">{_num(v)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def columns(rows: list[tuple[str, float]], unit: str) -> Markup:
    """Vertical bars in order: for periods."""
    if not rows:
        return Markup("")
    top = max(v for _, v in rows) or 1
    height, base = 220, 190
    step = (WIDTH - 40) / len(rows)
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-label="matching turns {escape(unit)}, by period, as a bar chart">',
        f'<line x1="30" y1="{base}" x2="{WIDTH - 5}" y2="{base}" class="axis"/>',
    ]
    every = max(1, len(rows) // 12)
    for i, (period, v) in enumerate(rows):
        h = (base - 20) * v / top
        x = 34 + i * step
        out.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{max(step - 3, 1):.1f}" height="{h:.1f}">'
            f"<title>{escape(period)}: {_num(v)} {escape(unit)}</title></rect>"
        )
        if i % every == 0:
            out.append(f'<text x="{x:.1f}" y="{base + 16}" class="tick">{escape(period)}</text>')
    out.append(f'<text x="30" y="12" class="tick">max {_num(top)} {escape(unit)}</text></svg>')
    return Markup("".join(out))
