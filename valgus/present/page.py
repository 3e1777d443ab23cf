"""The look shared by the HTML pages (clip report, batch index, history): the stylesheet, the page
shell, the verdict headlines, category chips and number formatting; and the batch's index page."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from valgus.present import svgplot as sp
from valgus.present import words

VERDICT_HEADLINE = {
    "knee valgus with hip signs": ("bad", "Knee valgus, and the hips look like part of the cause"),
    "knee valgus without hip signs": ("warn", "Knee valgus; the hips are not clearly the cause"),
    "no valgus": ("good", "No knee valgus: the knees stayed in line over the feet"),
    "cannot assess": ("na", "This video cannot be assessed"),
}
CATEGORY_WORD = {"none": "ok", "borderline": "borderline", "mild": "mild", "marked": "marked", "na": "n/a"}
SCREENING_NOTE = words.STRENGTH_PLAN["note"]


def num(v: float, fmt: str = "{:+.1f}") -> str:
    """``v`` formatted, "–" when not measurable; never "-0.0"."""
    if v is None or not np.isfinite(v):
        return "–"
    text = fmt.format(v)
    return fmt.format(0.0) if text.lstrip("+-").strip("0.") == "" else text


def ex_name(name: str) -> str:
    return name.replace("_", " ")


def chip(category: str) -> str:
    return f'<span class="chip {escape(category)}">{escape(CATEGORY_WORD.get(category, category))}</span>'


PAGE_CSS = """
:root { --good:#2e9e44; --warn:#f57c00; --bad:#d0021b; --na:#777; --ink:#1d1d1f; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #f4f5f7; }
main { max-width: 980px; margin: 0 auto; padding: 12px; }
header h1 { font-size: 1.25rem; margin: 6px 0 2px; overflow-wrap: anywhere; }
header p { margin: 0 0 10px; color: #555; font-size: .9rem; }
section { background: #fff; border-radius: 10px; padding: 12px 14px; margin: 0 0 12px;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); }
h2 { font-size: 1.1rem; margin: 2px 0 8px; }
h3 { font-size: 1rem; margin: 10px 0 4px; }
.verdict { border-left: 8px solid var(--na); }
.verdict.good { border-color: var(--good); } .verdict.warn { border-color: var(--warn); }
.verdict.bad { border-color: var(--bad); }
.verdict h2 { font-size: 1.3rem; }
.vlabel { margin: 0; font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; color: #555; }
.reasons { padding-left: 1.2em; margin: 6px 0; }
.plan { background: #f3f8f3; border-radius: 8px; padding: 6px 12px; }
.plan dt { font-weight: 600; } .plan dd { margin: 0 0 6px; }
.note, .small { font-size: .85rem; color: #555; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; font-size: .9rem; width: 100%; }
th, td { padding: 5px 7px; text-align: left; border-bottom: 1px solid #eee; vertical-align: top; white-space: nowrap; }
table.reps td:nth-child(n+5) { text-align: right; font-variant-numeric: tabular-nums; }
table.reps tr.cont td { border-top: none; } table.reps tr.first td { border-top: 1px solid #ddd; }
table.lr td, table.lr th { white-space: normal; }
table.kv th { width: 8em; color: #555; font-weight: 500; } table.kv td { white-space: normal; }
.chip { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: .8rem; font-weight: 600;
        color: #fff; background: var(--na); }
.chip.none { background: var(--good); } .chip.borderline { background: #c9a100; }
.chip.mild { background: var(--warn); } .chip.marked { background: var(--bad); }
figure { margin: 0 0 14px; }
figcaption { font-size: .9rem; margin-bottom: 4px; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 6px 14px; }
.stills { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; }
.still img { width: 100%; height: auto; border-radius: 6px; display: block; background: #222; }
.still figcaption { font-size: .8rem; margin-top: 4px; }
video { display: block; margin: 0 auto; max-width: 100%; max-height: min(70vh, 560px); background: #000; border-radius: 6px; }
li.bad { color: var(--bad); } .fix { color: #0b6b2b; } li.warn { color: #8a5a00; }
pre { white-space: pre-wrap; font-size: .8rem; background: #f6f6f6; padding: 8px; border-radius: 6px; }
.legend { font-size: .8rem; color: #555; }
.warnbox { background: #fff4e0; border-radius: 6px; padding: 6px 10px; color: #8a5a00; }
.legend .k { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
.legend .k.span { background: #dceaff; } .legend .k.band { background: rgba(208,2,27,.16); }
.legend .k.thr { border-top: 2px dashed #d0021b; height: 0; }
.legend .k.dot { width: 10px; border-radius: 50%; background: #f57c00; }
.legend .k.tri { width: 0; height: 0; border: 6px solid transparent; border-bottom: 10px solid #444; border-top: 0; }
@media (max-width: 520px) { main { padding: 6px; } section { padding: 10px; } th, td { padding: 4px 5px; }
  .stills { grid-template-columns: 1fr 1fr; } }
"""


def page(title: str, body: str) -> str:
    """A whole HTML document with the report stylesheet."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{PAGE_CSS}{sp.PLOT_CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def batch_index_html(rows: list[dict[str, Any]], reports: list[str | None]) -> str:
    """The batch's ``index.html``: one line per clip (``rows``: the summary.csv rows) with its
    verdict, linking to its ``report.html`` (``reports``: relative paths, ``None`` when it failed)."""
    body = []
    for row, rep in zip(rows, reports):
        name = escape(Path(str(row["video"])).name)
        cls = VERDICT_HEADLINE.get(row.get("verdict", ""), ("na", ""))[0] if row["status"] == "ok" else "bad"
        link = f'<a href="{escape(rep)}">{name}</a>' if rep else name
        what = escape(row["verdict"]) if row["status"] == "ok" else "error: " + escape(str(row["error"]))
        body.append(f"<tr><td>{link}</td><td>{escape(str(row.get('exercise', '')).replace('_', ' '))}</td>"
                    f"<td>{escape(str(row.get('n_reps', '')))}</td><td><span class=\"chip {cls}v\">{what}</span></td></tr>")
    ok = sum(r["status"] == "ok" for r in rows)
    style = ("<style>.chip.goodv { background: var(--good); } .chip.warnv { background: var(--warn); } "
             ".chip.badv { background: var(--bad); } td a { color: #1f4e8c; }</style>")
    return page("valgus batch", style + f"<header><h1>valgus batch</h1><p>{ok} of {len(rows)} clips analysed</p></header>"
                '<section><div class="scroll"><table><thead><tr><th>clip</th><th>exercise</th><th>reps</th>'
                f"<th>verdict</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>"
                f'<p class="note">{escape(SCREENING_NOTE)}</p></section>')


__all__ = ["CATEGORY_WORD", "PAGE_CSS", "SCREENING_NOTE", "VERDICT_HEADLINE", "batch_index_html", "chip", "ex_name",
           "num", "page"]
