"""The person's standing values: the reference every change-from-standing is measured against.

Anatomy (a wide pelvis, genu valgum) is in the baseline, so changes from it are the dynamic part.
"""

from __future__ import annotations

import numpy as np

from valgus.config import RecognitionConfig
from valgus.landmarks import SIDES
from valgus.scoring.results import other_side
from valgus.scoring.signals import DepthSignals, nanmedian
from valgus.temporal.reps import Rep

#: Metrics that have a standing value.
BASELINE_KEYS = (
    "left_fppa_deg", "right_fppa_deg", "left_hip_adduction_deg", "right_hip_adduction_deg",
    "left_knee_medial_offset", "right_knee_medial_offset", "left_pelvic_drop_deg", "right_pelvic_drop_deg",
    "left_trunk_lean_deg", "right_trunk_lean_deg", "knee_ankle_sep_ratio", "knee_hip_sep_ratio",
)
#: Per-leg metrics with a standing value used by the flags besides ``BASELINE_KEYS``.
HEEL_KEYS = ("left_heel_rise", "right_heel_rise")

#: Suffix of the baseline keys measured standing on one leg (reference for single-leg tasks).
ONE_LEG = "_one_leg"


def before_first_rep(n: int, reps: list[Rep]) -> np.ndarray:
    """Frames before the first rep (all frames when the clip starts in a rep)."""
    before = np.zeros(n, dtype=bool)
    if reps and reps[0].start > 3:
        before[: reps[0].start] = True
    else:
        before[:] = True
    return before


def _prefer(candidates: np.ndarray, before_first: np.ndarray, min_frames: int = 3) -> np.ndarray:
    """``candidates`` before the first rep if there are enough of them, else anywhere."""
    early = candidates & before_first
    return early if early.sum() >= min_frames else candidates


def standing_baseline(metrics: dict[str, np.ndarray], reps: list[Rep], signals: DepthSignals,
                      rc: RecognitionConfig | None = None) -> dict[str, float]:
    """Median of each metric over the upright frames, standing on both feet, before the first rep,
    and for each leg also standing on that leg alone (keys ending in ``ONE_LEG``).

    Upright = hips within ``rc.upright_tolerance`` leg lengths of standing height. A leg's own
    values (FPPA, hip adduction, knee over foot) come from frames where that foot is on the floor:
    a lifted leg's angles say nothing about its standing alignment, and a set that switches legs
    starts with one foot up. The order of preference for each value: upright frames before the
    first rep with both feet down; upright with both feet down anywhere in the clip (e.g. the clip
    starts in a rep); for a leg's own values, upright with that foot down (a clip of single-leg
    squats on one leg that never puts the other foot down); failing all, the upright frames, then
    every frame. Pelvis and trunk use two-feet frames only when there are any (a level pelvis is
    the reference). Heel rise (``HEEL_KEYS``): frames before the first rep with neither foot up on
    a step, else the whole clip.
    """
    rc = rc or RecognitionConfig()
    drop = signals.drop
    n = len(drop)
    before = before_first_rep(n, reps)
    with np.errstate(invalid="ignore"):
        upright = np.abs(drop) < rc.upright_tolerance
        down = {s: np.nan_to_num(metrics[f"{s}_foot_raise"], nan=np.inf) < rc.foot_lift for s in SIDES}
    both = upright & down["left"] & down["right"]

    def pick(*cands: np.ndarray) -> np.ndarray:
        for c in cands:
            m = _prefer(c, before)
            if m.sum() >= 3:
                return m
        return upright if upright.sum() >= 3 else np.ones(n, dtype=bool)

    masks = {"both": pick(both)}
    for s in SIDES:
        masks[s] = pick(both, upright & down[s])
    out: dict[str, float] = {}
    for k in BASELINE_KEYS:
        side = k.split("_", 1)[0]
        leg_own = side in SIDES and not any(x in k for x in ("pelvic_drop", "trunk_lean"))
        out[k] = nanmedian(metrics[k][masks[side] if leg_own else masks["both"]])
    # Standing on one leg (that foot down, the other up, upright): the reference for single-leg
    # tasks, so the weight shift over the stance foot (several degrees of hip adduction) is not
    # read as the rep's own change. NaN when the clip has no such frames.
    for s in SIDES:
        one = _prefer(upright & down[s] & ~down[other_side(s)], before)
        for k in BASELINE_KEYS:
            if k.startswith(f"{s}_"):
                out[k + ONE_LEG] = nanmedian(metrics[k][one]) if one.sum() >= 3 else float("nan")
    heel_mask = before & signals.on_floor if reps and reps[0].start > 3 else np.zeros(n, dtype=bool)
    for k in HEEL_KEYS:
        out[k] = nanmedian(metrics[k][heel_mask]) if heel_mask.any() else nanmedian(metrics[k])
    return out


def standing_value(baseline: dict[str, float], side: str, key: str, exercise: str) -> float:
    """The standing value of ``{side}_{key}`` for a rep of ``exercise``: on that leg alone for the
    single-leg tasks when the clip has such frames, else on both feet."""
    b = baseline.get(f"{side}_{key}{ONE_LEG}", float("nan")) if exercise != "squat" else float("nan")
    if not np.isfinite(b):
        b = baseline.get(f"{side}_{key}", float("nan"))
    return b
