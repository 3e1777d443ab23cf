"""``report.html``: one self-contained page a person reads on a phone.

Contents, top to bottom: the verdict and its reasons in plain words (with the plan when hip signs
were found, and the screening note); left vs right per exercise ("within noise" inside the
smallest detectable difference); the rep table; per metric, the left and right leg against time
with reps shaded, the threshold and its uncertainty band, each rep's judged value and peak
marked (:mod:`valgus.present.svgplot`); a still of each rep's worst frame (:mod:`valgus.present.stills`); the
annotated video; camera-check findings with their fixes, frames without a person, the model and
the configuration.

Self-contained: plots are inline SVG, stills inline JPEG (base64), no script, no network. The
annotated video is embedded as a ``data:`` URI when it is at most :data:`EMBED_VIDEO_MAX_BYTES`
(every sample clip and a typical 10-30 s phone clip, written at most 1280 px on its long side,
is 1-8 MB), so the file alone can be mailed or archived and still plays. A larger video is
linked by its relative name instead (``<video src="annotated.mp4">``, it sits beside the report
in the output folder): base64 adds a third to its size and a page of tens of MB is slow to open
on a phone and doubles the folder's size. The page says which it did.

This is the presentation layer: it turns the structured result into words and pictures and
decides nothing that the scoring has not decided.
"""

from __future__ import annotations

import base64
import logging
import time
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from valgus.landmarks import SIDES
from valgus.present import svgplot as sp
from valgus.present import words
from valgus.present.serialize import notices

log = logging.getLogger(__name__)

#: Largest annotated video embedded into the page (bytes); larger ones are linked.
EMBED_VIDEO_MAX_BYTES = 16 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# words

VERDICT_HEADLINE = {
    "knee valgus with hip signs": ("bad", "Knee valgus, and the hips look like part of the cause"),
    "knee valgus without hip signs": ("warn", "Knee valgus; the hips are not clearly the cause"),
    "no valgus": ("good", "No knee valgus: the knees stayed in line over the feet"),
    "cannot assess": ("na", "This video cannot be assessed"),
}
CATEGORY_WORD = {"none": "ok", "borderline": "borderline", "mild": "mild", "marked": "marked", "na": "n/a"}
SCREENING_NOTE = words.STRENGTH_PLAN["note"]


def _n(v: float, fmt: str = "{:+.1f}") -> str:
    """``v`` formatted, "–" when not measurable; never "-0.0"."""
    if v is None or not np.isfinite(v):
        return "–"
    text = fmt.format(v)
    return fmt.format(0.0) if text.lstrip("+-").strip("0.") == "" else text


def _ex(name: str) -> str:
    return name.replace("_", " ")


def chip(category: str) -> str:
    return f'<span class="chip {escape(category)}">{escape(CATEGORY_WORD.get(category, category))}</span>'


@dataclass(frozen=True)
class MetricSpec:
    """A per-leg metric plotted against time (``{side}_{key}`` in frames.csv)."""

    key: str
    title: str
    unit: str
    fmt: str
    what: str  # one line under the plots
    min_span: float  # smallest y range shown (so that noise of a fraction of a degree is not blown up)


METRICS = (
    MetricSpec("fppa_deg", "Knee valgus angle (FPPA)", "deg", "{:+.1f}",
               "Frontal-plane projection angle: + = knee inside the hip-ankle line (valgus).", 20.0),
    MetricSpec("knee_medial_offset", "Knee over foot", "leg lengths", "{:+.2f}",
               "Knee centre relative to the foot centre: + = knee inside the foot.", 0.2),
    MetricSpec("hip_adduction_deg", "Hip adduction", "deg", "{:+.1f}",
               "Thigh angle against the pelvis: + = thigh drawn towards the midline (a hip sign when it "
               "rises from standing).", 20.0),
    MetricSpec("trunk_lean_deg", "Trunk lean", "deg", "{:+.1f}",
               "Sideways lean of the trunk: + = towards this leg (over the stance leg in single-leg work; "
               "not judged in double-leg squats).", 20.0),
)


@dataclass(frozen=True)
class Rule:
    """The threshold a rep's value of one metric and leg was judged against, in the plotted units."""

    y: float
    band: float
    category: str  # none | borderline | mild | marked | na (not assessed)
    title: str


def _flag(rep: Any, name: str, side: str) -> Any:
    return next((f for f in rep.flags if f.name == name and f.leg == side), None)


def rule_for(spec: MetricSpec, rep: Any, side: str, th: Any) -> Rule | None:
    """What the scoring compared this metric with on this rep and leg (``None``: not judged).

    Thresholds on a change from standing are drawn at standing value + threshold, so they sit on
    the plotted (raw) curve's scale.
    """
    v = rep.values.get(side, {})
    if spec.key == "fppa_deg":
        f = _flag(rep, "dynamic_knee_valgus", side)
        if f is None:
            return None
        cat = f.category if f.assessed else "na"
        if rep.exercise == "squat":  # bilateral squats: judged on the change from standing
            ref = v.get("fppa_deg_standing", float("nan"))
            return Rule(ref + f.threshold, f.band, cat,
                        f"threshold: standing {_n(ref)} + {f.threshold:g} deg (squats are judged on the change "
                        f"from standing); band +-{f.band:g} deg")
        return Rule(f.threshold, f.band, cat, f"threshold {f.threshold:g} deg; band +-{f.band:g} deg")
    if spec.key == "knee_medial_offset":
        f = _flag(rep, "knee_medial_to_foot", side)
        if f is None:
            return None
        return Rule(f.threshold, f.band, f.category if f.assessed else "na",
                    f"threshold {f.threshold:g} leg lengths; band +-{f.band:g}")
    if spec.key == "hip_adduction_deg":
        ref = v.get("hip_adduction_deg_standing", float("nan"))
        ch = v.get("hip_adduction_deg_change", float("nan"))
        band = th.sem_deg + th.pipeline_error_deg
        cat = "mild" if np.isfinite(ch) and ch >= th.hip_adduction_sign else "none"
        if not any(f.assessed for f in rep.flags):  # the camera view cannot support a finding
            cat = "na"
        return Rule(ref + th.hip_adduction_sign, band, cat,
                    f"hip sign: standing {_n(ref)} + {th.hip_adduction_sign:g} deg; band +-{band:g} deg")
    if spec.key == "trunk_lean_deg":
        f = _flag(rep, "trunk_lean", side)
        if f is None:
            return None
        ref = v.get("trunk_lean_deg_standing", float("nan"))
        y = ref + f.threshold if np.isfinite(ref) else f.threshold
        return Rule(y, f.band, f.category if f.assessed else "na",
                    f"threshold: standing {_n(ref)} + {f.threshold:g} deg; band +-{f.band:g} deg")
    return None


def _works(rep: Any, side: str) -> bool:
    return rep.working_leg in (side, "both")


# ----------------------------------------------------------------------------------------------
# sections


def verdict_section(res: Any) -> str:
    cls, headline = VERDICT_HEADLINE.get(res.verdict, ("na", res.verdict))
    out = [f'<section class="verdict {cls}" id="verdict"><p class="vlabel">Verdict: '
           f'<b class="vword">{escape(res.verdict)}</b></p><h2>{escape(headline)}</h2><ul class="reasons">']
    out += [f"<li>{escape(r)}</li>" for r in words.reasons(res)]
    out.append("</ul>")
    plan = words.plan(res)
    if plan:
        out.append('<div class="plan" id="plan"><h3>What to do: hip strengthening, 3 sessions a week for '
                   "6-8 weeks</h3><dl>")
        for k in words.PLAN_STAGES:
            if plan.get(k):
                out.append(f"<dt>{escape(k.capitalize())}</dt><dd>{escape('; '.join(plan[k]))}</dd>")
        out.append("</dl></div>")
    out.append(f'<p class="note">{escape(SCREENING_NOTE)}</p></section>')
    return "".join(out)


def left_right_section(res: Any, th: Any) -> str:
    """Left vs right per exercise: the mean of the complete reps, and whether the difference is
    beyond the smallest detectable difference (``thresholds.asymmetry_deg``)."""
    by = {(x.exercise, x.leg): x for x in res.legs}
    rows = []
    sdd = th.asymmetry_deg
    for ex in sorted({x.exercise for x in res.legs}):
        lf, rt = by.get((ex, "left")), by.get((ex, "right"))
        if lf is None or rt is None:
            only = lf or rt
            rows.append(f"<tr><td>{escape(_ex(ex))}</td><td colspan=4>only the {only.leg} leg was tested</td></tr>")
            continue
        key, basis = ("fppa_deg_change", "FPPA change from standing") if ex == "squat" else ("fppa_deg", "FPPA")
        a, b = getattr(lf, key), getattr(rt, key)
        if not (np.isfinite(a) and np.isfinite(b)):
            status = '<span class="chip na">not measurable</span>'
        else:
            d = a - b
            if abs(d) < sdd:
                status = f'<span class="chip none">within noise</span> {abs(d):.1f} deg apart'
            else:
                worse = "left" if d > 0 else "right"
                status = f'<span class="chip mild">{worse} caves more</span> by {abs(d):.1f} deg'
        rows.append(f"<tr><td>{escape(_ex(ex))}<br><small>{escape(basis)}</small></td>"
                    f"<td>{_n(a)}<br><small>{lf.valgus_reps}/{lf.n_reps} reps flagged</small></td>"
                    f"<td>{_n(b)}<br><small>{rt.valgus_reps}/{rt.n_reps} reps flagged</small></td><td>{status}</td></tr>")
    if not rows:
        return ""
    return ('<section id="left-right"><h2>Left vs right</h2><div class="scroll"><table class="lr">'
            "<thead><tr><th>exercise</th><th>left (deg)</th><th>right (deg)</th><th>difference</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f'<p class="small">Means over the complete reps. A difference under {sdd:g} deg, the smallest '
            "difference a 2D knee angle can detect between two measurements (Munro, Herrington &amp; "
            "Carolan 2012: 7.5-8.9 deg), is within noise.</p></section>")


def rep_table_section(res: Any) -> str:
    if not res.reps:
        return '<section id="reps"><h2>Reps</h2><p>No reps were found.</p></section>'
    head = ("<tr><th>rep</th><th>exercise</th><th>leg</th><th>valgus</th><th>FPPA</th><th>change</th>"
            "<th>hip add. change</th><th>knee / foot</th><th>knee width</th><th>deepest</th></tr>")
    rows = []
    for r in res.reps:
        legs = list(SIDES) if r.working_leg == "both" else [r.working_leg]
        both = r.values.get("both", {})
        for k, s in enumerate(legs):
            v = r.values[s]
            f = _flag(r, "dynamic_knee_valgus", s)
            cat = "na" if f is None or not f.assessed else r.worst("dynamic_knee_valgus", s)
            width = _n(both.get("knee_width_vs_standing", float("nan")), "{:.2f}") if k == 0 and both else ""
            first = k == 0
            rows.append(
                f'<tr class="{"first" if first else "cont"}{" partial" if r.partial else ""}">'
                f"<td>{f'{r.number}{chr(42) if r.partial else chr(32)}' if first else ''}</td>"
                f"<td>{escape(_ex(r.exercise)) if first else ''}</td><td>{s}</td><td>{chip(cat)}</td>"
                f"<td>{_n(v['fppa_deg'])}</td><td>{_n(v['fppa_deg_change'])}</td>"
                f"<td>{_n(v['hip_adduction_deg_change'])}</td><td>{_n(v['knee_medial_offset'], '{:+.2f}')}</td>"
                f"<td>{width}</td><td>{f'{r.t_deepest:.1f} s' if first else ''}</td></tr>")
    notes = ['Values at the deepest frame; angles in degrees, "change" = from the standing posture. '
             "Knee / foot in leg lengths (+ = knee inside the foot). Knee width = knee distance at the "
             "bottom relative to standing (double-leg squats; under 0.80 counts as valgus)."]
    if any(r.partial for r in res.reps):
        notes.append("* partial rep (cut by the clip's start or end): judged only when there is no complete rep.")
    return (f'<section id="reps"><h2>Reps</h2><div class="scroll"><table class="reps" id="rep-table"><thead>{head}'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
            + "".join(f'<p class="small">{escape(n)}</p>' for n in notes) + "</section>")


def metric_plots(a: Any, res: Any, spec: MetricSpec) -> str:
    """Left and right leg of one metric against time, on one y scale."""
    m = a.metrics
    t = np.asarray(m["time_s"], dtype=float)
    th = a.config.thresholds
    plots = []
    scale_y: list[np.ndarray] = []  # values that set the y scale: not those of a free (lifted) leg
    for s in SIDES:
        y = np.asarray(m[f"{s}_{spec.key}"], dtype=float)
        free = np.zeros(len(t), dtype=bool)
        for r in res.reps:
            if not _works(r, s):
                free |= (t >= r.t_start) & (t <= r.t_end)
        scale_y.append(y[~free])
        spans, bands, markers = [], [], []
        for r in res.reps:
            works = _works(r, s)
            spans.append(sp.Span(r.t_start, r.t_end, "span" + ("" if works else " other") + (" partial" if r.partial else ""),
                                 str(r.number)))
            if not works:
                continue
            rule = rule_for(spec, r, s, th)
            if rule is not None and np.isfinite(rule.y):
                bands.append(sp.Band(r.t_start, r.t_end, rule.y - rule.band, rule.y + rule.band, rule.y, "band",
                                     rule.title))
            judged = r.values[s].get(spec.key, float("nan"))
            cat = rule.category if rule is not None else "peak"
            label = _n(judged, spec.fmt.replace("+", "")) if len(res.reps) <= 8 else ""
            markers.append(sp.Marker(r.t_deepest, judged, f"marker {cat}", "circle",
                                     f"rep {r.number}: {_n(judged, spec.fmt)} {spec.unit} at the deepest frame "
                                     f"({CATEGORY_WORD.get(cat, cat)})", label))
            rows = np.flatnonzero((t >= r.t_start - 1e-9) & (t <= r.t_end + 1e-9))
            seg = y[rows]
            if np.isfinite(seg).any():
                i = rows[int(np.nanargmax(seg))]
                markers.append(sp.Marker(float(t[i]), float(y[i]), "marker peak", "triangle",
                                         f"rep {r.number}: peak {_n(float(y[i]), spec.fmt)} {spec.unit} at {t[i]:.2f} s"))
        plots.append(sp.Plot(f"{s.capitalize()} leg", spec.unit, [sp.Series(t, y, f"line {s}", f"{s} {spec.title}")],
                             spans, bands, markers, cls=f"plot {spec.key}",
                             note="" if np.isfinite(y).any() else "not measurable in this clip"))
    # one y scale for both legs, set by the working legs' values, the thresholds and the markers
    lo, hi = np.inf, -np.inf
    for p, ys in zip(plots, scale_y):
        probe = sp.Plot("", "", [sp.Series(np.zeros(len(ys)), ys)], [], p.bands, p.markers)
        r0, r1 = sp.data_range(probe, default_y=(np.inf, -np.inf))[1]
        lo, hi = min(lo, r0), max(hi, r1)
    yr = (float(lo), float(hi)) if np.isfinite([lo, hi]).all() else (-spec.min_span / 2, spec.min_span / 2)
    if yr[1] - yr[0] < spec.min_span:
        mid = 0.5 * (yr[0] + yr[1])
        yr = (mid - spec.min_span / 2, mid + spec.min_span / 2)
    xr = (float(t[0]), float(t[-1])) if len(t) else (0.0, 1.0)
    svgs = [sp.render(sp.Plot(**{**p.__dict__, "y_range": yr, "x_range": xr}), id=f"plot-{spec.key}-{s}")
            for p, s in zip(plots, SIDES)]
    return (f'<figure class="metric" id="fig-{spec.key}"><figcaption><b>{escape(spec.title)}</b> '
            f"({escape(spec.unit)}). {escape(spec.what)}</figcaption>"
            f'<div class="pair">{"".join(svgs)}</div></figure>')


def plots_section(a: Any, res: Any) -> str:
    legend = ('<p class="legend"><span class="k span"></span>rep (its number at the bottom; grey: the other leg works) '
              '<span class="k thr"></span>threshold <span class="k band"></span>uncertainty band '
              '<span class="k dot"></span>value judged (deepest frame, coloured by its flag) '
              '<span class="k tri"></span>peak of the rep</p>')
    caveat = ("" if res.camera.ok else '<p class="warnbox">The camera view cannot support a frontal-plane '
              "verdict: these curves are what the camera saw, not the knees' true alignment.</p>")
    return ('<section id="plots"><h2>Over time</h2>' + caveat + legend
            + "".join(metric_plots(a, res, s) for s in METRICS) + "</section>")


def stills_section(a: Any, res: Any) -> str:
    from valgus.present.overlay import knee_marks
    from valgus.present.stills import encode_jpeg, leg_still, read_frames, worst_frame

    reps = res.reps
    if not reps or a.info.source != "file":  # a live camera: no frames to go back to
        return ""
    m = a.metrics
    worst = {r.number: worst_frame(m, r) for r in reps}
    try:
        images = read_frames(a.source, worst.values())
    except Exception as exc:  # the report must not fail because the video cannot be re-read
        log.warning("report: rep stills left out: cannot read %s (%s)", a.source, exc)
        return ""
    frames = np.asarray(m["frame"])
    figs = []
    for r in reps:
        f = worst[r.number]
        img = images.get(f)
        if img is None:
            continue
        row = int(np.searchsorted(frames, f))
        xy = a.track.xy[row]
        knees = knee_marks({k: float(m[k][row]) for k in m if k != "flags"}, r.exercise, res.baseline,
                           a.config.thresholds)
        jpg = base64.b64encode(encode_jpeg(leg_still(img, xy, knees))).decode("ascii")
        # the values the knee labels show: FPPA change from standing in squats, FPPA otherwise
        squat = r.exercise == "squat"
        shown = {s: float(m[f"{s}_fppa_deg"][row]) - (r.values[s].get("fppa_deg_standing", np.nan) if squat else 0.0)
                 for s in r.legs}
        vals_txt = ("FPPA change from standing " if squat else "FPPA ") + ", ".join(
            f"{s} {_n(v)}" for s, v in shown.items())
        at = "the deepest frame" if f == r.frame_deepest else f"{float(m['time_s'][row]) - r.t_deepest:+.2f} s from the deepest"
        figs.append(
            f'<figure class="still"><img alt="rep {r.number}, frame {f}" src="data:image/jpeg;base64,{jpg}">'
            f"<figcaption><b>Rep {r.number}</b> {chip(r.worst('dynamic_knee_valgus') if any(x.assessed for x in r.flags) else 'na')}"
            f"<br>{escape(_ex(r.exercise))}, {escape(r.working_leg)} leg{'s' if r.working_leg == 'both' else ''}; "
            f"{float(m['time_s'][row]):.2f} s ({escape(at)}); {escape(vals_txt)}</figcaption></figure>")
    return ('<section id="stills"><h2>Each rep at its worst</h2><p class="small">The frame of each rep where '
            "the knee comes in furthest, cropped to the legs. LEFT and RIGHT are the subject's own legs "
            "(facing the camera, the subject's left leg is on the image's right).</p>"
            f'<div class="stills">{"".join(figs)}</div></section>')


def video_section(video: Path | None, embed_max: int) -> str:
    if video is None or not video.is_file():
        return ""
    size = video.stat().st_size
    if size <= embed_max:
        src = "data:video/mp4;base64," + base64.b64encode(video.read_bytes()).decode("ascii")
        how = "embedded in this page"
    else:
        src = escape(video.name)
        how = f"too large to embed ({size / 1e6:.0f} MB): plays from {escape(video.name)} beside this page"
    return (f'<section id="video"><h2>Annotated video</h2><video id="annotated-video" controls playsinline '
            f'preload="metadata" src="{src}"></video><p class="small">The skeleton and knee angles the '
            f"numbers come from ({how}).</p></section>")


def _missing_stretches(t: np.ndarray, detected: np.ndarray, limit: int = 8) -> list[str]:
    out = []
    i, n = 0, len(detected)
    while i < n:
        if detected[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and not detected[j + 1]:
            j += 1
        out.append(f"{t[i]:.1f}-{t[j]:.1f} s" if j > i else f"{t[i]:.1f} s")
        i = j + 1
    return out[:limit] + ([f"and {len(out) - limit} more"] if len(out) > limit else [])


def camera_section(a: Any, res: Any) -> str:
    cam = res.camera
    yaw = f" (about {cam.yaw_deg:.0f} deg from frontal)" if np.isfinite(cam.yaw_deg) else ""
    ok = "supports a frontal-plane verdict" if cam.ok else "does not support a frontal-plane verdict"
    items = [f"<li>View: <b>{escape(cam.view)}</b>{escape(yaw)}; it {ok}.</li>"]
    for problem, fix in zip(words.camera_reasons(cam), words.camera_fixes(cam)):
        items.append(f'<li class="bad">{escape(problem)}<br><span class="fix">Fix: {escape(fix)}</span></li>')
    items += [f'<li class="warn">{escape(w)}</li>' for w in notices(a)]
    det = np.asarray(a.track_raw.detected)
    n, k = len(det), int(det.sum())
    if k < n:
        where = ", ".join(_missing_stretches(np.asarray(a.metrics["time_s"]), det))
        items.append(f"<li>No person in {n - k} of {n} frames ({escape(where)}).</li>")
    else:
        items.append(f"<li>A person was found in all {n} frames.</li>")
    return f'<section id="camera"><h2>Camera check</h2><ul>{"".join(items)}</ul></section>'


def details_section(a: Any, timings: dict[str, float]) -> str:
    from valgus import __version__

    info, cfg = a.info, a.config
    rows = [
        ("video", f"{info.width}x{info.height}, {info.fps:.1f} fps, {info.duration_s or 0:.1f} s, {info.codec}"
                  + (f", rotated {info.rotation} deg" if info.rotation else "")),
        ("frames", f"{a.decode.decoded} decoded" + (f", {a.decode.lost} lost" if a.decode.lost else "")
                   + f", {len(a.track)} analysed"),
        ("pose model", f"MediaPipe PoseLandmarker, {cfg.pose.model}"),
        ("smoothing", f"{cfg.smoothing.kind}, {cfg.smoothing.cutoff_hz:g} Hz"),
        ("thresholds", f"sex-specific norms: {cfg.thresholds.sex}; uncertainty band +-"
                       f"{cfg.thresholds.sem_deg + cfg.thresholds.pipeline_error_deg:g} deg "
                       f"(SEM {cfg.thresholds.sem_deg:g} + pipeline error {cfg.thresholds.pipeline_error_deg:g})"),
        ("valgus", __version__),
        ("time taken", ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k in ("total", "pose_model",
                                                                                        "report_html"))),
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return (f'<section id="details"><h2>Model and configuration</h2><table class="kv">{body}</table>'
            f"<details><summary>Full configuration (config.toml)</summary><pre>{escape(cfg.to_toml())}</pre>"
            "</details></section>")


# ----------------------------------------------------------------------------------------------
# page


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


def report_html(a: Any, *, video: Path | None = None, embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> str:
    """The report page of analysis ``a`` as one HTML string.

    ``video``: the annotated video to show (embedded or linked, see the module docstring).
    """
    t0 = time.perf_counter()
    res = a.result
    name = a.info.path.name if a.info.path else Path(a.source).name
    n_full = len([r for r in res.reps if not r.partial])
    header = (f"<header><h1>valgus report: {escape(name)}</h1><p>{escape(_ex(res.exercise))}, {n_full} complete "
              f"rep{'s' if n_full != 1 else ''}; camera {escape(res.camera.view)}</p></header>")
    camera = camera_section(a, res)
    parts = [header, verdict_section(res), "" if res.camera.ok else camera,  # the fix first when the view fails
             left_right_section(res, a.config.thresholds), rep_table_section(res), plots_section(a, res),
             stills_section(a, res), video_section(video, embed_video_max_bytes), camera if res.camera.ok else ""]
    timings = dict(a.timings)
    timings["report_html"] = time.perf_counter() - t0
    parts.append(details_section(a, timings))
    return page(f"valgus: {name}: {res.verdict}", "".join(parts))


def write_report(a: Any, path: str | Path, *, video: Path | None = None,
                 embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> Path:
    """Write :func:`report_html` to ``path`` (atomically: a half-written page never replaces a good one)."""
    from valgus.io.sinks import write_text_atomic

    return write_text_atomic(report_html(a, video=video, embed_video_max_bytes=embed_video_max_bytes), path)


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


__all__ = ["EMBED_VIDEO_MAX_BYTES", "METRICS", "batch_index_html", "page", "report_html", "rule_for", "write_report"]
