"""Tests for valgus.kinematics.smoothing: zero-phase Butterworth, One-Euro, gap filling, the factory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from valgus.kinematics.smoothing import NoSmoothing, OneEuro, ZeroPhaseButterworth, fill_short_gaps, make_smoother


def _t(fps: float, seconds: float) -> np.ndarray:
    return np.arange(int(round(fps * seconds))) / fps


# --------------------------------------------------------------------------------------------
# fill_short_gaps
# --------------------------------------------------------------------------------------------

GAP_CASES = [
    # (t, x, max_gap_s, expected, comment)
    pytest.param([0, 0.1, 0.2, 0.3, 0.4], [0, np.nan, np.nan, 3, 4], 0.3, [0, 1, 2, 3, 4], id="two-missing-linear"),
    # interpolation is in TIME, not in index: samples at 0.1 and 0.4 of a 0 -> 10 ramp over 0.5 s
    pytest.param([0, 0.1, 0.4, 0.5], [0, np.nan, np.nan, 10], 0.5, [0, 2, 8, 10], id="uneven-time"),
    # the gap spans 0.3 s between valid samples, longer than 0.2 -> left alone
    pytest.param([0, 0.1, 0.2, 0.3], [1, np.nan, np.nan, 4], 0.2, [1, np.nan, np.nan, 4], id="too-long"),
    # leading and trailing gaps are never extrapolated
    pytest.param([0, 0.1, 0.2, 0.3], [np.nan, 1, 2, np.nan], 1.0, [np.nan, 1, 2, np.nan], id="edges-stay-nan"),
    pytest.param([0, 0.1, 0.2], [np.nan] * 3, 1.0, [np.nan] * 3, id="all-nan"),
    pytest.param([0, 0.1, 0.2], [5, 6, 7], 1.0, [5, 6, 7], id="no-gap"),
    # two gaps between valid samples 0.2 s and 0.4 s apart: only the short one filled
    pytest.param(
        [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, np.nan, 2, np.nan, np.nan, np.nan, 6], 0.25,
        [0, 1, 2, np.nan, np.nan, np.nan, 6], id="short-and-long",
    ),
]


@pytest.mark.parametrize("t, x, max_gap, expected", GAP_CASES)
def test_fill_short_gaps(t, x, max_gap, expected) -> None:
    x = np.array(x, dtype=float)
    before = x.copy()
    out = fill_short_gaps(np.array(t, dtype=float), x, max_gap)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    np.testing.assert_array_equal(x, before)  # input untouched


def test_fill_short_gaps_treats_trailing_elements_independently() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.3])
    x = np.zeros((4, 2, 2))
    x[:, 0, 0] = [0, np.nan, 2, 3]  # 1-sample gap -> 1
    x[:, 1, 1] = [0, np.nan, np.nan, 30]  # 2-sample gap over 0.3 s > 0.25 -> stays
    out = fill_short_gaps(t, x, 0.25)
    assert out.shape == x.shape
    assert out[1, 0, 0] == pytest.approx(1.0)
    assert np.isnan(out[1, 1, 1]) and np.isnan(out[2, 1, 1])
    assert np.all(out[:, 0, 1] == 0) and np.all(out[:, 1, 0] == 0)


# --------------------------------------------------------------------------------------------
# Zero-phase Butterworth
# --------------------------------------------------------------------------------------------


def test_zero_phase_has_no_lag() -> None:
    t = _t(60, 3.0)
    bump = np.exp(-0.5 * ((t - 1.3) / 0.2) ** 2)  # smooth bump, peak at sample 78
    out = ZeroPhaseButterworth().apply(t, bump)
    assert int(np.argmax(out)) == int(np.argmax(bump)) == 78
    # a causal filter of the same kind would lag: the One-Euro peak comes later
    assert int(np.argmax(OneEuro(min_cutoff_hz=1.0, beta=0.0).apply(t, bump))) > 78


def test_zero_phase_attenuates_15hz_noise_at_60fps() -> None:
    t = _t(60, 4.0)
    clean = np.sin(2 * np.pi * 1.0 * t)
    x = clean + 0.3 * np.sin(2 * np.pi * 15.0 * t)
    out = ZeroPhaseButterworth(cutoff_hz=6.0, order=4).apply(t, x)
    inner = slice(30, -30)  # half a second from either end: no edge transients
    # Digital Butterworth (bilinear): |H(f)|^2 = 1 / (1 + (tan(pi f/fs) / tan(pi fc/fs))^(2N)).
    # Forward-backward applies |H|^2. At 15 Hz: tan(pi/4) = 1, tan(pi/10) = 0.3249 -> ratio 3.08,
    # |H|^2 = 1/(1 + 3.08^8) = 1.2e-4, so the 0.3 amplitude noise leaves < 4e-5.
    ratio = math.tan(math.pi * 15 / 60) / math.tan(math.pi * 6 / 60)
    h2_15 = 1.0 / (1.0 + ratio**8)
    # ... and at 1 Hz the signal passes with |H|^2 = 1/(1 + (tan(pi/60)/tan(pi/10))^8) ~ 1 - 3e-9.
    err = np.abs(out - clean)[inner]
    assert err.max() < 2 * 0.3 * h2_15 + 1e-4
    assert np.abs(x - clean)[inner].max() > 0.25  # the noise was really there


def test_zero_phase_preserves_constants_and_lines() -> None:
    t = _t(30, 2.0)
    sm = ZeroPhaseButterworth()
    np.testing.assert_allclose(sm.apply(t, np.full_like(t, 7.5)), 7.5, atol=1e-9)
    # odd-extension padding keeps a straight line straight (to within the steady-state start-up
    # of sosfiltfilt: 1e-3 of a 6-unit ramp), so a slow squat is not bent at the clip's ends
    np.testing.assert_allclose(sm.apply(t, 3.0 * t - 1.0), 3.0 * t - 1.0, atol=1e-3)


def test_zero_phase_works_on_landmark_arrays_and_keeps_long_gaps() -> None:
    t = _t(30, 4.0)
    x = np.zeros((len(t), 33, 2)) + np.sin(2 * np.pi * 0.5 * t)[:, None, None]
    x[50:70, 5, 0] = np.nan  # 0.67 s gap: longer than max_gap_s=0.25 -> stays NaN
    x[10, 6, 1] = np.nan  # one missing frame: filled
    out = ZeroPhaseButterworth(max_gap_s=0.25).apply(t, x)
    assert out.shape == x.shape
    assert np.all(np.isnan(out[50:70, 5, 0]))
    assert np.isfinite(out[:50, 5, 0]).all() and np.isfinite(out[70:, 5, 0]).all()
    assert np.isfinite(out[10, 6, 1])
    assert out[10, 6, 1] == pytest.approx(np.sin(2 * np.pi * 0.5 * t[10]), abs=0.01)


def test_zero_phase_too_low_frame_rate_leaves_data_unfiltered() -> None:
    t = _t(10, 3.0)  # 10 fps: a 6 Hz cut-off is above 0.45 * fs
    x = np.cos(t * 17.0)
    np.testing.assert_array_equal(ZeroPhaseButterworth(cutoff_hz=6.0).apply(t, x), x)


@pytest.mark.parametrize("kwargs", [{"cutoff_hz": 0.0}, {"cutoff_hz": -1.0}, {"order": 0}])
def test_zero_phase_rejects_bad_parameters(kwargs) -> None:
    with pytest.raises(ValueError):
        ZeroPhaseButterworth(**kwargs)


def test_zero_phase_does_not_modify_input() -> None:
    t = _t(30, 2.0)
    x = np.sin(t)
    x[5] = np.nan
    before = x.copy()
    ZeroPhaseButterworth().apply(t, x)
    np.testing.assert_array_equal(x, before)


# --------------------------------------------------------------------------------------------
# One-Euro
# --------------------------------------------------------------------------------------------


def test_one_euro_apply_equals_repeated_step(rng) -> None:
    t = np.cumsum(rng.uniform(1 / 40, 1 / 20, size=120))  # uneven media time
    x = np.cumsum(rng.normal(size=(120, 3, 2)), axis=0)
    x[30, 1, 0] = np.nan
    f = OneEuro()
    applied = f.apply(t, x)
    g = OneEuro()
    stepped = np.array([g.step(float(ti), xi) for ti, xi in zip(t, x)])
    np.testing.assert_array_equal(applied, stepped)
    # apply() resets: a second call gives the same again
    np.testing.assert_array_equal(f.apply(t, x), applied)


def test_one_euro_is_causal(rng) -> None:
    t = _t(30, 3.0)
    x = rng.normal(size=len(t))
    y = x.copy()
    y[60:] += 10.0  # change only the future from sample 60 on
    a, b = OneEuro().apply(t, x), OneEuro().apply(t, y)
    np.testing.assert_array_equal(a[:60], b[:60])
    assert not np.allclose(a[60:], b[60:])


def test_one_euro_constant_first_sample_and_restart() -> None:
    f = OneEuro(max_gap_s=0.25)
    assert f.step(0.0, np.array([3.0])) == pytest.approx(3.0)  # first sample passes through
    for i in range(1, 10):
        assert f.step(i / 30, np.array([3.0])) == pytest.approx(3.0)  # a constant stays constant
    # a step input is smoothed (output strictly between old and new value) ...
    y = f.step(10 / 30, np.array([13.0]))[0]
    assert 3.0 < y < 13.0
    # ... but after a gap longer than max_gap_s the filter restarts at the new sample
    assert f.step(10 / 30 + 0.5, np.array([-4.0]))[0] == pytest.approx(-4.0)


def test_one_euro_alpha_matches_the_paper() -> None:
    # alpha = 1 / (1 + tau/dt), tau = 1/(2 pi fc): at fc = 1/(2 pi) Hz, tau = 1 s; dt = 1 s -> 0.5
    assert OneEuro._alpha(1 / (2 * np.pi), 1.0) == pytest.approx(0.5)
    # first filtered step from rest with beta = 0: x_hat = a x + (1 - a) x_prev
    f = OneEuro(min_cutoff_hz=1 / (2 * np.pi), beta=0.0, max_gap_s=10.0)
    f.step(0.0, np.array([0.0]))
    assert f.step(1.0, np.array([8.0]))[0] == pytest.approx(4.0)


def test_one_euro_nan_passes_through() -> None:
    f = OneEuro()
    f.step(0.0, np.array([1.0, 1.0]))
    out = f.step(1 / 30, np.array([np.nan, 1.0]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(1.0)
    out = f.step(2 / 30, np.array([5.0, 1.0]))  # the NaN element restarts at its new value
    assert out[0] == pytest.approx(5.0)


# --------------------------------------------------------------------------------------------
# NoSmoothing and the factory
# --------------------------------------------------------------------------------------------


def test_no_smoothing_is_identity_plus_gap_filling() -> None:
    t = np.array([0.0, 0.1, 0.2])
    x = np.array([1.0, np.nan, 3.0])
    np.testing.assert_array_equal(NoSmoothing().apply(t, x), x)
    np.testing.assert_allclose(NoSmoothing(max_gap_s=0.2).apply(t, x), [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "kind, cls",
    [("zero-phase", ZeroPhaseButterworth), ("causal", OneEuro), ("none", NoSmoothing)],
)
def test_make_smoother_kinds(kind, cls) -> None:
    sm = make_smoother(kind, cutoff_hz=4.0, max_gap_s=0.1)
    assert isinstance(sm, cls)
    assert sm.max_gap_s == 0.1
    if cls is ZeroPhaseButterworth:
        assert sm.cutoff_hz == 4.0


@pytest.mark.parametrize("kind", ["butterworth", "", "Zero-Phase", "kalman"])
def test_make_smoother_rejects_unknown_kinds(kind) -> None:
    with pytest.raises(ValueError, match="unknown smoother"):
        make_smoother(kind)  # type: ignore[arg-type]
