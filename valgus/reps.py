"""Rep segmentation on media time: a deterministic hysteresis state machine (pure NumPy).

A rep is an excursion of a depth signal (leg lengths below standing, >= 0 deeper) that crosses
``min_depth``. It starts where the signal last rose through ``start_fraction * min_depth`` before
that, its deepest point is the maximum inside, and it ends where the signal falls back through
``end_fraction * min_depth``. Because the machine only sees ``(t, value)`` pairs, the same video
gives the same reps at any processing speed; durations are checked in media seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Rep:
    """One repetition: indices into the analysed frames, and its media times."""

    start: int
    deepest: int
    end: int
    t_start: float
    t_deepest: float
    t_end: float
    depth: float  # signal value at the deepest frame
    partial: bool = False  # cut by the start or end of the clip, or by a gap in the tracking

    def __post_init__(self) -> None:
        if not (self.start <= self.deepest <= self.end):
            raise ValueError(f"rep indices out of order: {self.start}, {self.deepest}, {self.end}")


def segment_reps(
    t: NDArray[np.float64],
    depth: NDArray[np.float64],
    *,
    min_depth: float = 0.10,
    start_fraction: float = 0.35,
    end_fraction: float = 0.35,
    min_duration_s: float = 0.5,
    max_duration_s: float = 15.0,
    max_gap_s: float = 0.5,
) -> list[Rep]:
    """Find reps in a depth signal.

    Args:
        t: ``(n,)`` media times (s), increasing.
        depth: ``(n,)`` how deep the subject is (0 standing, positive deeper); NaN = unknown.
        min_depth: a rep must reach at least this depth.
        start_fraction, end_fraction: hysteresis levels as fractions of ``min_depth``.
        min_duration_s, max_duration_s: reps outside this duration are discarded.
        max_gap_s: a run of unknown values longer than this ends the current rep (marked partial).
            Never less than 1.5 sample periods, so coarse sampling (``stride``, ``max_fps``) is not
            mistaken for missing data.

    Returns:
        Reps in time order. A rep still under way at the first or last frame is ``partial``.
    """
    t = np.asarray(t, dtype=np.float64)
    d = np.asarray(depth, dtype=np.float64)
    lo_start = start_fraction * min_depth
    lo_end = end_fraction * min_depth
    # the analysed frames' own spacing is not a gap (median: robust to the gaps themselves)
    if len(t) > 1:
        max_gap_s = max(max_gap_s, 1.5 * float(np.median(np.diff(t))))
    reps: list[Rep] = []
    state = "up"
    start = deepest = -1
    reached = False
    partial_start = False
    last_valid = -1
    for i in range(len(t)):
        v = d[i]
        if np.isnan(v):
            if state == "down" and last_valid >= 0 and t[i] - t[last_valid] > max_gap_s:
                _close(reps, t, d, start, deepest, last_valid, reached, True, min_duration_s, max_duration_s)
                state, reached = "up", False
            continue
        if state == "down" and last_valid >= 0 and t[i] - t[last_valid] > max_gap_s:
            # frames missing from the stream (no rows at all, only a jump in media time) are
            # unknown values too: end the rep before the jump, as a run of NaN would
            _close(reps, t, d, start, deepest, last_valid, reached, True, min_duration_s, max_duration_s)
            state, reached = "up", False
        if state == "up":
            if v >= lo_start:
                state, start, deepest, reached = "down", i, i, v >= min_depth
                # the rise through the start level was not seen if this is the first valid frame, or
                # if it happened during a gap of unknown values longer than max_gap_s
                partial_start = bool(last_valid < 0 or t[i] - t[last_valid] > max_gap_s)
        else:
            if v > d[deepest]:
                deepest = i
            if v >= min_depth:
                reached = True
            if v < lo_end:
                _close(reps, t, d, start, deepest, i, reached, partial_start, min_duration_s, max_duration_s)
                state, reached = "up", False
        last_valid = i
    if state == "down" and last_valid >= 0:
        _close(reps, t, d, start, deepest, last_valid, reached, True, min_duration_s, max_duration_s)
    return reps


def _close(
    reps: list[Rep], t: NDArray[np.float64], d: NDArray[np.float64], start: int, deepest: int, end: int,
    reached: bool, partial: bool, min_dur: float, max_dur: float,
) -> None:
    if not reached:
        return
    dur = t[end] - t[start]
    if not partial and not (min_dur <= dur <= max_dur):
        return
    reps.append(Rep(start, deepest, end, float(t[start]), float(t[deepest]), float(t[end]), float(d[deepest]), bool(partial)))
