"""Plain-text rep table, per-leg table and report a person would read (report.txt, the console)."""

from __future__ import annotations

import numpy as np

from valgus.engine import Analysis
from valgus.present import words
from valgus.present.serialize import notices
from valgus.scoring.results import ClipResult

_CAT = {"none": "ok", "borderline": "borderline", "mild": "MILD", "marked": "MARKED"}


def _f(v: float, fmt: str = "{:+.1f}") -> str:
    return fmt.format(v) if v is not None and np.isfinite(v) else "-"


def rep_table(result: ClipResult) -> str:
    """One line per rep and leg: the values at the deepest frame, the worst over the loaded phase
    (with when it happened and the knee angle there) and the valgus category."""
    reps = result.reps
    if not reps:
        return "no reps found"
    lines = [
        f"{'rep':>3}  {'exercise':<16} {'leg':<5} {'bottom':>6}  {'FPPA':>6} {'dFPPA':>6} {'worst':>6} "
        f"{'at':>6} {'knee':>5} {'hipAdd':>6} {'knee/foot':>9} {'width':>5} {'pelvis':>6} {'trunk':>6}  valgus"
    ]
    for r in reps:
        both = r.values.get("both", {})
        for k, s in enumerate(r.legs):
            v = r.values[s]
            first = k == 0
            width = _f(both.get("knee_width_vs_standing_loaded", float("nan")), "{:.2f}") if first and both else ""
            assessed = all(f.assessed for f in r.flags if f.name == "dynamic_knee_valgus")
            valg = _CAT[r.worst("dynamic_knee_valgus", s if r.working_leg == "both" else None)] if assessed else "n/a"
            tag = f"{r.number}{'*' if r.partial else ''}" if first else ""
            ex = r.exercise if first else ""
            worst_key = "fppa_deg_change_loaded" if r.exercise == "squat" else "fppa_deg_loaded"
            pel = _f(v["pelvic_drop_deg_change"]) if r.exercise != "squat" else "-"
            tr = _f(v["trunk_lean_deg_change"]) if r.exercise != "squat" else "-"
            at = v.get("loaded_peak_t", float("nan"))
            lines.append(
                f"{tag:>3}  {ex:<16} {s:<5} {r.t_deepest:5.2f}s  {_f(v['fppa_deg']):>6} {_f(v['fppa_deg_change']):>6} "
                f"{_f(v.get(worst_key, float('nan'))):>6} {(f'{at:5.2f}s' if np.isfinite(at) else '-'):>6} "
                f"{_f(v.get('loaded_peak_knee_flexion_deg', float('nan')), '{:.0f}'):>5} "
                f"{_f(v['hip_adduction_deg']):>6} {_f(v.get('knee_medial_offset_loaded', float('nan')), '{:+.2f}'):>9} "
                f"{width:>5} {pel:>6} {tr:>6}  {valg}"
            )
    lines.append("  bottom = the deepest frame; FPPA, dFPPA (change from standing) and hipAdd there. worst = the")
    lines.append("  worst FPPA (squats: dFPPA) over the loaded phase (knee bent >= 20 deg), at that time and knee")
    lines.append("  angle; knee/foot and width (squats: knee width / standing) are the worst over the loaded phase.")
    if any(r.partial for r in reps):
        lines.append("  * partial rep (cut by the start or end of the clip, or by frames without the person): judged only")
        lines.append("    when the clip has no complete rep, and the verdict then says so")
    return "\n".join(lines)


def leg_table(result: ClipResult) -> str:
    """One line per exercise and leg: mean FPPA, change from standing, knee over foot."""
    lines = [f"  {'exercise':<16} {'leg':<5} {'reps':>4}  {'FPPA':>6} {'dFPPA':>6} {'knee/foot':>9}  valgus reps"]
    for x in result.legs:
        lines.append(f"  {x.exercise:<16} {x.leg:<5} {x.n_reps:>4}  {_f(x.fppa_deg):>6} {_f(x.fppa_deg_change):>6} "
                     f"{_f(x.knee_medial_offset, '{:+.2f}'):>9}  {x.valgus_reps}")
    return "\n".join(lines)


def report_text(analysis: Analysis) -> str:
    """The report.txt a person reads: what was seen, the verdict, why, and what to do."""
    res = analysis.result
    info = analysis.info
    out = [
        f"valgus report: {info.path.name if info.path else analysis.source}",
        "=" * 60,
        f"Video: {info.width}x{info.height}, {info.fps:.1f} fps, {analysis.n_frames} frames analysed, "
        f"person found in {analysis.n_detected}.",
        f"Camera view: {res.camera.view}" + (f" (about {res.camera.yaw_deg:.0f} deg from frontal)" if np.isfinite(res.camera.yaw_deg) else ""),
        f"Exercise: {res.exercise.replace('_', ' ')}; reps: {res.n_reps}",
        "",
        f"VERDICT: {res.verdict.upper()}",
    ]
    out += [f"  - {r}" for r in words.reasons(res)]
    out += [f"  ! {w}" for w in notices(analysis)]
    out += ["", "Reps (d = change from standing):", rep_table(res), ""]
    if res.legs:
        out += ["Per leg (means over the complete reps):", leg_table(res), ""]
    plan = words.plan(res)
    if plan:
        out += ["What to do: a hip-strengthening plan (3 sessions a week, 6-8 weeks)"]
        for k in words.PLAN_STAGES:
            out.append(f"  {k.capitalize()}: " + "; ".join(plan[k]))
        out += [f"  Note: {plan['note']}", ""]
    out += [
        "How to read this:",
        "  FPPA = frontal-plane projection angle, + = knee caving in (valgus). dFPPA = change from",
        "  your standing posture. knee/foot = knee position relative to the foot centre in leg",
        "  lengths (+ = knee inside the foot). width = knee width relative to standing (squats;",
        "  under 0.8 = the knees came together).",
        "  pelvis = pelvic drop change from standing (+ = free side lower), trunk = lean over the",
        "  stance leg. pelvis is for information only: the pose model's hip landmarks follow about",
        "  5-15 % of a true drop (docs/accuracy.md), so it never decides the verdict.",
        "  Measurement uncertainty is about +-6 deg on FPPA (SEM 3 deg + pipeline error 3 deg).",
        "  No hip internal rotation is given: " + words.HIP_ROTATION_WITHHELD.split(": ", 1)[1],
        "  This is a movement screen, not a diagnosis.",
    ]
    return "\n".join(out) + "\n"
