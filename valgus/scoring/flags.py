"""Per-rep values and flags: how far each measure went, and which category that is.

One place decides a category from a value: :func:`valgus_rule` gives the thresholds and
direction for each exercise, :func:`categorise` applies them, and :func:`knee_category` is what
the overlay and the live view colour a knee with, so picture and verdict cannot disagree.
Thresholds come from :class:`valgus.config.ThresholdConfig` (sources in its comments).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from valgus.config import Config, ThresholdConfig
from valgus.scoring.baseline import standing_value
from valgus.scoring.loaded import NO_PEAK, Peak, loaded_mask, worst
from valgus.scoring.results import CATEGORY_ORDER, Category, Flag, RepScore
from valgus.temporal.reps import Rep

#: Per-leg metrics summarised for each rep (value at the deepest frame, peak, standing, change).
REP_METRICS = ("fppa_deg", "hip_adduction_deg", "knee_medial_offset", "pelvic_drop_deg", "trunk_lean_deg",
               "knee_flexion_deg", "hip_internal_rotation_deg")

# Reported uncertainty of values that are not FPPA (not thresholds: they change no category).
TRUNK_LEAN_EXTRA_BAND_DEG = 2.0  # trunk lean: SEM plus 2 deg for the shoulder landmarks
KNEE_OFFSET_BAND = 0.02  # knee over foot, leg lengths (about the landmark jitter at 720p)
RATIO_BAND = 0.05  # knee width and depth ratios


@dataclass(frozen=True)
class Rule:
    """Thresholds for one measure: categories borderline < mild < marked (reversed when smaller
    is worse), the literature source and what the value is."""

    borderline: float
    mild: float
    marked: float | None
    source: str
    basis: str
    smaller_is_worse: bool = False


def categorise(value: float, rule: Rule) -> Category:
    """The category of ``value`` under ``rule`` (NaN: none)."""
    if not np.isfinite(value):
        return "none"
    if rule.smaller_is_worse:
        levels = ((rule.marked, "marked"), (rule.mild, "mild"), (rule.borderline, "borderline"))
        for lim, cat in levels:
            if lim is not None and value <= lim:
                return cat  # type: ignore[return-value]
        return "none"
    if rule.marked is not None and value >= rule.marked:
        return "marked"
    if value >= rule.mild:
        return "mild"
    if value >= rule.borderline:
        return "borderline"
    return "none"


def valgus_rule(exercise: str, th: ThresholdConfig) -> Rule:
    """The FPPA rule for a single-leg task, or for a squat the per-leg FPPA-change rule."""
    if exercise == "step_up":
        return Rule(th.stepup_fppa_borderline, th.stepup_fppa_mild, th.stepup_fppa_marked,
                    "step landing normal range (women 5-12, men 1-9 deg); RESEARCH.md", "FPPA at the deepest frame")
    if exercise == "squat":
        # bilateral: FPPA change from standing (the hip landmark makes raw FPPA unreliable)
        return Rule(th.sls_fppa_borderline, th.sls_fppa_mild, th.sls_fppa_marked,
                    "FPPA change from standing, single-leg squat thresholds (RESEARCH.md)",
                    "FPPA change from standing")
    mild = {"female": th.sls_fppa_mild_female, "male": th.sls_fppa_mild_male}.get(th.sex, th.sls_fppa_mild)
    return Rule(th.sls_fppa_borderline, mild, th.sls_fppa_marked,
                "single-leg squat FPPA: cut-off 6 deg for visible medial knee (Kinect, sens 0.86 spec 0.78); "
                "PFP men 9.8, PFP women 16.8 (Willson & Davis 2008)", "FPPA at the deepest frame")


def knee_width_rule(th: ThresholdConfig) -> Rule:
    return Rule(th.squat_knee_width_borderline, th.squat_knee_width_mild, th.squat_knee_width_marked,
                "knee width at the bottom vs standing (squat-form app flags < 0.70-0.80)",
                "knee width at the bottom relative to standing", smaller_is_worse=True)


def knee_category(exercise: str | None, th: ThresholdConfig, *, fppa: float, fppa_change: float,
                  knee_width_vs_standing: float = float("nan")) -> Category:
    """The valgus category of one knee in one frame, as the rep flags would judge it.

    Single-leg squat and step-up: FPPA against the exercise's (sex-aware) thresholds. Squat:
    the worse of the FPPA change from standing and the knee width against standing. Unknown
    exercise: judged as a single-leg squat.
    """
    if exercise == "squat":
        a = categorise(fppa_change, valgus_rule("squat", th))
        b = categorise(knee_width_vs_standing, knee_width_rule(th))
        return a if CATEGORY_ORDER[a] >= CATEGORY_ORDER[b] else b
    return categorise(fppa, valgus_rule(exercise or "single_leg_squat", th))


def _flag(name: str, value: float, rule: Rule, band: float, leg: str, assessed: bool = True) -> Flag:
    return Flag(name, categorise(value, rule), value, rule.mild, band, rule.source, rule.basis, leg, assessed)


def at_or_near(col: np.ndarray, i: int, sl: slice) -> float:
    """The value at frame ``i``; if it is not measurable there (e.g. the thigh points at the
    camera at the bottom of a deep squat), the value at the nearest measurable frame of the rep."""
    if np.isfinite(col[i]):
        return float(col[i])
    idx = np.arange(sl.start, sl.stop)
    ok = idx[np.isfinite(col[idx])]
    if ok.size == 0:
        return float("nan")
    return float(col[ok[np.argmin(np.abs(ok - i))]])


def rep_values(rep: Rep, exercise: str, legs: tuple[str, ...], metrics: dict[str, np.ndarray],
               baseline: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per leg: each of :data:`REP_METRICS` at the deepest frame, its peak over the rep, the
    standing value and the change from it; and the heel lift from standing."""
    i = rep.deepest
    sl = slice(rep.start, rep.end + 1)
    values: dict[str, dict[str, float]] = {}
    for s in legs:
        v: dict[str, float] = {}
        for key in REP_METRICS:
            col = metrics[f"{s}_{key}"]
            v[key] = at_or_near(col, i, sl)
            seg = col[sl]
            v[f"{key}_peak"] = float(np.nanmax(seg)) if np.isfinite(seg).any() else float("nan")
            b = standing_value(baseline, s, key, exercise)
            v[f"{key}_standing"] = b
            v[f"{key}_change"] = float(v[key] - b) if np.isfinite(b) else float("nan")
        v["heel_lift"] = float(metrics[f"{s}_heel_rise"][i] - baseline.get(f"{s}_heel_rise", float("nan")))
        values[s] = v
    return values


def _loaded(rep: Rep, exercise: str, legs: tuple[str, ...], metrics: dict[str, np.ndarray],
            values: dict[str, dict[str, float]], baseline: dict[str, float], config: Config,
            depth: np.ndarray | None) -> dict[str, dict[str, Peak]]:
    """Per leg, the loaded-phase worst of FPPA, its change from standing and the knee offset from
    the foot; written into ``values`` (``*_loaded``, with the time and knee flexion of the FPPA
    peak). For a squat also the narrowest knee width against standing (``values["both"]``)."""
    peaks: dict[str, dict[str, Peak]] = {}
    masks = {}
    for s in legs:
        m = loaded_mask(rep, exercise, s, metrics, depth, config)
        masks[s] = m
        v = values[s]
        standing = v["fppa_deg_standing"]
        p = {
            "fppa_deg": worst(metrics[f"{s}_fppa_deg"], rep, m, metrics, s),
            "fppa_deg_change": (worst(metrics[f"{s}_fppa_deg"], rep, m, metrics, s, offset=standing)
                                if np.isfinite(standing) else NO_PEAK),
            "knee_medial_offset": worst(metrics[f"{s}_knee_medial_offset"], rep, m, metrics, s),
        }
        peaks[s] = p
        for key, pk in p.items():
            v[f"{key}_loaded"] = pk.value
        key = "fppa_deg_change" if exercise == "squat" else "fppa_deg"
        v["loaded_peak_t"] = p[key].t
        v["loaded_peak_knee_flexion_deg"] = p[key].knee_flexion_deg
        v["loaded_frames"] = float(m.sum())
    if exercise == "squat":
        khsr0 = baseline.get("knee_hip_sep_ratio", float("nan"))
        both = masks["left"] | masks["right"]
        if np.isfinite(khsr0) and khsr0 > 0:
            w = worst(metrics["knee_hip_sep_ratio"] / khsr0, rep, both, metrics, "left", smaller_is_worse=True)
        else:
            w = NO_PEAK
        peaks["both"] = {"knee_width_vs_standing": w}
    return peaks


def score_rep(
    number: int, rep: Rep, exercise: str, side: str, metrics: dict[str, np.ndarray],
    baseline: dict[str, float], config: Config, *, assessed: bool = True, depth: np.ndarray | None = None,
) -> RepScore:
    """Values and flags of one rep. ``assessed=False`` (a view that cannot support a verdict)
    keeps the values but marks every flag not assessed. ``depth``: the clip's depth signal (for
    the loaded phase when there is no 3D knee flexion).

    The valgus flags (FPPA or its change from standing per knee, knee over the foot, knee width
    in a squat) judge each measure's worst value over the rep's loaded phase
    (:mod:`valgus.scoring.loaded`), or its value at the deepest frame when
    ``thresholds.valgus_phase = "deepest"``; both are in the rep's values.
    """
    th = config.thresholds
    i = rep.deepest
    legs = ("left", "right") if side == "both" else (side,)
    values = rep_values(rep, exercise, legs, metrics, baseline)
    peaks = _loaded(rep, exercise, legs, metrics, values, baseline, config, depth)
    use_loaded = th.valgus_phase == "loaded"

    def judged(leg: str, key: str, deepest_value: float) -> tuple[float, str]:
        pk = peaks[leg][key].value
        if use_loaded and np.isfinite(pk):
            return pk, "worst over the loaded phase"
        return deepest_value, "at the deepest frame"

    flags: list[Flag] = []
    band_deg = th.sem_deg + th.pipeline_error_deg
    for s in legs:
        v = values[s]
        if exercise == "squat":
            val, when = judged(s, "fppa_deg_change", v["fppa_deg_change"])
            f = _flag("dynamic_knee_valgus", val, valgus_rule("squat", th), band_deg, s)
            flags.append(replace(f, basis=f"{s} FPPA change from standing, {when}"))
        else:
            val, when = judged(s, "fppa_deg", v["fppa_deg"])
            f = _flag("dynamic_knee_valgus", val, valgus_rule(exercise, th), band_deg, s)
            flags.append(replace(f, basis=f"FPPA, {when}"))
            ch_drop = v["pelvic_drop_deg_change"] if np.isfinite(v["pelvic_drop_deg_change"]) else v["pelvic_drop_deg"]
            drop_rule = Rule(th.pelvic_drop_borderline, th.pelvic_drop_mild, None,
                             "contralateral pelvic drop, change from standing (Bramah 2018; Crossley 2011 'pelvis')"
                             + ("" if th.pelvic_drop_in_verdict else
                                "; informational: MediaPipe's hip landmarks follow about 5-15 % of a true drop "
                                "(benchmarks/pelvic_drop.json)"), "pelvic drop change from standing")
            flags.append(_flag("pelvic_drop", ch_drop, drop_rule, band_deg, s, th.pelvic_drop_in_verdict))
            ch_lean = v["trunk_lean_deg_change"] if np.isfinite(v["trunk_lean_deg_change"]) else v["trunk_lean_deg"]
            lean_rule = Rule(th.trunk_lean_borderline, th.trunk_lean_mild, None,
                             "lateral trunk lean over the stance leg (Crossley 2011 'trunk')",
                             "trunk lean change from standing")
            flags.append(_flag("trunk_lean", ch_lean, lean_rule, TRUNK_LEAN_EXTRA_BAND_DEG + th.sem_deg, s))
        foot_rule = Rule(th.knee_over_foot_borderline, th.knee_over_foot_mild, None,
                         "knee centre over or medial to the big toe (BMC SSMR 2021; Ageberg 2010)",
                         "knee offset from the foot centre, leg lengths")
        val, when = judged(s, "knee_medial_offset", v["knee_medial_offset"])
        flags.append(replace(_flag("knee_medial_to_foot", val, foot_rule, KNEE_OFFSET_BAND, s),
                             basis=f"knee offset from the foot centre, leg lengths, {when}"))
    if exercise == "squat":
        # Depth: with thigh and shank each about half a leg long, hips at knee height (thighs
        # parallel) are ~0.55 leg lengths below standing; under 0.20 (~70 deg knee flexion) is a
        # partial squat (informational; not part of the valgus verdict).
        flags.append(Flag("shallow_depth", "mild" if rep.depth < th.squat_shallow_depth else "none",
                          float(rep.depth), th.squat_shallow_depth, RATIO_BAND,
                          "body proportions: 70 deg knee flexion ~0.2, thighs parallel ~0.55 leg lengths of hip drop",
                          "hip drop at the deepest frame, leg lengths", "both"))
        kasr = float(metrics["knee_ankle_sep_ratio"][i])
        khsr = float(metrics["knee_hip_sep_ratio"][i])
        khsr0 = baseline.get("knee_hip_sep_ratio", float("nan"))
        width = khsr / khsr0 if np.isfinite(khsr0) and khsr0 > 0 else float("nan")
        wpk = peaks["both"]["knee_width_vs_standing"]
        values["both"] = {"knee_ankle_sep_ratio": kasr, "knee_hip_sep_ratio": khsr,
                          "knee_width_vs_standing": width, "knee_width_vs_standing_loaded": wpk.value,
                          "knee_width_loaded_t": wpk.t,
                          "fppa_asymmetry_deg": float(values["left"]["fppa_deg"] - values["right"]["fppa_deg"])}
        val, when = judged("both", "knee_width_vs_standing", width)
        flags.append(replace(_flag("dynamic_knee_valgus", val, knee_width_rule(th), RATIO_BAND, "both"),
                             basis=f"knee width relative to standing, {when}"))
    if not assessed:
        flags = [replace(f, assessed=False) for f in flags]
    return RepScore(
        number=number, exercise=exercise, working_leg=side, t_start=rep.t_start, t_deepest=rep.t_deepest,
        t_end=rep.t_end, frame_start=int(metrics["frame"][rep.start]), frame_deepest=int(metrics["frame"][i]),
        frame_end=int(metrics["frame"][rep.end]), partial=rep.partial, depth=float(rep.depth),
        values=values, flags=flags,
    )
