"""Zero-phase Butterworth low-pass filtering in NumPy: what ``scipy.signal.butter(..., output="sos")``
and ``scipy.signal.sosfiltfilt`` compute, without SciPy.

SciPy was a runtime dependency for these two functions alone, and importing ``scipy.signal``
cost 1-2 s of CPU in every process (it imports ``scipy.stats``), about a tenth of the whole
analysis of a 20-s phone clip on a 2-core machine. The design follows SciPy's
(``buttap`` -> ``lp2lp_zpk`` -> ``bilinear_zpk`` -> ``zpk2sos``; Butterworth 1930; the bilinear
transform with pre-warping, Oppenheim & Schafer, *Discrete-Time Signal Processing*, 3rd ed.,
7.1.2), and so does the filtering: a cascade of second-order sections in transposed direct form
II, run forwards then backwards over the signal extended at both ends by odd reflection
(``padtype="odd"``, ``padlen = 3 * (2 * sections + 1)``), each pass started from the steady
state of a constant input (``sosfilt_zi``), as Gustafsson (1996) proposes and SciPy does.

The recursion is evaluated in blocks of :data:`BLOCK` samples with matrix products (exact: the
response of a linear recursion over a block is its initial state's free response plus the
convolution of the block's inputs with the impulse response), so a signal of n samples and m
columns costs n / BLOCK NumPy calls instead of n. Results agree with SciPy's to about 1e-12
(rounding order; ``tests/unit/test_iir.py``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from valgus.types import FloatArray

#: samples per block of the blocked recursion
BLOCK = 64


def butter_lowpass_sos(order: int, cutoff_hz: float, fs: float) -> FloatArray:
    """Second-order sections ``(n_sections, 6)`` (``b0 b1 b2 a0 a1 a2``, ``a0 = 1``) of a digital
    Butterworth low-pass filter of ``order`` with its -3 dB point at ``cutoff_hz`` for sampling
    rate ``fs``: ``scipy.signal.butter(order, cutoff_hz, fs=fs, output="sos")``."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    wn = 2.0 * cutoff_hz / fs  # normalised to Nyquist
    if not 0.0 < wn < 1.0:
        raise ValueError(f"cut-off {cutoff_hz} Hz must lie between 0 and fs/2 = {fs / 2} Hz")
    # analog prototype (buttap): poles on the unit circle's left half, no zeros, gain 1
    m = np.arange(-order + 1, order, 2)
    p = -np.exp(1j * np.pi * m / (2 * order))
    # pre-warp and scale to the cut-off (lp2lp_zpk), then the bilinear transform (bilinear_zpk);
    # SciPy works with fs = 2 for a normalised design
    fs2 = 4.0
    warped = 2.0 * 2.0 * math.tan(math.pi * wn / 2.0)
    p = warped * p
    k = warped ** order
    pd = (fs2 + p) / (fs2 - p)
    zd = -np.ones(order)
    k = k * np.real(1.0 / np.prod(fs2 - p))
    return _zpk2sos_lowpass(zd, pd, float(k))


def _zpk2sos_lowpass(z: np.ndarray, p: np.ndarray, k: float) -> FloatArray:
    """``scipy.signal.zpk2sos`` (pairing "nearest") for a low-pass whose zeros are all at -1:
    conjugate pole pairs, the pair nearest the unit circle in the last section, the gain in the
    first."""
    n = len(p)
    n_sections = (n + 1) // 2
    # the real pole (odd order) and one pole of each conjugate pair (positive imaginary part)
    real = p[np.abs(p.imag) <= 100 * np.finfo(float).eps * np.abs(p)].real
    cplx = p[p.imag > 100 * np.finfo(float).eps * np.abs(p)]
    sos = np.zeros((n_sections, 6))
    # sections are filled from the last one, taking the pole closest to the unit circle first
    pairs: list[tuple[complex, ...]] = [(c,) for c in cplx] + [(complex(r, 0.0),) for r in real]
    pairs.sort(key=lambda c: abs(1.0 - abs(c[0])))
    for si in range(n_sections - 1, -1, -1):
        (p1,) = pairs.pop(0)
        if p1.imag != 0.0:  # a conjugate pair and two zeros at -1
            b = [1.0, 2.0, 1.0]
            a = [1.0, -2.0 * p1.real, abs(p1) ** 2]
        else:  # a real pole and one zero at -1
            b = [1.0, 1.0, 0.0]
            a = [1.0, -p1.real, 0.0]
        sos[si] = b + a
    sos[0, :3] *= k
    return sos


def sosfilt_zi(sos: FloatArray) -> FloatArray:
    """``(n_sections, 2)`` initial states for which a constant input of 1 gives its steady state
    (``scipy.signal.sosfilt_zi``)."""
    sos = np.asarray(sos, dtype=np.float64)
    zi = np.empty((len(sos), 2))
    scale = 1.0
    for s, row in enumerate(sos):
        b, a = row[:3] / row[3], row[3:] / row[3]
        # lfilter_zi: (I - A^T) zi = b[1:] - a[1:] * b[0], A the companion matrix of a
        i_minus_at = np.array([[1.0 + a[1], -1.0], [a[2], 1.0]])
        zi[s] = scale * np.linalg.solve(i_minus_at, b[1:] - a[1:] * b[0])
        scale *= b.sum() / a.sum()
    return zi


class _Section:
    """One second-order section's blocked recursion (transposed direct form II)."""

    def __init__(self, row: FloatArray, block: int) -> None:
        b0, b1, b2, a0, a1, a2 = (float(v) / float(row[3]) if i != 3 else 1.0 for i, v in enumerate(row))
        A = np.array([[-a1, 1.0], [-a2, 0.0]])
        B = np.array([b1 - a1 * b0, b2 - a2 * b0])
        powers = [np.eye(2)]
        for _ in range(block):
            powers.append(A @ powers[-1])
        # y[k] = C A^k s + D x[k] + sum_{j<k} C A^(k-1-j) B x[j];  s' = A^K s + sum_j A^(K-1-j) B x[j]
        self.O = np.array([pk[0] for pk in powers[:block]])  # (K, 2): C A^k, C = [1, 0]
        h = np.array([0.0] + [(powers[m - 1] @ B)[0] for m in range(1, block)])  # h[m] = C A^(m-1) B
        T = np.zeros((block, block))
        idx = np.arange(block)
        for m in range(1, block):
            T[idx[m:], idx[:-m]] = h[m]
        T[idx, idx] = b0
        self.T = T
        self.E = np.stack([powers[block - 1 - j] @ B for j in range(block)], axis=1)  # (2, K)
        self.AK = powers[block]
        self.block = block

    def run(self, x: FloatArray, state: FloatArray) -> FloatArray:
        """Filter ``x`` ``(n, m)`` from ``state`` ``(2, m)``; the output ``(n, m)``."""
        n, K = len(x), self.block
        pad = (-n) % K
        xp = np.concatenate([x, np.zeros((pad, x.shape[1]))]) if pad else x
        y = np.empty_like(xp)
        s = state
        for i in range(0, len(xp), K):
            xb = xp[i:i + K]
            y[i:i + K] = self.O @ s + self.T @ xb
            s = self.AK @ s + self.E @ xb
        return y[:n]


def sosfilt(sos: FloatArray, x: FloatArray, zi: FloatArray, *, block: int = BLOCK) -> FloatArray:
    """Filter ``x`` ``(n, m)`` along axis 0 with the cascade ``sos`` from initial states ``zi``
    ``(n_sections, 2, m)`` (``scipy.signal.sosfilt(sos, x, axis=0, zi=zi)[0]``)."""
    y = np.asarray(x, dtype=np.float64)
    K = max(1, min(block, len(y)))
    for s, row in enumerate(np.asarray(sos, dtype=np.float64)):
        y = _section(tuple(float(v) for v in row), K).run(y, zi[s])
    return y


@lru_cache(maxsize=64)
def _section(row: tuple[float, ...], block: int) -> _Section:
    """The blocked matrices of one section, made once per filter and block size (a clip's
    smoothing filters many columns and stretches with the same two sections)."""
    return _Section(np.asarray(row), block)


def padlen_for(sos: FloatArray) -> int:
    """How many samples ``sosfiltfilt`` adds at each end (SciPy's default)."""
    sos = np.asarray(sos)
    ntaps = 2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    return 3 * ntaps


def sosfiltfilt(sos: FloatArray, x: FloatArray) -> FloatArray:
    """Zero-phase filtering of ``x`` (``(n,)`` or ``(n, m)``) along axis 0:
    ``scipy.signal.sosfiltfilt(sos, x, axis=0)`` (odd padding, default pad length).

    Raises:
        ValueError: ``x`` has no more samples than the pad length.
    """
    sos = np.asarray(sos, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    one_d = x.ndim == 1
    x2 = x.reshape(len(x), -1)
    pad = padlen_for(sos)
    if len(x2) <= pad:
        raise ValueError(f"the signal needs more than {pad} samples, got {len(x2)}")
    # odd extension: 2 x[0] - x[pad:0:-1] before, 2 x[-1] - x[-2:-pad-2:-1] after
    ext = np.concatenate([2 * x2[:1] - x2[pad:0:-1], x2, 2 * x2[-1:] - x2[-2:-pad - 2:-1]])
    zi = sosfilt_zi(sos)[:, :, None]  # (sections, 2, 1)
    y = sosfilt(sos, ext, zi * ext[0][None, None, :])
    y = sosfilt(sos, y[::-1], zi * y[-1][None, None, :])[::-1]
    out = np.ascontiguousarray(y[pad:-pad])
    return out.reshape(x.shape) if one_d else out


__all__ = ["BLOCK", "butter_lowpass_sos", "padlen_for", "sosfilt", "sosfilt_zi", "sosfiltfilt"]
