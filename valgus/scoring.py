"""Exercise recognition, per-rep scores, flags, camera check and the hip-weakness verdict.

Pure NumPy over the per-frame metrics (``valgus.metrics``) and the subject's landmark track.
Every flag carries the measured value, the threshold, its source and an uncertainty band.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from valgus.config import Config, ThresholdConfig
from valgus.landmarks import LM, SIDES, Side, leg
from valgus.reps import Rep, segment_reps

log = logging.getLogger(__name__)

Exercise = Literal["squat", "single_leg_squat", "step_up"]
EXERCISES: tuple[str, ...] = ("squat", "single_leg_squat", "step_up")
Category = Literal["none", "borderline", "mild", "marked"]
_ORDER = {"none": 0, "borderline": 1, "mild": 2, "marked": 3}

BAL_T = 0.35  # balance below this (or above 1 - this): single-leg stance
SIDES_ = ("left", "right")
LIFT_T = 0.08  # leg lengths: a foot this far above the floor line is off the floor
STEP_T = 0.12  # leg lengths: a foot this far above the floor line is on the step

STRENGTH_PLAN = {
    "activation": ["clamshells 2x15 each side", "side-lying hip abduction 2x15 each side"],
    "strength": ["single-leg deadlift 3x10 each leg", "hip thrusts 3x12"],
    "function": ["lateral band walks 2x20 steps each way", "step-ups 3x10 each leg"],
    "note": (
        "This is a movement screen, not a diagnosis. See a physiotherapist or doctor if you have "
        "knee or hip pain, swelling, giving way, or if the pattern does not improve after 6-8 "
        "weeks of training."
    ),
}


@dataclass(frozen=True)
class Flag:
    """One finding on one rep and leg."""

    name: str  # dynamic_knee_valgus | knee_medial_to_foot | pelvic_drop | trunk_lean
    category: Category
    value: float
    threshold: float  # the 'mild' threshold the value is compared with
    band: float  # +- uncertainty of the value
    source: str
    basis: str  # what the value is (e.g. "FPPA change from standing")
    leg: str = "both"  # the leg the finding is about: left, right or both
    # False when the camera view cannot support the finding, or the measurement did not pass
    # validation (pelvic drop, see ThresholdConfig.pelvic_drop_in_verdict): reported, not used.
    assessed: bool = True


@dataclass
class RepScore:
    """A scored rep."""

    number: int
    exercise: str
    working_leg: str  # "left", "right" or "both"
    t_start: float
    t_deepest: float
    t_end: float
    frame_start: int
    frame_deepest: int
    frame_end: int
    partial: bool
    depth: float  # leg lengths below standing at the deepest frame
    values: dict[str, dict[str, float]]  # leg -> metric -> value (at deepest, peak, raw, change)
    flags: list[Flag] = field(default_factory=list)

    def worst(self, name: str, leg: str | None = None) -> Category:
        """The worst category of flag ``name`` (for ``leg``, counting flags about both legs)."""
        cats = [f.category for f in self.flags
                if f.assessed and f.name == name and (leg is None or f.leg in (leg, "both"))]
        return max(cats, key=lambda c: _ORDER[c]) if cats else "none"


@dataclass
class CameraCheck:
    """Whether the view supports a frontal-plane verdict."""

    view: str  # frontal | oblique | side | unknown
    yaw_deg: float
    ok: bool
    reasons: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LegSummary:
    """One leg's complete reps of one exercise, averaged (for left-right comparison)."""

    exercise: str
    leg: str  # "left" or "right"
    n_reps: int
    fppa_deg: float  # mean FPPA at the deepest frames
    fppa_deg_change: float  # mean change from standing
    knee_medial_offset: float  # mean knee offset from the foot, leg lengths
    valgus_reps: int  # reps with an assessed mild-or-worse valgus flag on this leg

    def __post_init__(self) -> None:
        if self.leg not in ("left", "right"):
            raise ValueError(f"leg must be left or right, got {self.leg!r}")
        if self.n_reps < 1 or not 0 <= self.valgus_reps <= self.n_reps:
            raise ValueError(f"bad rep counts: {self.n_reps} reps, {self.valgus_reps} with valgus")


def leg_summaries(reps: list["RepScore"]) -> list[LegSummary]:
    """Per exercise and leg, the mean of the complete reps' values (a bilateral squat counts for
    both legs; a single-leg squat or step-up for its working leg)."""
    groups: dict[tuple[str, str], list[RepScore]] = {}
    for r in reps:
        if r.partial:
            continue
        for leg in (("left", "right") if r.working_leg == "both" else (r.working_leg,)):
            groups.setdefault((r.exercise, leg), []).append(r)
    out = []
    for (ex, leg), rs in sorted(groups.items()):
        def mean(key: str) -> float:
            v = np.array([r.values[leg].get(key, np.nan) for r in rs], dtype=np.float64)
            return float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")

        n_valgus = sum(_ORDER[r.worst("dynamic_knee_valgus", leg)] >= _ORDER["mild"] for r in rs)
        out.append(LegSummary(ex, leg, len(rs), mean("fppa_deg"), mean("fppa_deg_change"),
                              mean("knee_medial_offset"), n_valgus))
    return out


def left_right_fppa(legs: list[LegSummary]) -> dict[str, tuple[float, float]]:
    """Exercise -> (left, right) mean FPPA, for the single-leg exercises done on both legs.

    Single-leg tasks only: in a bilateral squat raw FPPA from MediaPipe's hip landmark is not the
    valgus measure (it reads far negative at depth on real clips, RESEARCH.md; knee width is).
    """
    by = {(x.exercise, x.leg): x.fppa_deg for x in legs}
    out = {}
    for ex in sorted({x.exercise for x in legs} - {"squat"}):
        lf, rt = by.get((ex, "left"), np.nan), by.get((ex, "right"), np.nan)
        if np.isfinite(lf) and np.isfinite(rt):
            out[ex] = (lf, rt)
    return out


def asymmetry_reasons(legs: list[LegSummary], th: ThresholdConfig) -> list[str]:
    """Plain-word lines for single-leg exercises whose left and right mean FPPA differ by at least
    ``th.asymmetry_deg`` (the smallest detectable difference of 2D FPPA, Munro 2012)."""
    out = []
    for ex, (lf, rt) in left_right_fppa(legs).items():
        diff = lf - rt
        if abs(diff) >= th.asymmetry_deg:
            worse = "left" if diff > 0 else "right"
            out.append(
                f"{ex.replace('_', ' ')}: the {worse} knee caves more (mean FPPA left {lf:+.1f}, "
                f"right {rt:+.1f} deg; a {abs(diff):.1f}-deg difference is beyond the "
                f"{th.asymmetry_deg:g}-deg smallest detectable difference, Munro 2012)"
            )
    return out


@dataclass
class ClipResult:
    """Reps, camera check and the verdict for one clip."""

    exercise: str
    reps: list[RepScore]
    camera: CameraCheck
    baseline: dict[str, float]
    verdict: str  # "knee valgus with hip signs" | "knee valgus without hip signs" | "no valgus" | "cannot assess"
    reasons: list[str]
    plan: dict[str, Any] | None
    legs: list[LegSummary] = field(default_factory=list)  # per exercise and leg, complete reps

    def summary(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "n_reps": len([r for r in self.reps if not r.partial]),
            "verdict": self.verdict,
            "reasons": self.reasons,
            "camera": asdict(self.camera),
            "legs": [asdict(x) for x in self.legs],
        }

    def to_dict(self, config: Config | None = None) -> dict[str, Any]:
        d = {
            "exercise": self.exercise,
            "verdict": self.verdict,
            "reasons": self.reasons,
            "strength_plan": self.plan,
            "camera": asdict(self.camera),
            "baseline": self.baseline,
            "legs": [asdict(x) for x in self.legs],
            "reps": [asdict(r) for r in self.reps],
        }
        if config is not None:
            d["config"] = config.to_dict()
        return d


# ---------------------------------------------------------------------------------------------
# signals


def _nanmedian(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def depth_signals(metrics: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Scale-free signals for rep finding.

    ``H`` = hip height above the floor line (leg lengths). Standing height ``H0`` is its 90th
    percentile over the frames with neither foot up on a step (squat frames are among them, hence
    the upper percentile).
    ``drop = H0 - H`` (squats, single-leg squats), ``rise = H - H0`` (step-ups).
    """
    H = metrics["hip_above_floor"]
    fl, fr = metrics["left_foot_raise"], metrics["right_foot_raise"]
    with np.errstate(invalid="ignore"):
        on_floor = (fl < STEP_T) & (fr < STEP_T)  # neither foot up on a step
    ref = H[on_floor & np.isfinite(H)]
    if ref.size < 5:
        ref = H[np.isfinite(H)]
    h0 = float(np.percentile(ref, 90)) if ref.size else float("nan")
    both_down = on_floor
    return {"drop": h0 - H, "rise": H - h0, "both_down": both_down, "h0": np.array(h0)}


def stance_of(metrics: dict[str, np.ndarray], sl: slice) -> Side | None:
    """The stance leg if the subject stands on one leg for most of ``sl``, else None.

    Decided by balance (the trunk centre towards one ankle: median over the rep < 0.35 left,
    > 0.65 right; a double-leg squat stays near 0.5), because in single-leg stance the centre of
    mass must be over the stance foot; failing that, by a foot held clearly off the floor (foot
    raise > 0.08 leg lengths) for most of the frames.
    """
    bal = metrics["balance"][sl]
    bal = bal[np.isfinite(bal)]
    if bal.size:
        med = float(np.median(bal))
        if med < BAL_T:
            return "left"
        if med > 1.0 - BAL_T:
            return "right"
    fl, fr = metrics["left_foot_raise"][sl], metrics["right_foot_raise"][sl]
    with np.errstate(invalid="ignore"):
        up_l = np.nanmean(fl > LIFT_T) if np.isfinite(fl).any() else 0.0
        up_r = np.nanmean(fr > LIFT_T) if np.isfinite(fr).any() else 0.0
    if max(up_l, up_r) >= 0.5 and abs(up_l - up_r) >= 0.3:
        return "right" if up_l > up_r else "left"
    return None


def find_reps(
    t: np.ndarray, metrics: dict[str, np.ndarray], config: Config, exercise: str | None = None
) -> list[tuple[Rep, str, str]]:
    """Find reps and name each: ``(rep, exercise, working_leg)``."""
    sig = depth_signals(metrics)
    rc = config.reps
    kw = dict(
        min_depth=rc.min_depth, start_fraction=rc.start_fraction, end_fraction=rc.end_fraction,
        min_duration_s=rc.min_duration_s, max_duration_s=rc.max_duration_s,
    )
    out: list[tuple[Rep, str, str]] = []
    if exercise in (None, "squat", "single_leg_squat"):
        for rep in segment_reps(t, sig["drop"], **kw):
            side = stance_of(metrics, slice(rep.start, rep.end + 1))
            ex = exercise or ("single_leg_squat" if side else "squat")
            if ex == "single_leg_squat" and side is None:
                b = metrics["balance"][rep.deepest]
                side = "right" if np.isfinite(b) and b > 0.5 else "left"
            out.append((rep, ex, side if ex == "single_leg_squat" else "both"))
    if exercise in (None, "step_up"):
        for rep in segment_reps(t, sig["rise"], **kw):
            lead = _lead_leg(metrics, rep)
            if exercise is None and (lead is None or not _on_step_long_enough(metrics, lead, rep)):
                continue  # hips rose without a foot on a step: not a step-up (e.g. a jump)
            lead = lead or "left"
            deepest, start = _stepup_deepest(metrics, lead, rep, sig["rise"])
            rep = Rep(start, deepest, rep.end, float(t[start]), float(t[deepest]), rep.t_end,
                      float(rep.depth), rep.partial)
            out.append((rep, "step_up", lead))
    # Deeper than a body can go (RepConfig.max_depth): not an exercise rep.
    out = [x for x in out if not (x[0].depth > rc.max_depth)]
    if exercise is None:
        # The hips cannot be below standing (a squat) and carried up onto a step at once: a
        # step-up whose loaded frame falls inside a squat or single-leg squat is a misreading
        # (on a real clip, a free foot slid forward looked lower than the stance foot, so the
        # stance foot seemed to stand on a step).
        squats = [r for r, ex, _ in out if ex != "step_up"]
        out = [x for x in out if x[1] != "step_up" or not any(q.start <= x[0].deepest <= q.end for q in squats)]
    out.sort(key=lambda x: x[0].t_start)
    return out


def _lead_leg(metrics: dict[str, np.ndarray], rep: Rep) -> Side | None:
    """The foot that is on the step first during (or just before) the rise."""
    fl, fr = metrics["left_foot_raise"], metrics["right_foot_raise"]
    lo = max(0, rep.start - int(0.5 * max(1, rep.deepest - rep.start)))
    for i in range(lo, rep.end + 1):
        l_up = np.isfinite(fl[i]) and fl[i] > STEP_T
        r_up = np.isfinite(fr[i]) and fr[i] > STEP_T
        if l_up != r_up:
            return "left" if l_up else "right"
        if l_up and r_up:
            return "left" if fl[i] >= fr[i] else "right"
    return None


def _on_step_long_enough(metrics: dict[str, np.ndarray], lead: Side, rep: Rep, fraction: float = 0.5) -> bool:
    """A step-up keeps the lead foot on the step for most of the rise."""
    r = metrics[f"{lead}_foot_raise"][rep.start : rep.end + 1]
    r = r[np.isfinite(r)]
    return bool(r.size) and float(np.mean(r > STEP_T)) >= fraction


def _stepup_deepest(metrics: dict[str, np.ndarray], lead: Side, rep: Rep, rise: np.ndarray) -> tuple[int, int]:
    """The loaded frame of a step-up and the rep's true start.

    The lead foot goes onto the step before the hips rise, so the search runs from the moment the
    lead foot left the floor (walking back from the rise) to the top of the rise. The loaded frame
    is the first one where the lead leg carries the body: lead foot on the step and the trailing
    foot off the floor (its lead knee is then at its most bent under load). Without such a frame,
    the frame with the hips closest to the lead foot. Returns ``(deepest, start)``.
    """
    raise_lead = metrics[f"{lead}_foot_raise"]
    raise_trail = metrics[f"{'right' if lead == 'left' else 'left'}_foot_raise"]
    H = metrics["hip_above_floor"]
    seg = rise[rep.start : rep.end + 1]
    top = rep.start + (int(np.nanargmax(seg)) if np.isfinite(seg).any() else 0)
    a = rep.start
    t = metrics["time_s"]
    # walk back while the lead foot is up, at most 2 s (a foot that merely looks higher, e.g.
    # from perspective, must not stretch the rep back to the start of the clip)
    while a > 0 and np.isfinite(raise_lead[a - 1]) and raise_lead[a - 1] > LIFT_T and t[rep.start] - t[a - 1] <= 2.0:
        a -= 1
    idx = np.arange(a, top + 1)
    on_step = np.isfinite(raise_lead[idx]) & (raise_lead[idx] > STEP_T)
    # The trailing foot is off the floor when its ankle is LIFT_T above it: heel rise at push-off
    # lifts the ankle 0.04-0.05 leg lengths while the toes are still down (rendered step-ups), and
    # a lower cut picked that moment, before the lead leg carries the body.
    with np.errstate(invalid="ignore"):
        loaded = on_step & (raise_trail[idx] > LIFT_T)
    if loaded.any():
        return int(idx[int(np.argmax(loaded))]), int(a)
    hip_over_lead = H[idx] - raise_lead[idx]
    score = np.where(on_step & np.isfinite(hip_over_lead), -hip_over_lead, -np.inf)
    if not np.isfinite(score).any():
        return rep.deepest, rep.start
    return int(idx[int(np.argmax(score))]), int(a)


# ---------------------------------------------------------------------------------------------
# baseline and camera


BASELINE_KEYS = (
    "left_fppa_deg", "right_fppa_deg", "left_hip_adduction_deg", "right_hip_adduction_deg",
    "left_knee_medial_offset", "right_knee_medial_offset", "left_pelvic_drop_deg", "right_pelvic_drop_deg",
    "left_trunk_lean_deg", "right_trunk_lean_deg", "knee_ankle_sep_ratio", "knee_hip_sep_ratio",
)


#: Suffix of the baseline keys measured standing on one leg (reference for single-leg tasks).
ONE_LEG = "_one_leg"


def _baseline_mask(candidates: np.ndarray, before_first: np.ndarray, min_frames: int = 3) -> np.ndarray:
    """``candidates`` before the first rep if there are enough of them, else anywhere."""
    early = candidates & before_first
    return early if early.sum() >= min_frames else candidates


def standing_baseline(metrics: dict[str, np.ndarray], reps: list[Rep], extra: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """Median of each metric over the upright frames, standing on both feet, before the first rep,
    and for each leg also standing on that leg alone (keys ending in ``ONE_LEG``).

    Anatomy (a wide pelvis, genu valgum) is in the baseline, so changes from it are the dynamic
    part. Upright = hips within 0.03 leg lengths of standing height. A leg's own values (FPPA, hip
    adduction, knee over foot) come from frames where that foot is on the floor: a lifted leg's
    angles say nothing about its standing alignment, and a set that switches legs starts with one
    foot up. The order of preference for each value: upright frames before the first rep with both
    feet down; upright with both feet down anywhere in the clip (e.g. the clip starts in a rep);
    for a leg's own values, upright with that foot down (a clip of single-leg squats on one leg
    that never puts the other foot down); failing all, the upright frames, then every frame.
    Pelvis and trunk use two-feet frames only when there are any (a level pelvis is the reference).
    """
    sig = depth_signals(metrics)
    drop = sig["drop"]
    n = len(drop)
    before = np.zeros(n, dtype=bool)
    if reps and reps[0].start > 3:
        before[: reps[0].start] = True
    else:
        before[:] = True
    with np.errstate(invalid="ignore"):
        upright = np.abs(drop) < 0.03
        down = {s: np.nan_to_num(metrics[f"{s}_foot_raise"], nan=np.inf) < LIFT_T for s in SIDES_}
    both = upright & down["left"] & down["right"]

    def pick(*cands: np.ndarray) -> np.ndarray:
        for c in cands:
            m = _baseline_mask(c, before)
            if m.sum() >= 3:
                return m
        return upright if upright.sum() >= 3 else np.ones(n, dtype=bool)

    masks = {"both": pick(both)}
    for s in SIDES_:
        masks[s] = pick(both, upright & down[s])
    src = dict(metrics)
    if extra:
        src.update(extra)
    out: dict[str, float] = {}
    for k in list(BASELINE_KEYS) + list(extra or {}):
        side = k.split("_", 1)[0]
        leg_own = side in SIDES_ and not any(x in k for x in ("pelvic_drop", "trunk_lean"))
        out[k] = _nanmedian(src[k][masks[side] if leg_own else masks["both"]])
    # Standing on one leg (that foot down, the other up, upright): the reference for single-leg
    # tasks, so the weight shift over the stance foot (several degrees of hip adduction) is not
    # read as the rep's own change. NaN when the clip has no such frames.
    for s in SIDES_:
        o = "right" if s == "left" else "left"
        one = _baseline_mask(upright & down[s] & ~down[o], before)
        for k in BASELINE_KEYS:
            if k.startswith(f"{s}_"):
                out[k + ONE_LEG] = _nanmedian(src[k][one]) if one.sum() >= 3 else float("nan")
    return out


def estimate_yaw(world: np.ndarray, frames: np.ndarray) -> float:
    """Camera yaw from world landmarks: angle of the hip and shoulder lines out of the image plane.

    0 = subject square to the camera (frontal), 90 = side view. Median over ``frames``.
    """
    def line_yaw(a: int, b: int) -> np.ndarray:
        d = world[frames, a] - world[frames, b]
        return np.degrees(np.arctan2(np.abs(d[:, 2]), np.abs(d[:, 0])))

    y = np.concatenate([line_yaw(LM.LEFT_HIP, LM.RIGHT_HIP), line_yaw(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)])
    return _nanmedian(y)


def width_ratio(xy: np.ndarray, frames: np.ndarray) -> float:
    """Shoulder width / trunk length in the image (about 0.6-0.8 frontal, < 0.3 side on)."""
    sh = np.linalg.norm(xy[frames, LM.LEFT_SHOULDER] - xy[frames, LM.RIGHT_SHOULDER], axis=-1)
    mid_s = 0.5 * (xy[frames, LM.LEFT_SHOULDER] + xy[frames, LM.RIGHT_SHOULDER])
    mid_h = 0.5 * (xy[frames, LM.LEFT_HIP] + xy[frames, LM.RIGHT_HIP])
    trunk = np.linalg.norm(mid_s - mid_h, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _nanmedian(sh / trunk)


def camera_check(
    analysis: Any, config: Config, reps: list[tuple[Rep, str, str]] | None = None,
    signals: dict[str, np.ndarray] | None = None,
) -> CameraCheck:
    """Frontal, oblique or side; feet in view; frame rate; subject size.

    Legs in view are judged where they are measured: over the frames of ``reps`` (``(rep,
    exercise, working leg)``), the working leg(s) only (the free foot of a single-leg squat,
    held behind the stance leg, is hidden from a front camera by design); without reps, both legs
    over the whole clip. ``signals``: :func:`depth_signals` of the metrics, if already computed.
    """
    cc = config.camera
    tr = analysis.track
    m = analysis.metrics
    det = np.flatnonzero(tr.detected)
    reasons: list[str] = []
    fixes: list[str] = []
    warnings: list[str] = []
    if det.size == 0:
        return CameraCheck("unknown", float("nan"), False, ["no person in view"], ["stand in front of the camera"])
    # The view is a property of the set-up: judge it on the upright frames (in a rep the pelvis
    # and trunk may turn, which is movement, not camera). On the rendered grid this also keeps
    # reps from inflating the estimate (a caving real squat read 12.9 over all frames, 9.2 upright).
    # Upright: hips within half the smallest rep depth of standing height.
    with np.errstate(invalid="ignore"):
        upright = np.abs((signals or depth_signals(m))["drop"]) < 0.5 * config.reps.min_depth
    still = np.flatnonzero(tr.detected & upright)
    view_frames = still if still.size >= 5 else det
    yaw = estimate_yaw(tr.world, view_frames)
    wr = width_ratio(tr.xy, view_frames)
    if (np.isfinite(yaw) and yaw >= cc.side_yaw_deg) or (np.isfinite(wr) and wr < 0.3):
        view = "side"
    elif np.isfinite(yaw) and yaw > cc.max_yaw_deg:
        view = "oblique"
    else:
        view = "frontal"
    if view != "frontal":
        reasons.append(f"the camera sees the subject from the {view} (about {yaw:.0f} degrees from frontal)")
        fixes.append("face the camera squarely (camera straight in front, at knee to hip height)")
    n = len(tr)
    need = np.zeros((n, 2), dtype=bool)  # legs that must be seen: [left, right]
    for rep, _ex, side in reps or []:
        cols = [0, 1] if side == "both" else [SIDES.index(side)]
        need[rep.start : rep.end + 1, cols] = True
    where = "of the rep frames"
    if not need.any():
        need[:] = True
        where = "of frames"
    minv = config.pose.min_visibility
    with np.errstate(invalid="ignore"):
        hidden = np.stack([m["left_visibility"] < minv, m["right_visibility"] < minv], axis=1)
    outside = np.array(["feet_out_of_frame" in f for f in m["flags"]])
    bad = ((hidden & need).any(axis=1) | outside) & need.any(axis=1)
    judged = need.any(axis=1) & tr.detected
    frac = float(bad[judged].mean()) if judged.any() else 0.0
    if frac > cc.max_out_of_frame:
        reasons.append(f"feet or knees out of view in {frac:.0%} {where}")
        fixes.append("step back or tilt the camera so your whole body, feet included, is in view")
    fps = analysis.info.fps / max(1, config.video.stride)
    if config.video.max_fps:
        fps = min(fps, config.video.max_fps)
    if fps < cc.min_fps:
        warnings.append(f"only {fps:.1f} frames per second: the deepest point of fast reps may be missed")
    from valgus.metrics import standing_leg_length

    leg_px = standing_leg_length(tr.xy)
    if np.isfinite(leg_px) and leg_px < cc.min_leg_fraction * analysis.info.height:
        reasons.append(f"the subject is small in the picture (leg {leg_px:.0f} px of {analysis.info.height} px)")
        fixes.append("move the camera closer so your body fills most of the frame height")
    several = analysis.frames_with_several_people
    said = any("several people" in w for w in getattr(analysis, "warnings", []) or [])
    if several > 0.1 * len(tr) and not said:  # the pipeline's own warning already says it
        warnings.append(f"{several} frames show more than one person; the one most fully in view was followed")
    return CameraCheck(view, yaw, not reasons, reasons, fixes, warnings)


# ---------------------------------------------------------------------------------------------
# flags


def _categorise(value: float, borderline: float, mild: float, marked: float | None = None) -> Category:
    if not np.isfinite(value):
        return "none"
    if marked is not None and value >= marked:
        return "marked"
    if value >= mild:
        return "mild"
    if value >= borderline:
        return "borderline"
    return "none"


def _categorise_below(value: float, borderline: float, mild: float, marked: float) -> Category:
    """For ratios where smaller is worse."""
    if not np.isfinite(value):
        return "none"
    if value <= marked:
        return "marked"
    if value <= mild:
        return "mild"
    if value <= borderline:
        return "borderline"
    return "none"


def _valgus_flag_unilateral(ex: str, fppa: float, th: ThresholdConfig, leg: str) -> Flag:
    band = th.sem_deg + th.pipeline_error_deg
    if ex == "step_up":
        b, mi, ma = th.stepup_fppa_borderline, th.stepup_fppa_mild, th.stepup_fppa_marked
        src = "step landing normal range (women 5-12, men 1-9 deg); RESEARCH.md"
    else:
        mi = {"female": th.sls_fppa_mild_female, "male": th.sls_fppa_mild_male}.get(th.sex, th.sls_fppa_mild)
        b, ma = th.sls_fppa_borderline, th.sls_fppa_marked
        src = ("single-leg squat FPPA: cut-off 6 deg for visible medial knee (Kinect, sens 0.86 spec 0.78); "
               "PFP men 9.8, PFP women 16.8 (Willson & Davis 2008)")
    return Flag("dynamic_knee_valgus", _categorise(fppa, b, mi, ma), fppa, mi, band, src, "FPPA at the deepest frame", leg)


def _at_or_near(col: np.ndarray, i: int, sl: slice) -> float:
    """The value at frame ``i``; if it is not measurable there (e.g. the thigh points at the
    camera at the bottom of a deep squat), the value at the nearest measurable frame of the rep."""
    if np.isfinite(col[i]):
        return float(col[i])
    idx = np.arange(sl.start, sl.stop)
    ok = idx[np.isfinite(col[idx])]
    if ok.size == 0:
        return float("nan")
    return float(col[ok[np.argmin(np.abs(ok - i))]])


def score_rep(
    number: int, rep: Rep, exercise: str, side: str, metrics: dict[str, np.ndarray],
    baseline: dict[str, float], extra: dict[str, np.ndarray], th: ThresholdConfig,
) -> RepScore:
    """Values and flags of one rep."""
    i = rep.deepest
    sl = slice(rep.start, rep.end + 1)
    legs: list[Side] = list(SIDES) if side == "both" else [side]  # type: ignore[list-item]
    values: dict[str, dict[str, float]] = {}
    flags: list[Flag] = []
    band_deg = th.sem_deg + th.pipeline_error_deg
    for s in legs:
        v: dict[str, float] = {}
        for key in ("fppa_deg", "hip_adduction_deg", "knee_medial_offset", "pelvic_drop_deg", "trunk_lean_deg",
                    "knee_flexion_deg", "hip_internal_rotation_deg", "hip_ir_confidence"):
            col = metrics[f"{s}_{key}"]
            v[key] = _at_or_near(col, i, sl)
            seg = col[sl]
            v[f"{key}_peak"] = float(np.nanmax(seg)) if np.isfinite(seg).any() else float("nan")
            b = baseline.get(f"{s}_{key}{ONE_LEG}", float("nan")) if exercise != "squat" else float("nan")
            if not np.isfinite(b):
                b = baseline.get(f"{s}_{key}", float("nan"))
            v[f"{key}_standing"] = b
            v[f"{key}_change"] = float(v[key] - b) if np.isfinite(b) else float("nan")
        v["heel_lift"] = float(extra[f"{s}_heel_lift"][i])
        values[s] = v
        if exercise == "squat":
            # bilateral: FPPA change from standing (the hip landmark makes raw FPPA unreliable)
            ch = v["fppa_deg_change"]
            cat = _categorise(ch, th.sls_fppa_borderline, th.sls_fppa_mild, th.sls_fppa_marked)
            flags.append(Flag(f"dynamic_knee_valgus", cat, ch, th.sls_fppa_mild, band_deg,
                              "FPPA change from standing, single-leg squat thresholds (RESEARCH.md)",
                              f"{s} FPPA change from standing", s))
        else:
            flags.append(_valgus_flag_unilateral(exercise, v["fppa_deg"], th, s))
            ch_drop = v["pelvic_drop_deg_change"] if np.isfinite(v["pelvic_drop_deg_change"]) else v["pelvic_drop_deg"]
            flags.append(Flag("pelvic_drop", _categorise(ch_drop, th.pelvic_drop_borderline, th.pelvic_drop_mild),
                              ch_drop, th.pelvic_drop_mild, band_deg,
                              "contralateral pelvic drop, change from standing (Bramah 2018; Crossley 2011 'pelvis')"
                              + ("" if th.pelvic_drop_in_verdict else
                                 "; informational: MediaPipe's hip landmarks follow about 5-15 % of a true drop (benchmarks/pelvic_drop.json)"),
                              "pelvic drop change from standing", s, assessed=th.pelvic_drop_in_verdict))
            ch_lean = v["trunk_lean_deg_change"] if np.isfinite(v["trunk_lean_deg_change"]) else v["trunk_lean_deg"]
            flags.append(Flag("trunk_lean", _categorise(ch_lean, th.trunk_lean_borderline, th.trunk_lean_mild),
                              ch_lean, th.trunk_lean_mild, 2.0 + th.sem_deg,
                              "lateral trunk lean over the stance leg (Crossley 2011 'trunk')",
                              "trunk lean change from standing", s))
        off = v["knee_medial_offset"]
        flags.append(Flag("knee_medial_to_foot", _categorise(off, th.knee_over_foot_borderline, th.knee_over_foot_mild),
                          off, th.knee_over_foot_mild, 0.02,
                          "knee centre over or medial to the big toe (BMC SSMR 2021; Ageberg 2010)",
                          "knee offset from the foot centre, leg lengths", s))
    if exercise == "squat":
        # Depth: with thigh and shank each about half a leg long, hips at knee height (thighs
        # parallel) are ~0.55 leg lengths below standing; under 0.20 (~70 deg knee flexion) is a
        # partial squat (informational; not part of the valgus verdict).
        flags.append(Flag("shallow_depth", "mild" if rep.depth < th.squat_shallow_depth else "none",
                          float(rep.depth), th.squat_shallow_depth, 0.05,
                          "body proportions: 70 deg knee flexion ~0.2, thighs parallel ~0.55 leg lengths of hip drop",
                          "hip drop at the deepest frame, leg lengths", "both"))
        kasr = float(metrics["knee_ankle_sep_ratio"][i])
        khsr = float(metrics["knee_hip_sep_ratio"][i])
        khsr0 = baseline.get("knee_hip_sep_ratio", float("nan"))
        width = khsr / khsr0 if np.isfinite(khsr0) and khsr0 > 0 else float("nan")
        values["both"] = {"knee_ankle_sep_ratio": kasr, "knee_hip_sep_ratio": khsr,
                          "knee_width_vs_standing": width,
                          "fppa_asymmetry_deg": float(values["left"]["fppa_deg"] - values["right"]["fppa_deg"])}
        cat = _categorise_below(width, th.squat_knee_width_borderline, th.squat_knee_width_mild, th.squat_knee_width_marked)
        flags.append(Flag("dynamic_knee_valgus", cat, width, th.squat_knee_width_mild, 0.05,
                          "knee width at the bottom vs standing (squat-form app flags < 0.70-0.80)",
                          "knee width at the bottom relative to standing", "both"))
    return RepScore(
        number=number, exercise=exercise, working_leg=side, t_start=rep.t_start, t_deepest=rep.t_deepest,
        t_end=rep.t_end, frame_start=int(metrics["frame"][rep.start]), frame_deepest=int(metrics["frame"][i]),
        frame_end=int(metrics["frame"][rep.end]), partial=rep.partial, depth=float(rep.depth),
        values=values, flags=flags,
    )


def heel_lift(track: Any, scale: float, baseline_frames: np.ndarray) -> dict[str, np.ndarray]:
    """Heel rise relative to the toe, change from standing, leg lengths (+ = heel lifted)."""
    out = {}
    for s in SIDES:
        L = leg(s)
        d = (track.xy[:, L["heel"], 1] - track.xy[:, L["toe"], 1])
        d0 = _nanmedian(d[baseline_frames]) if baseline_frames.any() else _nanmedian(d)
        out[f"{s}_heel_lift"] = (d0 - d) / scale
    return out


# ---------------------------------------------------------------------------------------------
# verdict


def _rep_count(judged: list[RepScore], reps: list[RepScore]) -> str:
    """'3 complete rep(s) (1 partial rep(s) at the clip's edges not judged)' or '1 rep(s), all partial'."""
    if all(r.partial for r in judged):
        return f"{len(judged)} rep(s), all partial (cut by the clip's start or end)"
    left_out = len(reps) - len(judged)
    return f"{len(judged)} complete rep(s)" + (f" ({left_out} partial rep(s) at the clip's edges not judged)" if left_out else "")


def _flagged_legs(r: RepScore) -> str:
    """The leg(s) whose valgus flag is mild or worse: "left", "right" or "both"."""
    legs = {f.leg for f in r.flags if f.name == "dynamic_knee_valgus" and f.assessed
            and _ORDER[f.category] >= _ORDER["mild"]}
    if "both" in legs or legs == {"left", "right"}:
        return "both"
    return next(iter(legs)) if legs else r.working_leg


def verdict(reps: list[RepScore], camera: CameraCheck, th: ThresholdConfig) -> tuple[str, list[str], dict[str, Any] | None]:
    """The clip's verdict in plain words, in the spirit of the clinical single-leg-squat rating
    (Crossley et al. 2011: trunk, pelvis, hip, knee; foot signs checked before blaming the hip)."""
    if not camera.ok:
        return "cannot assess", camera.reasons + [f"fix: {f}" for f in camera.fixes], None
    full = [r for r in reps if not r.partial] or reps
    if not full:
        return "cannot assess", ["no squat, single-leg squat or step-up reps were found",
                                 "fix: do at least 3 slow reps, starting and ending upright"], None
    reasons: list[str] = []
    valgus_reps = [r for r in full if _ORDER[r.worst("dynamic_knee_valgus")] >= _ORDER["mild"]]
    border = [r for r in full if r.worst("dynamic_knee_valgus") == "borderline"]
    shallow = [r for r in full if r.worst("shallow_depth") == "mild"]
    depth_note = (
        [f"depth: rep(s) {', '.join(str(r.number) for r in shallow)} were shallow (hips dropped "
         f"{min(r.depth for r in shallow):.2f}-{max(r.depth for r in shallow):.2f} leg lengths; thighs "
         "parallel is about 0.55)"] if shallow else []
    )
    if not valgus_reps:
        reasons.append(f"no rep of {_rep_count(full, reps)} showed knee valgus beyond the threshold")
        reasons.extend(depth_note)
        if border:
            reasons.append("borderline on rep(s) " + ", ".join(str(r.number) for r in border)
                           + " (within the measurement uncertainty)")
        return "no valgus", reasons, None
    reasons.extend(depth_note)
    reasons.append(
        "knee valgus on rep(s) " + ", ".join(f"{r.number} ({_flagged_legs(r)}, {r.worst('dynamic_knee_valgus')})" for r in valgus_reps)
        + f" of {_rep_count(full, reps)}"
    )
    hip_signs: list[str] = []
    foot_signs: list[str] = []
    for r in valgus_reps:
        for f in r.flags:
            if f.name in ("pelvic_drop", "trunk_lean") and f.assessed and _ORDER[f.category] >= _ORDER["mild"]:
                hip_signs.append(f"rep {r.number}: {f.name.replace('_', ' ')} {f.value:+.1f} (threshold {f.threshold})")
        for s, v in r.values.items():
            if s == "both":
                continue
            ch = v.get("hip_adduction_deg_change", float("nan"))
            if np.isfinite(ch) and ch >= th.hip_adduction_sign:
                hip_signs.append(f"rep {r.number}: {s} hip adducts {ch:+.1f} deg from standing (the femur drives the knee in)")
            hl = v.get("heel_lift", float("nan"))
            if np.isfinite(hl) and hl >= th.heel_lift:
                foot_signs.append(f"rep {r.number}: {s} heel lifts ({hl:.2f} leg lengths)")
    if foot_signs and not hip_signs:
        reasons.extend(foot_signs)
        reasons.append("foot signs without hip signs: the valgus may come from the foot or ankle up")
        return "knee valgus without hip signs", reasons, None
    if hip_signs:
        reasons.extend(hip_signs)
        if foot_signs:
            reasons.extend(foot_signs)
            reasons.append("foot signs are present too: check ankle mobility and foot posture as well")
        reasons.append("this pattern is consistent with weak hip abductors / external rotators "
                       "(Crossley et al. 2011)")
        return "knee valgus with hip signs", reasons, dict(STRENGTH_PLAN)
    reasons.append("no pelvic drop, trunk lean or hip adduction beyond thresholds: the hip is not clearly the cause")
    reasons.append("foot posture (pronation) cannot be judged from one front camera; have it checked by eye")
    return "knee valgus without hip signs", reasons, None


def score_clip(analysis: Any, *, exercise: str | None = None, baseline: dict[str, float] | None = None) -> ClipResult:
    """Recognise the exercise, segment and score reps, check the camera and give the verdict."""
    cfg: Config = analysis.config
    m = analysis.metrics
    t = m["time_s"]
    if exercise is not None and exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {EXERCISES}, got {exercise!r}")
    named = find_reps(t, m, cfg, exercise)
    reps = [r for r, _, _ in named]
    base = standing_baseline(m, reps)
    # frames used for the baseline (for the heel reference)
    sig = depth_signals(m)
    bmask = np.zeros(len(t), dtype=bool)
    if reps and reps[0].start > 3:
        bmask[: reps[0].start] = True
    from valgus.metrics import standing_leg_length

    scale = standing_leg_length(analysis.track.xy)
    extra = heel_lift(analysis.track, scale, bmask & sig["both_down"])
    if baseline:
        base.update({k: v for k, v in baseline.items() if k in base})
    cam = camera_check(analysis, cfg, named, sig)
    scored = [score_rep(k + 1, rep, ex, side, m, base, extra, cfg.thresholds) for k, (rep, ex, side) in enumerate(named)]
    if not cam.ok:  # values stay reported, but no flag is raised from a view that cannot support it
        from dataclasses import replace as _replace

        for r in scored:
            r.flags = [_replace(f, assessed=False) for f in r.flags]
    exs = sorted({r.exercise for r in scored})
    ex_name = exercise or ("+".join(exs) if exs else "unknown")
    v, reasons, plan = verdict(scored, cam, cfg.thresholds)
    legs = leg_summaries(scored)
    if v != "cannot assess":
        reasons = reasons + asymmetry_reasons(legs, cfg.thresholds)
    return ClipResult(ex_name, scored, cam, base, v, reasons, plan, legs)
