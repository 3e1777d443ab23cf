"""The live view's phases: set-up guide -> standing calibration -> exercising.

A small state machine driven by media time (no window, no clock of its own), so a test can feed
it made-up frames:

- ``guide``: the camera check of the last second (:meth:`valgus.causal.LiveScorer.setup_problems`)
  finds a problem; the view says what to change. Once nothing is wrong for ``settle_s``
  seconds the person is in place and the calibration starts.
- ``calibrate``: stand tall and hold still for ``hold_s`` seconds (a countdown). Moving (hips,
  knees or ankles more than ``still_tol`` leg lengths from where they were when the countdown
  started) restarts the countdown; a camera problem goes back to the guide. When the countdown
  ends, :attr:`LiveStep.calibrate` gives the frames to take as the standing baseline
  (:meth:`valgus.causal.LiveScorer.calibrate`).
- ``exercise``: reps are scored as they end. A rep that ends during the guide or the calibration
  (someone who starts straight away) also moves here, uncalibrated: the baseline is then the
  standing frames before the first rep, as in a recorded clip.

Keys: :meth:`LiveState.recalibrate` (``c``) and :meth:`LiveState.reset` (``r``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from valgus.landmarks import LM

Phase = Literal["guide", "calibrate", "exercise"]
PHASES: tuple[str, ...] = ("guide", "calibrate", "exercise")

#: The landmarks whose stillness the calibration checks (hips, knees, ankles).
POSTURE_LANDMARKS = (LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)


def posture(xy: np.ndarray) -> np.ndarray:
    """Hips, knees and ankles of ``xy`` ``(33, 2)`` pixels, in leg lengths (scale-free), as a
    ``(6, 2)`` array; all NaN when a leg length cannot be measured.

    Leg length: the mean over both legs of hip-knee plus knee-ankle distance.
    """
    xy = np.asarray(xy, dtype=float)
    legs = []
    for hip, knee, ankle in ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE), (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE)):
        legs.append(np.linalg.norm(xy[knee] - xy[hip]) + np.linalg.norm(xy[ankle] - xy[knee]))
    leg = float(np.nanmean(legs)) if np.isfinite(legs).any() else float("nan")
    if not np.isfinite(leg) or leg <= 0:
        return np.full((len(POSTURE_LANDMARKS), 2), np.nan)
    return xy[list(POSTURE_LANDMARKS)] / leg


@dataclass(frozen=True)
class LiveTiming:
    """How long each step of the set-up takes (seconds of media time) and how still is still."""

    settle_s: float = 1.0  # no camera problem for this long (the check's own window): start the countdown
    hold_s: float = 3.0  # the standing calibration: hold still this long
    still_tol: float = 0.05  # leg lengths any of hips, knees, ankles may move during the hold
    message_s: float = 3.0  # how long a one-off message (calibrated, reset) stays up

    def __post_init__(self) -> None:
        if not (self.settle_s >= 0 and self.hold_s > 0 and self.still_tol > 0 and self.message_s >= 0):
            raise ValueError(f"bad live timing {self}")


@dataclass(frozen=True)
class LiveStep:
    """What one frame changed in the live view.

    Attributes:
        phase: the phase after this frame.
        problems: the camera-check codes of this frame (what the guide says to change).
        countdown: seconds left to hold still (``calibrate`` phase), else None.
        calibrate: ``(start, stop)`` rows of the session to take as the standing baseline: set
            on the one frame where the countdown ended.
        entered: the phase entered at this frame (None if unchanged), for spoken cues.
        calibrated: the current baseline comes from a calibration (not from before the first rep).
        moved: the countdown restarted at this frame because the person moved.
    """

    phase: Phase
    problems: tuple[str, ...] = ()
    countdown: float | None = None
    calibrate: tuple[int, int] | None = None
    entered: Phase | None = None
    calibrated: bool = False
    moved: bool = False


class LiveState:
    """The live view's phases on media time (see the module docstring)."""

    def __init__(self, timing: LiveTiming | None = None) -> None:
        self.timing = timing or LiveTiming()
        self.phase: Phase = "guide"
        self.calibrated = False
        self._ok_since: float | None = None
        self._hold_t: float | None = None
        self._hold_row = 0
        self._hold_ref: np.ndarray | None = None
        self._pending: Phase | None = "guide"

    def _enter(self, phase: Phase) -> None:
        self.phase = phase
        self._pending = phase
        self._ok_since = None
        self._hold_t = None
        self._hold_ref = None

    def update(self, t: float, row: int, problems: Sequence[str], pose: np.ndarray | None = None, *,
               rep_ended: bool = False) -> LiveStep:
        """Feed one analysed frame.

        Args:
            t: its media time (seconds; increasing).
            row: its row in the session (``LiveScorer.n - 1`` after the update).
            problems: the camera-check codes of the last second (empty when all is well).
            pose: :func:`posture` of the frame (None or NaN: not measurable, never still).
            rep_ended: a rep ended at this frame.
        """
        probs = tuple(problems)
        calib: tuple[int, int] | None = None
        moved = False
        if rep_ended and self.phase != "exercise":
            self._enter("exercise")
        elif self.phase == "guide":
            if probs:
                self._ok_since = None
            else:
                self._ok_since = t if self._ok_since is None else self._ok_since
                if t - self._ok_since >= self.timing.settle_s:
                    self._enter("calibrate")
        if self.phase == "calibrate" and self._pending != "exercise":
            if probs:
                self._enter("guide")
            else:
                p = None if pose is None else np.asarray(pose, dtype=float)
                if self._hold_t is None or p is None or not np.isfinite(p).all() or self._hold_ref is None:
                    self._hold_t, self._hold_row, self._hold_ref = t, row, p
                elif float(np.max(np.abs(p - self._hold_ref))) > self.timing.still_tol:
                    self._hold_t, self._hold_row, self._hold_ref = t, row, p
                    moved = True
                elif t - self._hold_t >= self.timing.hold_s:
                    calib = (self._hold_row, row + 1)
                    self.calibrated = True
                    self._enter("exercise")
        entered, self._pending = self._pending, None
        countdown = None
        if self.phase == "calibrate" and self._hold_t is not None:
            countdown = max(0.0, self.timing.hold_s - (t - self._hold_t))
        elif self.phase == "calibrate":
            countdown = self.timing.hold_s
        return LiveStep(self.phase, probs, countdown, calib, entered, self.calibrated, moved)

    def recalibrate(self) -> None:
        """``c``: hold still again for a new standing baseline (the reps so far stay)."""
        self._enter("calibrate")

    def reset(self) -> None:
        """``r``: start again from the set-up guide (the caller forgets the reps and baseline)."""
        self.calibrated = False
        self._enter("guide")


__all__ = ["LiveState", "LiveStep", "LiveTiming", "PHASES", "Phase", "posture"]
