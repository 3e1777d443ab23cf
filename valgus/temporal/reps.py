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


class RepSegmenter:
    """The rep state machine, fed one ``(index, media time, depth)`` sample at a time.

    :meth:`update` returns a :class:`Rep` at the sample that ends it (constant time per sample);
    :meth:`finish` closes a rep still under way (partial). :func:`segment_reps` runs it over a
    whole signal, so a clip and a live camera get the same reps from the same samples.
    """

    def __init__(self, *, min_depth: float = 0.10, start_fraction: float = 0.35, end_fraction: float = 0.35,
                 min_duration_s: float = 0.5, max_duration_s: float = 15.0, max_gap_s: float = 0.5) -> None:
        self.min_depth = min_depth
        self.lo_start = start_fraction * min_depth
        self.lo_end = end_fraction * min_depth
        self.min_duration_s = min_duration_s
        self.max_duration_s = max_duration_s
        self.max_gap_s = max_gap_s
        self.down = False  # inside a rep
        self._start = self._deepest = self._last = -1
        self._t_start = self._t_deepest = self._d_deepest = self._t_last = float("nan")
        self._reached = False
        self._partial_start = False

    @property
    def in_rep(self) -> bool:
        return self.down

    def _gap(self, t: float) -> bool:
        return self._last >= 0 and t - self._t_last > self.max_gap_s

    def _close(self, end: int, t_end: float, partial: bool) -> Rep | None:
        self.down = False
        if not self._reached:
            return None
        dur = t_end - self._t_start
        if not partial and not (self.min_duration_s <= dur <= self.max_duration_s):
            return None
        return Rep(self._start, self._deepest, end, float(self._t_start), float(self._t_deepest), float(t_end),
                   float(self._d_deepest), bool(partial))

    def update(self, i: int, t: float, v: float) -> Rep | None:
        """Feed sample ``i`` (media time ``t`` s, depth ``v``; NaN = unknown)."""
        rep = None
        if v != v:  # NaN
            if self.down and self._gap(t):
                rep = self._close(self._last, self._t_last, True)
            return rep
        if self.down and self._gap(t):
            # frames missing from the stream (no rows at all, only a jump in media time) are
            # unknown values too: end the rep before the jump, as a run of NaN would
            rep = self._close(self._last, self._t_last, True)
        if not self.down:
            if v >= self.lo_start:
                self.down = True
                self._start = self._deepest = i
                self._t_start = self._t_deepest = t
                self._d_deepest = v
                self._reached = v >= self.min_depth
                # the rise through the start level was not seen if this is the first valid frame,
                # or if it happened during a gap of unknown values longer than max_gap_s
                self._partial_start = bool(self._last < 0 or self._gap(t))
        else:
            if v > self._d_deepest:
                self._deepest, self._t_deepest, self._d_deepest = i, t, v
            if v >= self.min_depth:
                self._reached = True
            if v < self.lo_end:
                rep = self._close(i, t, self._partial_start)
        self._last, self._t_last = i, t
        return rep

    def finish(self) -> Rep | None:
        """Close a rep still under way at the last sample (partial)."""
        if self.down and self._last >= 0:
            return self._close(self._last, self._t_last, True)
        return None


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
    """Find reps in a depth signal (a :class:`RepSegmenter` run over it).

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
    # the analysed frames' own spacing is not a gap (median: robust to the gaps themselves)
    if len(t) > 1:
        max_gap_s = max(max_gap_s, 1.5 * float(np.median(np.diff(t))))
    seg = RepSegmenter(min_depth=min_depth, start_fraction=start_fraction, end_fraction=end_fraction,
                       min_duration_s=min_duration_s, max_duration_s=max_duration_s, max_gap_s=max_gap_s)
    reps = [r for i in range(len(t)) if (r := seg.update(i, float(t[i]), float(d[i]))) is not None]
    last = seg.finish()
    return reps + ([last] if last is not None else [])
