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
    """One line per rep: exercise, leg, time, depth, key values and flags."""
    reps = result.reps
    if not reps:
        return "no reps found"
    lines = [
        f"{'rep':>3}  {'exercise':<16} {'leg':<5} {'deepest':>7}  {'FPPA':>6} {'dFPPA':>6} "
        f"{'hipAdd':>6} {'knee/foot':>9} {'KASR':>5} {'pelvis':>6} {'trunk':>6}  valgus"
    ]
    for r in reps:
        for k, s in enumerate(r.legs):
            v = r.values[s]
            both = r.values.get("both", {})
            kasr = _f(both.get("knee_ankle_sep_ratio", float("nan")), "{:.2f}") if k == 0 else ""
            assessed = all(f.assessed for f in r.flags if f.name == "dynamic_knee_valgus")
            valg = (_CAT[r.worst("dynamic_knee_valgus")] if assessed else "n/a") if k == 0 else ""
            tag = f"{r.number}{'*' if r.partial else ''}" if k == 0 else ""
            ex = r.exercise if k == 0 else ""
            pel = _f(v["pelvic_drop_deg_change"]) if r.exercise != "squat" else "-"
            tr = _f(v["trunk_lean_deg_change"]) if r.exercise != "squat" else "-"
            lines.append(
                f"{tag:>3}  {ex:<16} {s:<5} {r.t_deepest:6.2f}s  {_f(v['fppa_deg']):>6} {_f(v['fppa_deg_change']):>6} "
                f"{_f(v['hip_adduction_deg']):>6} {_f(v['knee_medial_offset'], '{:+.2f}'):>9} {kasr:>5} {pel:>6} {tr:>6}  {valg}"
            )
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
    out += ["", "Reps (values at the deepest frame; d = change from standing):", rep_table(res), ""]
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
        "  lengths (+ = knee inside the foot). KASR = knee/ankle separation ratio (squats).",
        "  pelvis = pelvic drop change from standing (+ = free side lower), trunk = lean over the",
        "  stance leg. pelvis is for information only: the pose model's hip landmarks follow about",
        "  5-15 % of a true drop (docs/accuracy.md), so it never decides the verdict.",
        "  Measurement uncertainty is about +-6 deg on FPPA (SEM 3 deg + pipeline error 3 deg).",
        "  This is a movement screen, not a diagnosis.",
    ]
    return "\n".join(out) + "\n"
