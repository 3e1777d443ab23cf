"""``report.html``: one self-contained page a person reads on a phone.

Contents, top to bottom: the verdict and its reasons in plain words (with the plan when hip signs
were found, and the screening note); left vs right per exercise ("within noise" inside the
smallest detectable difference); the rep table; per metric, the left and right leg against time
with reps shaded, the threshold and its uncertainty band, each rep's judged value and peak
marked (:mod:`valgus.present.svgplot`); a still of each rep's worst frame
(:mod:`valgus.present.stills`); the annotated video; camera-check findings with their fixes,
frames without a person, the model and the configuration.

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

import numpy as np

from valgus.config import ThresholdConfig
from valgus.engine import Analysis
from valgus.landmarks import SIDES
from valgus.present import svgplot as sp
from valgus.present import words
from valgus.present.page import CATEGORY_WORD, SCREENING_NOTE, VERDICT_HEADLINE, chip, ex_name, num, page
from valgus.present.serialize import notices
from valgus.scoring.results import ClipResult, Flag, RepScore

log = logging.getLogger(__name__)

#: Largest annotated video embedded into the page (bytes); larger ones are linked.
EMBED_VIDEO_MAX_BYTES = 16 * 1024 * 1024


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


def _flag(rep: RepScore, name: str, side: str) -> Flag | None:
    return next((f for f in rep.flags if f.name == name and f.leg == side), None)


def rule_for(spec: MetricSpec, rep: RepScore, side: str, th: ThresholdConfig) -> Rule | None:
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
                        f"threshold: standing {num(ref)} + {f.threshold:g} deg (squats are judged on the change "
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
        band = th.sem_deg + th.pipeline_error_deg  # a 2D angle like FPPA: the same uncertainty
        cat = "mild" if np.isfinite(ch) and ch >= th.hip_adduction_sign else "none"
        if not any(f.assessed for f in rep.flags):  # the camera view cannot support a finding
            cat = "na"
        return Rule(ref + th.hip_adduction_sign, band, cat,
                    f"hip sign: standing {num(ref)} + {th.hip_adduction_sign:g} deg; band +-{band:g} deg")
    if spec.key == "trunk_lean_deg":
        f = _flag(rep, "trunk_lean", side)
        if f is None:
            return None
        ref = v.get("trunk_lean_deg_standing", float("nan"))
        y = ref + f.threshold if np.isfinite(ref) else f.threshold
        return Rule(y, f.band, f.category if f.assessed else "na",
                    f"threshold: standing {num(ref)} + {f.threshold:g} deg; band +-{f.band:g} deg")
    return None


def _works(rep: RepScore, side: str) -> bool:
    return rep.working_leg in (side, "both")


# ----------------------------------------------------------------------------------------------
# sections


def verdict_section(res: ClipResult) -> str:
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


def left_right_section(res: ClipResult, th: ThresholdConfig) -> str:
    """Left vs right per exercise: the mean of the complete reps, and whether the difference is
    beyond the smallest detectable difference (``thresholds.asymmetry_deg``)."""
    by = {(x.exercise, x.leg): x for x in res.legs}
    rows = []
    sdd = th.asymmetry_deg
    for ex in sorted({x.exercise for x in res.legs}):
        lf, rt = by.get((ex, "left")), by.get((ex, "right"))
        if lf is None or rt is None:
            only = lf or rt
            rows.append(f"<tr><td>{escape(ex_name(ex))}</td><td colspan=4>only the {only.leg} leg was tested</td></tr>")
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
        rows.append(f"<tr><td>{escape(ex_name(ex))}<br><small>{escape(basis)}</small></td>"
                    f"<td>{num(a)}<br><small>{lf.valgus_reps}/{lf.n_reps} reps flagged</small></td>"
                    f"<td>{num(b)}<br><small>{rt.valgus_reps}/{rt.n_reps} reps flagged</small></td><td>{status}</td></tr>")
    if not rows:
        return ""
    return ('<section id="left-right"><h2>Left vs right</h2><div class="scroll"><table class="lr">'
            "<thead><tr><th>exercise</th><th>left (deg)</th><th>right (deg)</th><th>difference</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f'<p class="small">Means over the complete reps. A difference under {sdd:g} deg, the smallest '
            "difference a 2D knee angle can detect between two measurements (Munro, Herrington &amp; "
            "Carolan 2012: 7.5-8.9 deg), is within noise.</p></section>")


def rep_table_section(res: ClipResult) -> str:
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
            width = num(both.get("knee_width_vs_standing", float("nan")), "{:.2f}") if k == 0 and both else ""
            first = k == 0
            rows.append(
                f'<tr class="{"first" if first else "cont"}{" partial" if r.partial else ""}">'
                f"<td>{f'{r.number}{chr(42) if r.partial else chr(32)}' if first else ''}</td>"
                f"<td>{escape(ex_name(r.exercise)) if first else ''}</td><td>{s}</td><td>{chip(cat)}</td>"
                f"<td>{num(v['fppa_deg'])}</td><td>{num(v['fppa_deg_change'])}</td>"
                f"<td>{num(v['hip_adduction_deg_change'])}</td><td>{num(v['knee_medial_offset'], '{:+.2f}')}</td>"
                f"<td>{width}</td><td>{f'{r.t_deepest:.1f} s' if first else ''}</td></tr>")
    notes = ['Values at the deepest frame; angles in degrees, "change" = from the standing posture. '
             "Knee / foot in leg lengths (+ = knee inside the foot). Knee width = knee distance at the "
             "bottom relative to standing (double-leg squats; under 0.80 counts as valgus)."]
    if any(r.partial for r in res.reps):
        notes.append("* partial rep (cut by the clip's start or end): judged only when there is no complete rep.")
    return (f'<section id="reps"><h2>Reps</h2><div class="scroll"><table class="reps" id="rep-table"><thead>{head}'
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
            + "".join(f'<p class="small">{escape(n)}</p>' for n in notes) + "</section>")


def metric_plots(a: Analysis, res: ClipResult, spec: MetricSpec) -> str:
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
            label = num(judged, spec.fmt.replace("+", "")) if len(res.reps) <= 8 else ""
            markers.append(sp.Marker(r.t_deepest, judged, f"marker {cat}", "circle",
                                     f"rep {r.number}: {num(judged, spec.fmt)} {spec.unit} at the deepest frame "
                                     f"({CATEGORY_WORD.get(cat, cat)})", label))
            rows = np.flatnonzero((t >= r.t_start - 1e-9) & (t <= r.t_end + 1e-9))
            seg = y[rows]
            if np.isfinite(seg).any():
                i = rows[int(np.nanargmax(seg))]
                markers.append(sp.Marker(float(t[i]), float(y[i]), "marker peak", "triangle",
                                         f"rep {r.number}: peak {num(float(y[i]), spec.fmt)} {spec.unit} at {t[i]:.2f} s"))
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


def plots_section(a: Analysis, res: ClipResult) -> str:
    legend = ('<p class="legend"><span class="k span"></span>rep (its number at the bottom; grey: the other leg works) '
              '<span class="k thr"></span>threshold <span class="k band"></span>uncertainty band '
              '<span class="k dot"></span>value judged (deepest frame, coloured by its flag) '
              '<span class="k tri"></span>peak of the rep</p>')
    caveat = ("" if res.camera.ok else '<p class="warnbox">The camera view cannot support a frontal-plane '
              "verdict: these curves are what the camera saw, not the knees' true alignment.</p>")
    return ('<section id="plots"><h2>Over time</h2>' + caveat + legend
            + "".join(metric_plots(a, res, s) for s in METRICS) + "</section>")


def stills_section(a: Analysis, res: ClipResult) -> str:
    from valgus.present.overlay import knee_marks
    from valgus.present.stills import encode_jpeg, leg_still, pick_reps, render_frames, worst_frame

    if not res.reps or a.info.source != "file":  # a live camera: no frames to go back to
        return ""
    reps = pick_reps(res.reps)
    m = a.metrics
    frames = np.asarray(m["frame"])
    worst = {r.number: worst_frame(m, r) for r in reps}
    by_frame = {worst[r.number]: r for r in reps}

    def render(f: int, img: np.ndarray) -> bytes:
        r = by_frame[f]
        row = int(np.searchsorted(frames, f))
        knees = knee_marks({k: float(m[k][row]) for k in m if k != "flags"}, r.exercise, res.baseline,
                           a.config.thresholds)
        return encode_jpeg(leg_still(img, a.track.xy[row], knees))

    try:
        times = {f: float(m["time_s"][np.searchsorted(frames, f)]) for f in worst.values()}
        jpegs = render_frames(a.source, times, render, deblock=False, info=a.info)
    except Exception as exc:  # the report must not fail because the video cannot be re-read
        log.warning("report: rep stills left out: cannot read %s (%s)", a.source, exc)
        return ""
    figs = []
    for r in reps:
        f = worst[r.number]
        if f not in jpegs:
            continue
        row = int(np.searchsorted(frames, f))
        jpg = base64.b64encode(jpegs[f]).decode("ascii")
        # the values the knee labels show: FPPA change from standing in squats, FPPA otherwise
        squat = r.exercise == "squat"
        shown = {s: float(m[f"{s}_fppa_deg"][row]) - (r.values[s].get("fppa_deg_standing", np.nan) if squat else 0.0)
                 for s in r.legs}
        vals_txt = ("FPPA change from standing " if squat else "FPPA ") + ", ".join(
            f"{s} {num(v)}" for s, v in shown.items())
        at = "the deepest frame" if f == r.frame_deepest else f"{float(m['time_s'][row]) - r.t_deepest:+.2f} s from the deepest"
        figs.append(
            f'<figure class="still"><img alt="rep {r.number}, frame {f}" src="data:image/jpeg;base64,{jpg}">'
            f"<figcaption><b>Rep {r.number}</b> {chip(r.worst('dynamic_knee_valgus') if any(x.assessed for x in r.flags) else 'na')}"
            f"<br>{escape(ex_name(r.exercise))}, {escape(r.working_leg)} leg{'s' if r.working_leg == 'both' else ''}; "
            f"{float(m['time_s'][row]):.2f} s ({escape(at)}); {escape(vals_txt)}</figcaption></figure>")
    some = ("" if len(reps) == len(res.reps) else
            f" {len(reps)} of the {len(res.reps)} reps are shown: those where the knee came in most.")
    return ('<section id="stills"><h2>Each rep at its worst</h2><p class="small">The frame of each rep where '
            "the knee comes in furthest, cropped to the legs. LEFT and RIGHT are the subject's own legs "
            f"(facing the camera, the subject's left leg is on the image's right).{escape(some)}</p>"
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


def camera_section(a: Analysis, res: ClipResult) -> str:
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


def details_section(a: Analysis, timings: dict[str, float]) -> str:
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


def report_html(a: Analysis, *, video: Path | None = None, embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> str:
    """The report page of analysis ``a`` as one HTML string.

    ``video``: the annotated video to show (embedded or linked, see the module docstring).
    """
    t0 = time.perf_counter()
    res = a.result
    name = a.info.path.name if a.info.path else Path(a.source).name
    n_full = len([r for r in res.reps if not r.partial])
    header = (f"<header><h1>valgus report: {escape(name)}</h1><p>{escape(ex_name(res.exercise))}, {n_full} complete "
              f"rep{'s' if n_full != 1 else ''}; camera {escape(res.camera.view)}</p></header>")
    camera = camera_section(a, res)
    parts = [header, verdict_section(res), "" if res.camera.ok else camera,  # the fix first when the view fails
             left_right_section(res, a.config.thresholds), rep_table_section(res), plots_section(a, res),
             stills_section(a, res), video_section(video, embed_video_max_bytes), camera if res.camera.ok else ""]
    timings = dict(a.timings)
    timings["report_html"] = time.perf_counter() - t0
    parts.append(details_section(a, timings))
    return page(f"valgus: {name}: {res.verdict}", "".join(parts))


def write_report(a: Analysis, path: str | Path, *, video: Path | None = None,
                 embed_video_max_bytes: int = EMBED_VIDEO_MAX_BYTES) -> Path:
    """Write :func:`report_html` to ``path`` (atomically: a half-written page never replaces a good one)."""
    from valgus.io.sinks import write_text_atomic

    return write_text_atomic(report_html(a, video=video, embed_video_max_bytes=embed_video_max_bytes), path)


__all__ = ["EMBED_VIDEO_MAX_BYTES", "METRICS", "MetricSpec", "Rule", "report_html", "rule_for", "write_report"]
