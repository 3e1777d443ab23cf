"""The clip's verdict, as rules over the scored reps (decisions as data; words elsewhere).

In the spirit of the clinical single-leg-squat rating (Crossley et al. 2011, AJSM 39:866: trunk,
pelvis, hip, knee; a poor rating goes with weak hip abductors), checking foot signs before
blaming the hip (valgus can come from the foot up).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valgus.config import ThresholdConfig
from valgus.temporal.reps import Rep
from valgus.scoring.results import (
    CameraCheck,
    Finding,
    LegSummary,
    RepScore,
    VerdictKind,
    at_least,
    complete_reps,
    finding,
    left_right_fppa,
)

#: The hip-sign flags (Crossley 2011 'pelvis' and 'trunk').
HIP_SIGN_FLAGS = ("pelvic_drop", "trunk_lean")


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    findings: tuple[Finding, ...]
    plan_recommended: bool = False


def _count(judged: list[RepScore], reps: list[RepScore]) -> dict[str, int | bool]:
    return {"judged": len(judged), "total": len(reps), "all_partial": all(r.partial for r in judged)}


def verdict(reps: list[RepScore], camera: CameraCheck, th: ThresholdConfig) -> Verdict:
    """The verdict and the findings behind it, in the order they should be told."""
    if not camera.ok:
        return Verdict("cannot assess", camera.problems)
    full = complete_reps(reps)
    if not full:
        return Verdict("cannot assess", (finding("no_reps"),))
    out: list[Finding] = []
    count = _count(full, reps)
    valgus_reps = [r for r in full if at_least(r.worst("dynamic_knee_valgus"), "mild")]
    border = [r for r in full if r.worst("dynamic_knee_valgus") == "borderline"]
    shallow = [r for r in full if r.worst("shallow_depth") == "mild"]
    depth = ([finding("shallow", reps=[r.number for r in shallow], value=min(r.depth for r in shallow),
                      max_depth=max(r.depth for r in shallow))] if shallow else [])
    if not valgus_reps:
        out.append(finding("no_valgus", **count))
        out += depth
        if border:
            out.append(finding("borderline", reps=[r.number for r in border]))
        return Verdict("no valgus", tuple(out))
    out += depth
    out.append(finding("valgus_reps", reps=[r.number for r in valgus_reps],
                       legs=tuple(r.flagged_legs() for r in valgus_reps),
                       categories=tuple(r.worst("dynamic_knee_valgus") for r in valgus_reps), **count))
    hip: list[Finding] = []
    foot: list[Finding] = []
    for r in valgus_reps:
        for f in r.flags:
            if f.name in HIP_SIGN_FLAGS and f.assessed and at_least(f.category, "mild"):
                hip.append(finding("hip_flag", reps=[r.number], leg=f.leg, value=f.value, threshold=f.threshold,
                                   flag=f.name))
        for s, v in r.values.items():
            if s == "both":
                continue
            ch = v.get("hip_adduction_deg_change", float("nan"))
            if np.isfinite(ch) and ch >= th.hip_adduction_sign:
                hip.append(finding("hip_adduction", reps=[r.number], leg=s, value=ch, threshold=th.hip_adduction_sign))
            hl = v.get("heel_lift", float("nan"))
            if np.isfinite(hl) and hl >= th.heel_lift:
                foot.append(finding("heel_lift", reps=[r.number], leg=s, value=hl, threshold=th.heel_lift))
    if foot and not hip:
        return Verdict("knee valgus without hip signs", tuple(out + foot + [finding("foot_not_hip")]))
    if hip:
        out += hip
        if foot:
            out += foot + [finding("foot_also")]
        out.append(finding("hip_pattern"))
        return Verdict("knee valgus with hip signs", tuple(out), plan_recommended=True)
    out += [finding("hip_unclear"), finding("foot_posture_unjudged")]
    return Verdict("knee valgus without hip signs", tuple(out))


def asymmetry(legs: list[LegSummary], th: ThresholdConfig) -> list[Finding]:
    """Single-leg exercises whose left and right mean FPPA differ by at least ``th.asymmetry_deg``
    (the smallest detectable difference of 2D FPPA, 7.5-8.9 deg, Munro 2012)."""
    out = []
    for ex, (lf, rt) in left_right_fppa(legs).items():
        diff = lf - rt
        if abs(diff) >= th.asymmetry_deg:
            out.append(finding("asymmetry", leg="left" if diff > 0 else "right", value=abs(diff),
                               threshold=th.asymmetry_deg, exercise=ex, left=lf, right=rt))
    return out


def other_movement_finding(others: list[tuple[Rep, str]]) -> Finding | None:
    """One finding for the movements seen that are none of the three (never judged): how many,
    their kinds and media times; None when there are none."""
    if not others:
        return None
    kinds = sorted({k for _, k in others})
    return finding("other_movement", value=len(others), kinds=tuple(kinds),
                   times=tuple((round(r.t_start, 2), round(r.t_end, 2)) for r, _ in others))
