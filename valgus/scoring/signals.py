"""Clip-level signals that rep finding, the baseline and the camera check share (pure NumPy).

Computed once per clip by :func:`depth_signals` and handed to each room.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from valgus.config import RecognitionConfig


def nanmedian(x: np.ndarray) -> float:
    """Median of the finite values; NaN when there are none (no warning)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


@dataclass(frozen=True)
class DepthSignals:
    """Scale-free signals for rep finding (leg lengths).

    ``h0``: standing hip height above the floor line, the 90th percentile of ``hip_above_floor``
    over the frames with neither foot up on a step (squat frames are among them, hence the upper
    percentile). When such frames are rare (under ``recognition.min_two_feet_fraction`` of the
    frames with a hip height: a set of single-leg squats whose free foot is held up, in front or
    to the side, the whole time), over the frames with at least one foot on the floor instead:
    otherwise the few two-feet frames, taken at the bottom of the reps where the free foot
    dips, set "standing" far too low and the upright frames between reps read as step-ups onto
    the free foot (issue 12). ``drop = h0 - H`` (squats, single-leg squats), ``rise = H - h0``
    (step-ups). ``on_floor``: both feet carry the body (:func:`two_feet_down`).
    """

    drop: np.ndarray
    rise: np.ndarray
    on_floor: np.ndarray
    h0: float


def two_feet_down(left_raise: np.ndarray, right_raise: np.ndarray, balance: np.ndarray,
                  rc: RecognitionConfig | None = None) -> np.ndarray:
    """Frames in which both feet carry the body.

    A foot under ``recognition.foot_lift`` is down; one at or above ``foot_on_step`` is up; one
    in between is down only if the trunk centre is not over the other foot (balance inside
    ``[single_leg_balance, 1 - single_leg_balance]``, or unknown). The balance test is for a
    free foot held low, out to the side: on rendered single-leg squats it read 0.10-0.14 leg
    lengths up, at the on-step line, so the bottom of every rep (where it dips) passed for "two
    feet down", set standing hip height at the bottom, and no rep was found (issue 12). With the
    trunk centre over one ankle the other foot carries no weight, whatever its height in the
    picture.
    """
    rc = rc or RecognitionConfig()
    b = np.asarray(balance, dtype=np.float64)
    lr, rr = np.asarray(left_raise, dtype=np.float64), np.asarray(right_raise, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        over_left, over_right = b < rc.single_leg_balance, b > 1.0 - rc.single_leg_balance
        left_ok = (lr < rc.foot_lift) | ((lr < rc.foot_on_step) & ~over_right)
        right_ok = (rr < rc.foot_lift) | ((rr < rc.foot_on_step) & ~over_left)
    return left_ok & right_ok


def depth_signals(metrics: dict[str, np.ndarray], rc: RecognitionConfig | None = None,
                  h0: float | None = None) -> DepthSignals:
    """The depth signals of a clip; ``h0`` given (e.g. from a live calibration) or estimated."""
    rc = rc or RecognitionConfig()
    H = metrics["hip_above_floor"]
    fl, fr = metrics["left_foot_raise"], metrics["right_foot_raise"]
    on_floor = two_feet_down(fl, fr, metrics["balance"], rc)
    if h0 is None:
        finite = np.isfinite(H)
        ref = H[on_floor & finite]
        if ref.size < max(5, rc.min_two_feet_fraction * finite.sum()):
            with np.errstate(invalid="ignore"):
                one_down = np.fmin(fl, fr) < rc.foot_lift
            ref = H[one_down & finite] if (one_down & finite).sum() >= 5 else ref
        if ref.size < 5:
            ref = H[finite]
        h0 = float(np.percentile(ref, 90)) if ref.size else float("nan")
    return DepthSignals(drop=h0 - H, rise=H - h0, on_floor=on_floor, h0=float(h0))
