"""The trend of one subject over sessions, in words: a text table for the terminal and
``history_<ID>.html`` (plots as in the clip report: hand-written inline SVG, :mod:`valgus.present.svgplot`).

Per exercise and leg: the value the verdict judges (FPPA; for double-leg squats its change from
standing), per session, with the band of +- the smallest detectable difference (SDD) around the
first session drawn, the reps flagged for valgus, and whether the change from the first to the
last session is beyond the SDD.
"""

from __future__ import annotations

import math
import re
from html import escape
from pathlib import Path

import numpy as np

from valgus.present import svgplot as sp
from valgus.io.history import ClipRecord, Trend
from valgus.present.page import SCREENING_NOTE, VERDICT_HEADLINE, page


def _v(x: float) -> str:
    return f"{x:+.1f}" if math.isfinite(x) else "–"


def change_sentence(tr: Trend) -> str:
    """One plain line on the change from the first to the last session."""
    pts = [p for p in tr.points if math.isfinite(p.value)]
    who = f"{tr.exercise.replace('_', ' ')}, {tr.leg} leg"
    if len(pts) < 2:
        return f"{who}: {len(pts)} session{'s' if len(pts) != 1 else ''} with a measurable value; nothing to compare yet."
    c = tr.change
    way = "less valgus" if c < 0 else "more valgus"
    head = (f"{who}: {tr.basis} {_v(pts[0].value)} on {pts[0].date} -> {_v(pts[-1].value)} on {pts[-1].date} "
            f"({c:+.1f} deg, {way}")
    if tr.beyond_sdd:
        return head + f"): beyond the {tr.sdd:g}-deg smallest detectable difference, a real change."
    return head + f"): within the {tr.sdd:g}-deg smallest detectable difference, no change the measurement can detect."


def safe_name(subject: str) -> str:
    """A file-name-safe form of a subject ID (``history_<this>.html``)."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", subject).strip("._")
    return s or "subject"


def history_text(subject: str, clips: list[ClipRecord], trend: list[Trend]) -> str:
    """The terminal table: one line per session, exercise and leg, then one line per trend."""
    if not clips:
        return f"no clips stored for subject {subject!r}"
    lines = [f"history of {subject!r}: {len(clips)} clip(s) over {len({c.date for c in clips})} session(s)", "",
             f"  {'date':<10}  {'exercise':<16} {'leg':<5} {'reps':>4} {'valgus':>6}  {'value':>6}  basis"]
    for tr in trend:
        for p in tr.points:
            lines.append(f"  {p.date:<10}  {tr.exercise:<16} {tr.leg:<5} {p.n_reps:>4} {p.valgus_reps:>6}  "
                         f"{_v(p.value):>6}  {tr.basis}")
    not_assessed = [c for c in clips if not c.legs]
    for c in not_assessed:
        lines.append(f"  {c.date:<10}  {c.source}: {c.verdict}")
    lines.append("")
    lines += [change_sentence(tr) for tr in trend]
    return "\n".join(lines)


def trend_plot(tr: Trend, *, id: str) -> str:
    x = np.arange(len(tr.points), dtype=float)
    y = np.array([p.value for p in tr.points], dtype=float)
    first = next((p.value for p in tr.points if math.isfinite(p.value)), float("nan"))
    bands = []
    if math.isfinite(first):
        bands.append(sp.Band(-0.5, len(x) - 0.5, first - tr.sdd, first + tr.sdd, first, "band sdd",
                             f"first session {first:+.1f} deg +- the {tr.sdd:g}-deg smallest detectable difference"))
    markers = []
    for xi, p in zip(x, tr.points):
        cat = "na" if p.n_reps == 0 else ("mild" if p.valgus_reps else "none")
        markers.append(sp.Marker(xi, p.value, f"marker {cat}", "circle",
                                 f"{p.date}: {_v(p.value)} deg, {p.valgus_reps} of {p.n_reps} reps flagged",
                                 f"{_v(p.value)} ({p.valgus_reps}/{p.n_reps})"))
    ticks = [(float(i), p.date[5:] if len({q.date[:4] for q in tr.points}) == 1 else p.date)
             for i, p in enumerate(tr.points)]
    plot = sp.Plot(f"{tr.leg.capitalize()} leg", "deg", [sp.Series(x, y, f"line {tr.leg}")], [], bands, markers,
                   x_range=(-0.5, len(x) - 0.5), x_ticks=ticks, x_label="session", cls="plot trend")
    (_, yr) = sp.data_range(plot)
    if yr[1] - yr[0] < 20:
        mid = 0.5 * (yr[0] + yr[1])
        yr = (mid - 10, mid + 10)
    return sp.render(sp.Plot(**{**plot.__dict__, "y_range": yr}), id=id)


def history_html(subject: str, clips: list[ClipRecord], trend: list[Trend]) -> str:
    """The trend page of one subject."""
    parts = [f"<header><h1>valgus history: {escape(subject)}</h1><p>{len(clips)} clip(s), "
             f"{len({c.date for c in clips})} session(s), {escape(clips[0].date if clips else '')} to "
             f"{escape(clips[-1].date if clips else '')}</p></header>"]
    if trend:
        sdd = trend[0].sdd
        items = "".join(f'<li class="{"beyond" if tr.beyond_sdd else "within"}">{escape(change_sentence(tr))}</li>'
                        for tr in trend)
        parts.append(f'<section id="summary"><h2>Change from the first session to the last</h2><ul>{items}</ul>'
                     f'<p class="small">A change smaller than {sdd:g} deg, the smallest difference a 2D knee angle '
                     "can detect between two days (Munro, Herrington &amp; Carolan 2012: 7.5-8.9 deg), is within "
                     "the noise of the measurement. Negative = the knee caves in less.</p></section>")
    for ex in sorted({tr.exercise for tr in trend}):
        trs = [tr for tr in trend if tr.exercise == ex]
        svgs = "".join(trend_plot(tr, id=f"trend-{ex}-{tr.leg}") for tr in trs)
        dates = sorted({p.date for tr in trs for p in tr.points})
        by = {(tr.leg, p.date): p for tr in trs for p in tr.points}
        rows = []
        for d in dates:
            cells = []
            for leg in ("left", "right"):
                p = by.get((leg, d))
                cells.append("<td>–</td>" if p is None else
                             f"<td>{_v(p.value)}<br><small>{p.valgus_reps}/{p.n_reps} reps flagged</small></td>")
            rows.append(f"<tr><td>{escape(d)}</td>{''.join(cells)}</tr>")
        parts.append(
            f'<section class="exercise" id="ex-{escape(ex)}"><h2>{escape(ex.replace("_", " "))}</h2>'
            f'<p class="small">{escape(trs[0].basis)} per session (deg, + = valgus; mean of the complete reps); '
            "grey band: the first session +- the smallest detectable difference; dot colour: green = no rep "
            "flagged, orange = some reps flagged for valgus.</p>"
            f'<div class="pair">{svgs}</div><div class="scroll"><table class="trend"><thead><tr><th>session</th>'
            f"<th>left</th><th>right</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>")
    clip_rows = "".join(
        f"<tr><td><b>{escape(c.date)}</b><br><small>{escape(c.source)}</small></td>"
        f'<td><span class="chip {VERDICT_HEADLINE.get(c.verdict, ("na", ""))[0]}v">{escape(c.verdict)}</span>'
        f"<br><small>{escape(c.exercise.replace('_', ' ').replace('+', ', '))}</small></td></tr>"
        for c in clips)
    parts.append(f'<section id="clips"><h2>Clips</h2><div class="scroll"><table><thead><tr><th>session and clip</th>'
                 f"<th>verdict and exercise</th></tr></thead><tbody>{clip_rows}</tbody></table></div>"
                 f'<p class="note">{escape(SCREENING_NOTE)}</p></section>')
    style = ("<style>li.beyond { font-weight: 600; } .chip.goodv { background: var(--good); } "
             ".chip.warnv { background: var(--warn); } .chip.badv { background: var(--bad); } "
             "table.trend td { white-space: nowrap; } #clips td { white-space: normal; overflow-wrap: anywhere; } "
             "#clips .chip { white-space: normal; }</style>")
    return page(f"valgus history: {subject}", style + "".join(parts))


def write_history_page(subject: str, clips: list[ClipRecord], trend: list[Trend], outdir: str | Path = ".") -> Path:
    """Write ``history_<subject>.html`` into ``outdir``; its path."""
    path = Path(outdir) / f"history_{safe_name(subject)}.html"
    path.write_text(history_html(subject, clips, trend), encoding="utf-8")
    return path


__all__ = ["change_sentence", "history_html", "history_text", "safe_name", "write_history_page"]
