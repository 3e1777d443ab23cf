"""Temporal smoothing of landmark trajectories, on media time.

MediaPipe PoseLandmarker has no temporal smoothing of its own in the Tasks API and its landmarks
jitter (RESEARCH.md). Two filters, one interface (:class:`Smoother`):

* :class:`ZeroPhaseButterworth` for recorded video: 4th-order low-pass Butterworth run forwards
  and backwards (``scipy.signal.sosfiltfilt``, in NumPy: :mod:`valgus.kinematics.iir`), cut-off 6 Hz, as Sports2D and Pose2Sim do. No lag,
  so the deepest frame of a rep stays where it was; it needs the whole clip.
* :class:`OneEuro` for live use: the One-Euro filter (Casiez, Roussel & Vogel, CHI 2012), causal,
  adapting its cut-off to speed so slow movement is smooth and fast movement lags little. It lags a
  little behind real motion: live numbers at the bottom of a fast rep can read a few degrees lower
  than the recorded analysis of the same movement.

Gaps: runs of NaN no longer than ``max_gap_s`` are filled by linear interpolation in time before
filtering; longer gaps are left as gaps and each valid segment is filtered on its own.
All functions are pure NumPy/SciPy and work along axis 0 of arrays of any trailing shape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from valgus.kinematics.iir import butter_lowpass_sos, padlen_for, sosfiltfilt

log = logging.getLogger(__name__)
_SAID: set[str] = set()

FloatArray = NDArray[np.float64]
SmootherKind = Literal["zero-phase", "causal", "none"]


class Smoother(Protocol):
    """Smooths a trajectory ``x`` of shape ``(n, ...)`` sampled at media times ``t`` ``(n,)``."""

    def apply(self, t: FloatArray, x: FloatArray) -> FloatArray: ...


def fill_short_gaps(t: FloatArray, x: FloatArray, max_gap_s: float) -> FloatArray:
    """Linearly interpolate (in time) NaN runs lasting at most ``max_gap_s`` between valid samples.

    Runs at the start or end of the clip, and longer runs, stay NaN. Each trailing element of ``x``
    is treated independently. Returns a new array.
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.array(x, dtype=np.float64, copy=True)
    flat = x.reshape(len(t), -1)
    for j in range(flat.shape[1]):
        col = flat[:, j]
        bad = np.isnan(col)
        if not bad.any() or bad.all():
            continue
        idx = np.flatnonzero(~bad)
        # runs of NaN strictly between two valid samples
        for a, b in zip(idx[:-1], idx[1:]):
            if b - a > 1 and t[b] - t[a] <= max_gap_s + 1e-9:
                w = (t[a + 1 : b] - t[a]) / (t[b] - t[a])
                col[a + 1 : b] = col[a] + w * (col[b] - col[a])
    return flat.reshape(x.shape)


def _segments(valid: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, stop) index ranges of consecutive True values."""
    if valid.size == 0:
        return []
    d = np.diff(np.concatenate([[0], valid.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


@dataclass(frozen=True)
class NoSmoothing:
    """Identity (raw landmarks), with the same gap filling as the real filters."""

    max_gap_s: float = 0.0

    def apply(self, t: FloatArray, x: FloatArray) -> FloatArray:
        return fill_short_gaps(t, x, self.max_gap_s) if self.max_gap_s > 0 else np.array(x, dtype=np.float64)


@dataclass(frozen=True)
class ZeroPhaseButterworth:
    """Zero-phase low-pass Butterworth (forward-backward), for recorded video.

    Args:
        cutoff_hz: -3 dB cut-off of the combined forward-backward filter's single pass.
        order: filter order of one pass (the effective order doubles).
        max_gap_s: longest NaN run that is interpolated before filtering.
    """

    cutoff_hz: float = 6.0
    order: int = 4
    max_gap_s: float = 0.25

    def __post_init__(self) -> None:
        if self.cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be > 0, got {self.cutoff_hz}")
        if self.order < 1:
            raise ValueError(f"order must be >= 1, got {self.order}")

    def apply(self, t: FloatArray, x: FloatArray) -> FloatArray:
        t = np.asarray(t, dtype=np.float64)
        x = fill_short_gaps(t, x, self.max_gap_s)
        if len(t) < 2:
            return x
        fs = 1.0 / float(np.median(np.diff(t)))
        if self.cutoff_hz >= 0.45 * fs:
            msg = f"frame rate {fs:.1f} fps too low to low-pass at {self.cutoff_hz:.1f} Hz; landmarks left unfiltered"
            if msg not in _SAID:  # once per process, not once per signal
                _SAID.add(msg)
                log.info("%s", msg)
            return x
        sos = butter_lowpass_sos(self.order, self.cutoff_hz, fs)
        flat = x.reshape(len(t), -1)
        out = flat.copy()
        min_len = padlen_for(sos)  # sosfiltfilt's padding needs more samples than this
        # Columns with the same missing frames (e.g. every landmark when the subject is out of
        # view) are filtered together, one finite stretch at a time.
        valid = ~np.isnan(flat)
        patterns, which = np.unique(valid, axis=1, return_inverse=True)
        for g in range(patterns.shape[1]):
            cols = np.flatnonzero(which.reshape(-1) == g)
            for a, b in _segments(patterns[:, g]):
                if b - a > min_len:
                    out[a:b, cols] = sosfiltfilt(sos, flat[a:b][:, cols])
        return out.reshape(x.shape)


@dataclass
class OneEuro:
    """Causal One-Euro filter (Casiez et al. 2012) on arrays of any shape, fed on media time.

    Args:
        min_cutoff_hz: cut-off at rest (lower = smoother, more lag).
        beta: how fast the cut-off rises with speed (higher = less lag on fast moves).
        d_cutoff_hz: cut-off of the speed estimate.
        max_gap_s: after a gap longer than this the filter restarts from the new sample.

    Use :meth:`step` frame by frame (live), or :meth:`apply` on a whole array (gives exactly
    what :meth:`step` would have given).
    """

    min_cutoff_hz: float = 1.5
    beta: float = 0.05
    d_cutoff_hz: float = 1.0
    max_gap_s: float = 0.25
    _x: FloatArray | None = field(default=None, init=False, repr=False)
    _dx: FloatArray | None = field(default=None, init=False, repr=False)
    _t: float | None = field(default=None, init=False, repr=False)

    @staticmethod
    def _alpha(cutoff: FloatArray | float, dt: float) -> FloatArray:
        tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff, dtype=np.float64))
        return 1.0 / (1.0 + tau / dt)

    def reset(self) -> None:
        self._x = self._dx = None
        self._t = None

    def step(self, t: float, x: FloatArray) -> FloatArray:
        """Filter one sample; NaN elements pass through as NaN and restart those elements."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t - self._t > self.max_gap_s or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        self._t = t
        prev = np.where(np.isnan(self._x), x, self._x)  # elements that were NaN restart here
        dx = (x - prev) / dt
        a_d = self._alpha(self.d_cutoff_hz, dt)
        dx_hat = np.where(np.isnan(self._dx), dx, a_d * dx + (1 - a_d) * np.nan_to_num(self._dx))
        cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
        a = self._alpha(cutoff, dt)
        x_hat = a * x + (1 - a) * prev
        self._x, self._dx = x_hat, dx_hat
        return x_hat.copy()

    def apply(self, t: FloatArray, x: FloatArray) -> FloatArray:
        self.reset()
        x = np.asarray(x, dtype=np.float64)
        out = np.empty_like(x)
        for i, ti in enumerate(np.asarray(t, dtype=np.float64)):
            out[i] = self.step(float(ti), x[i])
        self.reset()
        return out


def make_smoother(kind: SmootherKind, *, cutoff_hz: float = 6.0, max_gap_s: float = 0.25) -> Smoother:
    """The smoother for a use: ``"zero-phase"`` (recorded video), ``"causal"`` (live), ``"none"``."""
    if kind == "zero-phase":
        return ZeroPhaseButterworth(cutoff_hz=cutoff_hz, max_gap_s=max_gap_s)
    if kind == "causal":
        return OneEuro(max_gap_s=max_gap_s)
    if kind == "none":
        return NoSmoothing(max_gap_s=max_gap_s)
    raise ValueError(f"unknown smoother {kind!r}; expected 'zero-phase', 'causal' or 'none'")
