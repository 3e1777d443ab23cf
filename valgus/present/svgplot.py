"""Small, hand-written SVG line plots for the HTML reports (pure NumPy and string building).

Why hand-written SVG and not matplotlib (which MediaPipe installs): the report needs eight small
angle-time plots per clip plus one per exercise on the history page, all inline in one HTML file
that a phone opens. matplotlib's SVG writes every glyph as a path and every style inline (about
40-80 kB per plot, text not selectable, colours fixed at render time); importing it and drawing
eight figures costs about a second on the 2-core reference machine. The plots here are a few
kB each, their text is real text (searchable, readable by a screen reader and by the report's
browser test), they take their colours from the page's stylesheet (:data:`PLOT_CSS`) and scale
with the page (``viewBox`` with ``width: 100%``). What they need is small: lines with gaps for
NaN, shaded spans, horizontal bands, markers with tooltips, and nice ticks.

A plot is described as data (:class:`Plot` with :class:`Series`, :class:`Span`, :class:`Band`,
:class:`Marker`) and written by :func:`render`. Every element carries a CSS class; the page's
stylesheet gives it its look. Coordinates are data units; x right, y up.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from html import escape

import numpy as np

#: Points kept per line before min-max decimation (each bucket keeps its lowest and highest
#: value, so a rep's peak survives); a 10-minute clip at 30 fps has 18,000 frames.
MAX_POINTS = 1200


@dataclass(frozen=True)
class Series:
    """A line; NaN values leave gaps."""

    x: np.ndarray
    y: np.ndarray
    cls: str = "line"
    label: str = ""


@dataclass(frozen=True)
class Span:
    """A vertical shaded stretch ``x0..x1`` (a rep), with a short label at its top."""

    x0: float
    x1: float
    cls: str = "span"
    label: str = ""


@dataclass(frozen=True)
class Band:
    """A horizontal band ``lo..hi`` over ``x0..x1`` (an uncertainty band), optionally with a line
    at ``y`` (a threshold)."""

    x0: float
    x1: float
    lo: float
    hi: float
    y: float | None = None
    cls: str = "band"
    title: str = ""


@dataclass(frozen=True)
class Marker:
    """A point with a tooltip. ``shape``: ``circle`` or ``triangle`` (pointing up)."""

    x: float
    y: float
    cls: str = "marker"
    shape: str = "circle"
    title: str = ""
    label: str = ""


@dataclass(frozen=True)
class Plot:
    """One plot: what to draw and how to label it."""

    title: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    x_ticks: list[tuple[float, str]] | None = None  # fixed ticks (e.g. session dates); else nice ticks
    x_label: str = "time (s)"
    cls: str = "plot"
    note: str = ""  # a line of text drawn in the plot area (e.g. "no data")


#: The look of every element :func:`render` writes; include it in the page's ``<style>``.
PLOT_CSS = """
svg.plot { width: 100%; height: auto; display: block; font-family: inherit; }
svg.plot text { font-size: 13px; fill: #333; }
svg.plot .ptitle { font-size: 14px; font-weight: 600; }
svg.plot .punit { font-size: 12px; font-weight: 400; fill: #666; }
svg.plot .axis { stroke: #888; stroke-width: 1; }
svg.plot .grid { stroke: #e4e4e4; stroke-width: 1; }
svg.plot .tick { font-size: 12px; fill: #555; }
svg.plot .span { fill: #dceaff; }
svg.plot .span.other { fill: #eeeeee; }
svg.plot .span.partial { fill: #efe9dc; }
svg.plot .spanlabel { font-size: 12px; fill: #4a6a99; }
svg.plot .band { fill: #d0021b; opacity: .09; }
svg.plot .band.sdd { fill: #7a7a7a; opacity: .14; }
svg.plot .thr { stroke: #d0021b; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.plot .thr.sdd { stroke: #777; }
svg.plot .line { fill: none; stroke: #1f4e8c; stroke-width: 1.6; stroke-linejoin: round; }
svg.plot .line.left { stroke: #2a6fdb; }
svg.plot .line.right { stroke: #c2185b; }
svg.plot .marker { stroke: #fff; stroke-width: 1.2; fill: #1f4e8c; }
svg.plot .marker.peak { fill: #444; }
svg.plot .marker.none { fill: #2e9e44; }
svg.plot .marker.borderline { fill: #e0b000; }
svg.plot .marker.mild { fill: #f57c00; }
svg.plot .marker.marked { fill: #d0021b; }
svg.plot .marker.na { fill: #999; }
svg.plot .marker.left { fill: #2a6fdb; }
svg.plot .marker.right { fill: #c2185b; }
svg.plot .mlabel { font-size: 12px; fill: #222; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.plot .note { font-size: 13px; fill: #888; }
"""

# layout in viewBox units (the SVG scales to its container; 420 wide keeps 13-unit text readable
# on a 360-px phone screen)
W, H = 420, 190
ML, MR, MT, MB = 44, 10, 26, 34


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values inside ``[lo, hi]`` (the step of 1, 2 or 5 times a power of ten
    nearest to ``(hi - lo) / n``). ``lo == hi`` gives that one value."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 5, 10)), key=lambda st: abs(math.log(st / raw)))
    start = math.ceil(lo / step - 1e-9) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most about ``max_points`` points: each bucket keeps its lowest and highest finite
    value in time order (peaks survive), and a NaN where the bucket has no finite value (gaps
    survive). Short inputs are returned unchanged."""
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = np.array_split(np.arange(n), max_points // 2)
    keep_x: list[float] = []
    keep_y: list[float] = []
    for b in buckets:
        yb = y[b]
        ok = np.flatnonzero(np.isfinite(yb))
        if ok.size == 0:
            keep_x.append(float(x[b[0]]))
            keep_y.append(float("nan"))
            continue
        i, j = ok[np.argmin(yb[ok])], ok[np.argmax(yb[ok])]
        for k in sorted({int(i), int(j)}):
            keep_x.append(float(x[b[k]]))
            keep_y.append(float(yb[k]))
    return np.asarray(keep_x), np.asarray(keep_y)


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 1e5 else f"{v:.0f}"


def _tick_label(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:g}"


def data_range(plot: Plot, *, default_y: tuple[float, float] = (0.0, 1.0)) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y ranges that show every element (explicit ranges win); ``default_y`` when
    nothing has a finite y value."""
    xs: list[float] = []
    ys: list[float] = []
    for s in plot.series:
        xs.extend(np.asarray(s.x, dtype=float)[np.isfinite(s.x)].tolist())
        ys.extend(np.asarray(s.y, dtype=float)[np.isfinite(s.y)].tolist())
    for b in plot.bands:
        xs.extend([b.x0, b.x1])
        ys.extend([v for v in (b.lo, b.hi) if math.isfinite(v)])
    for m in plot.markers:
        if math.isfinite(m.y):
            ys.append(m.y)
    for sp in plot.spans:
        xs.extend([sp.x0, sp.x1])
    xs = [v for v in xs if math.isfinite(v)]
    xr = plot.x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    if plot.y_range:
        yr = plot.y_range
    elif ys:
        lo, hi = min(ys), max(ys)
        pad = 0.08 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.1)
        yr = (lo - pad, hi + pad)
    else:
        yr = default_y
    if xr[1] <= xr[0]:
        xr = (xr[0] - 0.5, xr[0] + 0.5)
    return xr, yr


def render(plot: Plot, *, id: str | None = None) -> str:
    """The plot as an inline ``<svg>`` element (no XML prolog)."""
    (x0, x1), (y0, y1) = data_range(plot)
    pw, ph = W - ML - MR, H - MT - MB

    def X(v: float) -> float:
        return ML + (v - x0) / (x1 - x0) * pw

    def Y(v: float) -> float:
        return MT + (1.0 - (v - y0) / (y1 - y0)) * ph

    def clampy(v: float) -> float:
        return min(max(v, y0), y1)

    out: list[str] = []
    ident = f' id="{escape(id)}"' if id else ""
    tid = f"{id}-t" if id else None
    lab = f' aria-labelledby="{tid}"' if tid else ""
    out.append(f'<svg class="{escape(plot.cls)}"{ident} viewBox="0 0 {W} {H}" role="img"{lab} '
               f'xmlns="http://www.w3.org/2000/svg">')
    out.append(f'<title{f" id={chr(34)}{tid}{chr(34)}" if tid else ""}>{escape(plot.title)}</title>')
    clip = f"clip-{id}" if id else f"clip-{zlib.crc32(plot.title.encode()):08x}"
    out.append(f'<defs><clipPath id="{clip}"><rect x="{ML}" y="{MT}" width="{pw}" height="{ph}"/></clipPath></defs>')
    unit = f' <tspan class="punit">({escape(plot.y_label)})</tspan>' if plot.y_label else ""
    out.append(f'<text class="ptitle" x="4" y="16">{escape(plot.title)}{unit}</text>')
    # spans (reps)
    for sp in plot.spans:
        a, b = max(sp.x0, x0), min(sp.x1, x1)
        if b <= a:
            continue
        out.append(f'<rect class="{escape(sp.cls)}" x="{X(a):.1f}" y="{MT}" width="{X(b) - X(a):.1f}" height="{ph}"/>')
        if sp.label:
            out.append(f'<text class="spanlabel" x="{(X(a) + X(b)) / 2:.1f}" y="{MT + ph - 4}" '
                       f'text-anchor="middle">{escape(sp.label)}</text>')
    # grid and y ticks
    for v in nice_ticks(y0, y1, 4):
        yy = Y(v)
        out.append(f'<line class="grid" x1="{ML}" x2="{W - MR}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(f'<text class="tick" x="{ML - 4}" y="{yy + 4:.1f}" text-anchor="end">{_tick_label(v)}</text>')
    xt = plot.x_ticks if plot.x_ticks is not None else [(v, _tick_label(v)) for v in nice_ticks(x0, x1, 6)]
    for v, label in xt:
        if x0 - 1e-9 <= v <= x1 + 1e-9:
            out.append(f'<text class="tick" x="{X(v):.1f}" y="{MT + ph + 14}" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line class="axis" x1="{ML}" x2="{ML}" y1="{MT}" y2="{MT + ph}"/>')
    out.append(f'<line class="axis" x1="{ML}" x2="{W - MR}" y1="{MT + ph}" y2="{MT + ph}"/>')
    out.append(f'<text class="tick" x="{W - MR}" y="{H - 3}" text-anchor="end">{escape(plot.x_label)}</text>')
    out.append(f'<g clip-path="url(#{clip})">')
    # bands and threshold lines
    for b in plot.bands:
        a, c = max(b.x0, x0), min(b.x1, x1)
        if c <= a:
            continue
        t = f"<title>{escape(b.title)}</title>" if b.title else ""
        if math.isfinite(b.lo) and math.isfinite(b.hi) and b.hi > b.lo:
            top, bot = Y(clampy(b.hi)), Y(clampy(b.lo))
            out.append(f'<rect class="{escape(b.cls)}" x="{X(a):.1f}" y="{top:.1f}" width="{X(c) - X(a):.1f}" '
                       f'height="{max(0.0, bot - top):.1f}">{t}</rect>')
        if b.y is not None and math.isfinite(b.y) and y0 <= b.y <= y1:
            line_cls = "thr" + ("".join(f" {c_}" for c_ in b.cls.split()[1:]))
            out.append(f'<line class="{escape(line_cls)}" x1="{X(a):.1f}" x2="{X(c):.1f}" y1="{Y(b.y):.1f}" '
                       f'y2="{Y(b.y):.1f}">{t}</line>')
    # lines
    for s in plot.series:
        xs, ys = decimate(np.asarray(s.x, dtype=float), np.asarray(s.y, dtype=float))
        d: list[str] = []
        pen = False
        for xv, yv in zip(xs, ys):
            if not (math.isfinite(xv) and math.isfinite(yv)):
                pen = False
                continue
            d.append(f"{'L' if pen else 'M'}{X(xv):.1f} {Y(yv):.1f}")
            pen = True
        if d:
            t = f"<title>{escape(s.label)}</title>" if s.label else ""
            out.append(f'<path class="{escape(s.cls)}" d="{" ".join(d)}">{t}</path>')
    out.append("</g>")
    # markers (drawn unclipped so a point on the edge stays whole)
    for m in sorted(plot.markers, key=lambda m: m.shape != "triangle"):  # circles on top
        if not (math.isfinite(m.x) and math.isfinite(m.y)) or not (x0 <= m.x <= x1 and y0 <= m.y <= y1):
            continue
        cx, cy = X(m.x), Y(m.y)
        t = f"<title>{escape(m.title)}</title>" if m.title else ""
        if m.shape == "triangle":
            out.append(f'<path class="{escape(m.cls)}" d="M{cx:.1f} {cy - 5.5:.1f} L{cx + 5:.1f} {cy + 3.5:.1f} '
                       f'L{cx - 5:.1f} {cy + 3.5:.1f} Z">{t}</path>')
        else:
            out.append(f'<circle class="{escape(m.cls)}" cx="{cx:.1f}" cy="{cy:.1f}" r="4.5">{t}</circle>')
        if m.label:
            out.append(f'<text class="mlabel" x="{cx + 6:.1f}" y="{cy - 6:.1f}">{escape(m.label)}</text>')
    if plot.note:
        out.append(f'<text class="note" x="{ML + pw / 2:.1f}" y="{MT + ph / 2:.1f}" '
                   f'text-anchor="middle">{escape(plot.note)}</text>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["Band", "Marker", "Plot", "PLOT_CSS", "Series", "Span", "data_range", "decimate", "nice_ticks", "render"]
