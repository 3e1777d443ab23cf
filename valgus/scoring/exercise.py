"""Which exercise each rep is and which leg works: squat, single-leg squat or step-up.

Pure NumPy over the per-frame metrics. Thresholds in :class:`valgus.config.RecognitionConfig`.
"""

from __future__ import annotations

import numpy as np

from valgus.config import Config, RecognitionConfig
from valgus.landmarks import Side
from valgus.scoring.results import EXERCISES, other_side
from valgus.scoring.signals import DepthSignals, depth_signals
from valgus.temporal.reps import Rep, segment_reps

#: A rep found in the signals, named: ``(rep, exercise, working leg)``.
NamedRep = tuple[Rep, str, str]


def stance_of(metrics: dict[str, np.ndarray], sl: slice, rc: RecognitionConfig | None = None) -> Side | None:
    """The stance leg if the subject stands on one leg for most of ``sl``, else None.

    Decided by balance (the trunk centre towards one ankle: median over the rep below
    ``single_leg_balance`` = left, above 1 - it = right; a double-leg squat stays near 0.5),
    because in single-leg stance the centre of mass must be over the stance foot; failing that,
    by a foot held clearly off the floor (``foot_lift``) for most of the frames. (A rule that
    let a centred balance veto the foot test, meant for lunges, changed nothing on the variants
    grid but which wrong name a lunge got, so it was not kept: docs/accuracy.md.)
    """
    rc = rc or RecognitionConfig()
    bal = metrics["balance"][sl]
    bal = bal[np.isfinite(bal)]
    if bal.size:
        med = float(np.median(bal))
        if med < rc.single_leg_balance:
            return "left"
        if med > 1.0 - rc.single_leg_balance:
            return "right"
    fl, fr = metrics["left_foot_raise"][sl], metrics["right_foot_raise"][sl]
    with np.errstate(invalid="ignore"):
        up_l = np.nanmean(fl > rc.foot_lift) if np.isfinite(fl).any() else 0.0
        up_r = np.nanmean(fr > rc.foot_lift) if np.isfinite(fr).any() else 0.0
    if max(up_l, up_r) >= 0.5 and abs(up_l - up_r) >= 0.3:
        return "right" if up_l > up_r else "left"
    return None


def split_stance(metrics: dict[str, np.ndarray], sl: slice, rc: RecognitionConfig) -> bool:
    """The feet are split front-back through ``sl`` with the trunk centred between them: a lunge
    or split squat, none of the three.

    Both tests are needed: a single-leg squat with the free foot forward or behind is split too
    (0.2-0.42 leg lengths on the variants and main grids) and its trunk centre usually sits over
    the stance foot; a squat is centred but its feet are side by side (0.25 or less). Lunges read
    0.66-0.73.
    The split comes from the world landmarks' depth (``feet_split``), because the image height
    of a foot placed forward reads as a foot lower than the other: the floor line then misreads
    the lunge as a single-leg squat with the rear foot up, or a step-up.
    """
    split = metrics.get("feet_split")
    if split is None:
        return False
    s = np.abs(split[sl])
    s = s[np.isfinite(s)]
    bal = metrics["balance"][sl]
    bal = bal[np.isfinite(bal)]
    if not s.size or not bal.size:
        return False
    med = float(np.median(bal))
    centred = rc.single_leg_balance <= med <= 1.0 - rc.single_leg_balance
    return centred and float(np.percentile(s, 75)) >= rc.split_stance


def seated_bottom(metrics: dict[str, np.ndarray], rep: Rep, rc: RecognitionConfig) -> bool:
    """The trunk, flexed forward during the rep, is back ``seated_trunk_return_deg`` more upright
    at the deepest frame (median over +-0.1 s): the body sat on something (a sit-to-stand, none
    of the three). In a squat the trunk is most flexed at the bottom (dip 4.6 deg or less on the
    variants and main grids); sitting down on a box the trunk leans forward to lower the hips
    and is upright once seated (41-42 deg back), then leans again to stand up."""
    trunk = metrics.get("trunk_flexion_deg")
    if trunk is None:
        return False
    seg = trunk[rep.start : rep.end + 1]
    if not np.isfinite(seg).any():
        return False
    t = metrics["time_s"]
    lo, hi = np.searchsorted(t, t[rep.deepest] - 0.1), np.searchsorted(t, t[rep.deepest] + 0.1, side="right")
    bottom = trunk[lo:hi]
    bottom = bottom[np.isfinite(bottom)]
    if not bottom.size:
        return False
    return float(np.nanmax(seg)) - float(np.median(bottom)) >= rc.seated_trunk_return_deg


#: Movements recognised as none of the three: ``other_movement`` kind -> what it looks like.
OTHER_MOVEMENTS = ("split_stance", "seated")


def other_movement(metrics: dict[str, np.ndarray], rep: Rep, rc: RecognitionConfig) -> str | None:
    """The kind of movement (:data:`OTHER_MOVEMENTS`) when a rep found in the drop signal is none
    of the three: ``"split_stance"`` (a lunge or split squat, :func:`split_stance`) or
    ``"seated"`` (a sit-to-stand, :func:`seated_bottom`); else None."""
    if split_stance(metrics, slice(rep.start, rep.end + 1), rc):
        return "split_stance"
    if seated_bottom(metrics, rep, rc):
        return "seated"
    return None


def other_movements(t: np.ndarray, metrics: dict[str, np.ndarray], config: Config,
                    signals: DepthSignals | None = None) -> list[tuple[Rep, str]]:
    """The dips of the hips that :func:`find_reps` leaves out (when recognising) because they are
    none of the three, with their kind: reported, never judged."""
    sig = signals or depth_signals(metrics, config.recognition)
    r = config.reps
    reps = segment_reps(t, sig.drop, min_depth=r.min_depth, start_fraction=r.start_fraction,
                        end_fraction=r.end_fraction, min_duration_s=r.min_duration_s,
                        max_duration_s=r.max_duration_s)
    out = [(rep, kind) for rep in reps if not (rep.depth > r.max_depth)
           and (kind := other_movement(metrics, rep, config.recognition)) is not None]
    return out


def name_squat(metrics: dict[str, np.ndarray], rep: Rep, exercise: str | None,
               rc: RecognitionConfig) -> NamedRep | None:
    """Name a rep found in the drop signal: a single-leg squat on its stance leg, or a squat;
    None when recognising a movement that is none of the three: a split stance
    (:func:`split_stance`, a lunge) or a seated bottom (:func:`seated_bottom`, a sit-to-stand)."""
    sl = slice(rep.start, rep.end + 1)
    if exercise is None and other_movement(metrics, rep, rc) is not None:
        return None
    side = stance_of(metrics, sl, rc)
    ex = exercise or ("single_leg_squat" if side else "squat")
    if ex == "single_leg_squat" and side is None:
        b = metrics["balance"][rep.deepest]
        side = "right" if np.isfinite(b) and b > 0.5 else "left"
    return rep, ex, (side if ex == "single_leg_squat" else "both")  # type: ignore[return-value]


def name_step_up(metrics: dict[str, np.ndarray], rep: Rep, exercise: str | None, rise: np.ndarray,
                 rc: RecognitionConfig) -> NamedRep | None:
    """Name a rep found in the rise signal: a step-up on its lead leg, or None (e.g. a jump)."""
    lead = planted_lead(metrics, rep, rise, rc)
    step = rc.foot_lift if lead is not None else rc.foot_on_step
    lead = lead or lead_leg(metrics, rep, rc)
    if exercise is None and (lead is None or not on_step_long_enough(metrics, lead, rep, rc, step=step)):
        return None  # hips rose without a foot on a step: not a step-up
    lead = lead or "left"
    deepest, start = stepup_loaded_frame(metrics, lead, rep, rise, rc, strict_fallback=exercise is not None,
                                         step=step)
    if deepest < 0:
        return None  # the trailing foot never left the floor with the lead foot on the step
    if exercise is None and not lead_stepped_up(metrics, lead, deepest, rc):
        return None  # the lead foot is where it always was: no step (a lunge's standing frames)
    if exercise is None and not trailing_pushed_off(metrics, lead, start, deepest, rc):
        # both feet read "up" before the loaded frame: no push-off from the floor (the floor line
        # was set by a foot placed forward, lower in the picture: a lunge's standing frames read
        # as a rise onto a step)
        return None
    t = metrics["time_s"]
    rep = Rep(start, deepest, rep.end, float(t[start]), float(t[deepest]), rep.t_end, float(rep.depth), rep.partial)
    return rep, "step_up", lead


def plausible(named: list[NamedRep], config: Config, exercise: str | None) -> list[NamedRep]:
    """Drop reps no body makes: deeper than ``reps.max_depth``; and (when recognising) a step-up
    whose loaded frame falls inside a squat: the hips cannot be below standing and carried up
    onto a step at once (on a real clip a free foot slid forward looked lower than the stance
    foot, so the stance foot seemed to stand on a step)."""
    out = [x for x in named if not (x[0].depth > config.reps.max_depth)]
    if exercise is None:
        squats = [r for r, ex, _ in out if ex != "step_up"]
        out = [x for x in out if x[1] != "step_up" or not any(q.start <= x[0].deepest <= q.end for q in squats)]
    return sorted(out, key=lambda x: x[0].t_start)


def find_reps(
    t: np.ndarray, metrics: dict[str, np.ndarray], config: Config, exercise: str | None = None,
    signals: DepthSignals | None = None,
) -> list[NamedRep]:
    """Find reps and name each: ``(rep, exercise, working_leg)``."""
    if exercise is not None and exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {EXERCISES}, got {exercise!r}")
    rc = config.recognition
    sig = signals or depth_signals(metrics, rc)
    r = config.reps
    kw = dict(min_depth=r.min_depth, start_fraction=r.start_fraction, end_fraction=r.end_fraction,
              min_duration_s=r.min_duration_s, max_duration_s=r.max_duration_s)
    out: list[NamedRep] = []
    if exercise in (None, "squat", "single_leg_squat"):
        out += [n for rep in segment_reps(t, sig.drop, **kw) if (n := name_squat(metrics, rep, exercise, rc))]
    if exercise in (None, "step_up"):
        for rep in segment_reps(t, sig.rise, **kw):
            named = name_step_up(metrics, rep, exercise, sig.rise, rc)
            if named is not None:
                out.append(named)
    return plausible(out, config, exercise)


def _rise_top(rep: Rep, rise: np.ndarray) -> int:
    seg = rise[rep.start : rep.end + 1]
    return rep.start + (int(np.nanargmax(seg)) if np.isfinite(seg).any() else 0)


def planted_lead(metrics: dict[str, np.ndarray], rep: Rep, rise: np.ndarray, rc: RecognitionConfig) -> Side | None:
    """The lead leg of a step-up told by stillness: the foot planted on the step while the hips
    rise, when the other ankle moves clearly more (its vertical path from the rep's start to the
    top of the rise, in leg lengths, is at least ``stepup_planted_ratio`` times as long and at
    least ``stepup_planted_min_path``: the trailing foot pushes off and swings up). None when
    neither moves that much or they move alike: foot height decides (:func:`lead_leg`).

    Foot height alone misnames a low step: on a 15-cm step the lead ankle read 0.07-0.11 leg
    lengths up in the picture while the trailing foot, swinging with its knee bent, read 0.24
    (variants grid, issue 12).
    """
    top = _rise_top(rep, rise)
    path = {}
    for s in ("left", "right"):
        r = metrics[f"{s}_foot_raise"][rep.start : top + 1]
        d = np.abs(np.diff(r))
        path[s] = float(np.nansum(d)) if np.isfinite(d).any() else float("nan")
    pl, pr = path["left"], path["right"]
    if not (np.isfinite(pl) and np.isfinite(pr)) or max(pl, pr) < rc.stepup_planted_min_path:
        return None
    if pr >= rc.stepup_planted_ratio * pl:
        return "left"
    if pl >= rc.stepup_planted_ratio * pr:
        return "right"
    return None


def lead_leg(metrics: dict[str, np.ndarray], rep: Rep, rc: RecognitionConfig) -> Side | None:
    """The foot that is on the step first during (or just before) the rise, by foot height: the
    fallback when stillness cannot tell the lead foot (:func:`planted_lead`). A low step is read
    low through perspective (a 15-cm step's lead foot 0.07-0.11 leg lengths up, under
    ``foot_on_step``, while the trailing foot swung to 0.21-0.30), so height alone names such a
    step-up on the wrong leg; a lower threshold made a standing single-leg stance with both feet
    read 'raised' into a step-up on a real clip."""
    fl, fr = metrics["left_foot_raise"], metrics["right_foot_raise"]
    lo = max(0, rep.start - int(0.5 * max(1, rep.deepest - rep.start)))
    for i in range(lo, rep.end + 1):
        l_up = np.isfinite(fl[i]) and fl[i] > rc.foot_on_step
        r_up = np.isfinite(fr[i]) and fr[i] > rc.foot_on_step
        if l_up != r_up:
            return "left" if l_up else "right"
        if l_up and r_up:
            return "left" if fl[i] >= fr[i] else "right"
    return None


def on_step_long_enough(metrics: dict[str, np.ndarray], lead: Side, rep: Rep, rc: RecognitionConfig,
                        fraction: float = 0.5, step: float | None = None) -> bool:
    """A step-up keeps the lead foot on the step (above ``step``, default
    ``recognition.foot_on_step``) for most of the rise."""
    step = rc.foot_on_step if step is None else step
    r = metrics[f"{lead}_foot_raise"][rep.start : rep.end + 1]
    r = r[np.isfinite(r)]
    return bool(r.size) and float(np.mean(r > step)) >= fraction


def lead_stepped_up(metrics: dict[str, np.ndarray], lead: Side, frame: int, rc: RecognitionConfig) -> bool:
    """The lead foot at ``frame`` is ``recognition.stepup_min_lead_rise`` above its own lowest
    level in the clip (the 5th percentile of its foot raise): a per-foot floor, which a foot
    placed forward (lower in the picture) cannot move. In a lunge the rear foot never moves, but
    the floor line set by the front foot reads it as raised, and the return to standing as a rise
    onto a step (variants grid: lunges read as step-ups onto the rear foot, issue 12)."""
    r = metrics[f"{lead}_foot_raise"]
    fin = r[np.isfinite(r)]
    if not fin.size or not np.isfinite(r[frame]):
        return True  # unknown: no veto
    return bool(r[frame] - float(np.percentile(fin, 5)) >= rc.stepup_min_lead_rise)


def trailing_pushed_off(metrics: dict[str, np.ndarray], lead: Side, start: int, deepest: int,
                        rc: RecognitionConfig) -> bool:
    """The trailing foot was on the floor line between the rep's start (or a second before it)
    and its loaded frame: it pushed off from the floor."""
    t = metrics["time_s"]
    lo = int(np.searchsorted(t, t[start] - 1.0))
    trail = metrics[f"{other_side(lead)}_foot_raise"][lo : deepest + 1]
    with np.errstate(invalid="ignore"):
        return bool((trail < rc.foot_lift).any())


def stepup_loaded_frame(metrics: dict[str, np.ndarray], lead: Side, rep: Rep, rise: np.ndarray,
                        rc: RecognitionConfig, strict_fallback: bool = True,
                        step: float | None = None) -> tuple[int, int]:
    """The loaded frame of a step-up and the rep's true start: ``(deepest, start)``.

    The lead foot goes onto the step before the hips rise, so the search runs from the moment the
    lead foot left the floor (walking back from the rise, at most ``stepup_walkback_s``) to the
    top of the rise. The loaded frame is the first one where the lead leg carries the body: lead
    foot on the step and the trailing foot off the floor (its lead knee is then at its most bent
    under load). Without such a frame, the frame with the hips closest to the lead foot, or
    ``-1`` with ``strict_fallback=False`` (when recognising: no body carried by the lead leg, no
    step-up). ``step``: the lead foot's on-step height (default ``recognition.foot_on_step``;
    ``foot_lift`` for a lead told by stillness, :func:`planted_lead`).
    """
    step = rc.foot_on_step if step is None else step
    raise_lead = metrics[f"{lead}_foot_raise"]
    raise_trail = metrics[f"{other_side(lead)}_foot_raise"]
    H = metrics["hip_above_floor"]
    seg = rise[rep.start : rep.end + 1]
    top = rep.start + (int(np.nanargmax(seg)) if np.isfinite(seg).any() else 0)
    a = rep.start
    t = metrics["time_s"]
    while (a > 0 and np.isfinite(raise_lead[a - 1]) and raise_lead[a - 1] > rc.foot_lift
           and t[rep.start] - t[a - 1] <= rc.stepup_walkback_s):
        a -= 1
    # The push-off that leads to this rep's top is the last one: search from the last frame
    # (after the walk-back start) with the trailing foot on the floor, so a lead foot that stays
    # on the step between reps cannot hand this rep the previous rep's loaded frame.
    with np.errstate(invalid="ignore"):
        down = np.flatnonzero(raise_trail[a : top + 1] < rc.foot_lift)
    first = a + int(down[-1]) if down.size else a
    idx = np.arange(first, top + 1)
    on_step = np.isfinite(raise_lead[idx]) & (raise_lead[idx] > step)
    # The trailing foot is off the floor when its ankle is foot_lift above it: heel rise at
    # push-off lifts the ankle 0.04-0.05 leg lengths while the toes are still down (rendered
    # step-ups), and a lower cut picked that moment, before the lead leg carries the body.
    with np.errstate(invalid="ignore"):
        loaded = on_step & (raise_trail[idx] > rc.foot_lift)
    if loaded.any():
        return int(idx[int(np.argmax(loaded))]), int(a)
    if not strict_fallback:
        return -1, int(a)
    hip_over_lead = H[idx] - raise_lead[idx]
    score = np.where(on_step & np.isfinite(hip_over_lead), -hip_over_lead, -np.inf)
    if not np.isfinite(score).any():
        return rep.deepest, rep.start
    return int(idx[int(np.argmax(score))]), int(a)
