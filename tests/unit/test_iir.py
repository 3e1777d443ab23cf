"""The NumPy Butterworth low-pass and zero-phase filter (valgus.kinematics.iir): known answers,
and SciPy's results where SciPy is installed (the test extra)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from valgus.kinematics.iir import butter_lowpass_sos, padlen_for, sosfilt, sosfilt_zi, sosfiltfilt


def _response(sos: np.ndarray, f_hz: float, fs: float) -> complex:
    """The cascade's frequency response at ``f_hz`` (z on the unit circle)."""
    z = np.exp(-1j * 2 * np.pi * f_hz / fs)
    h = 1.0 + 0j
    for b0, b1, b2, a0, a1, a2 in sos:
        h *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return h


@pytest.mark.parametrize("order, fc, fs", [(4, 6.0, 30.0), (4, 6.0, 240.0), (2, 10.0, 30.0), (3, 5.0, 60.0),
                                           (1, 2.0, 25.0), (5, 3.0, 50.0)])
def test_butterworth_design_has_unit_dc_gain_and_minus_3_db_at_the_cut_off(order, fc, fs) -> None:
    sos = butter_lowpass_sos(order, fc, fs)
    assert sos.shape == ((order + 1) // 2, 6) and np.all(sos[:, 3] == 1.0)
    assert abs(_response(sos, 0.0, fs)) == pytest.approx(1.0, abs=1e-12)
    assert abs(_response(sos, fc, fs)) == pytest.approx(1 / math.sqrt(2), abs=1e-9)  # the -3 dB point
    assert abs(_response(sos, fs / 2, fs)) < 1e-9  # zeros at Nyquist (z = -1)
    # maximally flat and monotonic: |H| falls steadily from DC to Nyquist
    mags = [abs(_response(sos, f, fs)) for f in np.linspace(0, fs / 2, 50)]
    assert all(b <= a + 1e-12 for a, b in zip(mags, mags[1:]))
    # every pole inside the unit circle (a stable filter)
    for row in sos:
        assert np.all(np.abs(np.roots(row[3:])) < 1.0)


def test_design_rejects_a_cut_off_at_or_above_nyquist() -> None:
    with pytest.raises(ValueError):
        butter_lowpass_sos(4, 15.0, 30.0)
    with pytest.raises(ValueError):
        butter_lowpass_sos(0, 5.0, 30.0)


def test_initial_states_give_the_steady_state_of_a_constant() -> None:
    sos = butter_lowpass_sos(4, 6.0, 30.0)
    zi = sosfilt_zi(sos)[:, :, None] * 3.5
    y = sosfilt(sos, np.full((200, 1), 3.5), zi)
    np.testing.assert_allclose(y, 3.5, atol=1e-12)  # no start-up transient


def test_blocked_recursion_equals_the_sample_by_sample_recursion() -> None:
    """Transposed direct form II, written out sample by sample, against the blocked products
    (lengths below, at and above one block; several columns)."""
    sos = butter_lowpass_sos(4, 6.0, 30.0)
    rng = np.random.default_rng(0)
    for n in (1, 5, 63, 64, 65, 300):
        x = rng.normal(size=(n, 3))
        zi = rng.normal(size=(len(sos), 2, 3))
        y = x.copy()
        z = zi.copy()
        for k in range(n):
            v = y[k].copy()
            for s, (b0, b1, b2, _, a1, a2) in enumerate(sos):
                out = b0 * v + z[s, 0]
                z[s, 0] = b1 * v - a1 * out + z[s, 1]
                z[s, 1] = b2 * v - a2 * out
                v = out
            y[k] = v
        np.testing.assert_allclose(sosfilt(sos, x, zi), y, rtol=1e-10, atol=1e-10)


def test_zero_phase_filter_keeps_a_line_and_a_slow_sine_and_removes_a_fast_one() -> None:
    fs = 30.0
    sos = butter_lowpass_sos(4, 6.0, fs)
    t = np.arange(300) / fs
    line = 2.0 + 0.5 * t
    y = sosfiltfilt(sos, line)
    np.testing.assert_allclose(y[20:-20], line[20:-20], atol=1e-9)  # a ramp passes unchanged...
    np.testing.assert_allclose(y, line, atol=1e-4)  # ...and odd padding keeps its ends within 1e-4
    slow = np.sin(2 * np.pi * 0.5 * t)
    fast = np.sin(2 * np.pi * 12.0 * t)
    y = sosfiltfilt(sos, slow + fast)
    mid = slice(30, -30)
    # 0.5 Hz passes with |H|^2 ~ 1 and no lag; 12 Hz is cut by |H(12)|^2 ~ 0.4 %
    assert np.max(np.abs(y[mid] - slow[mid])) < 0.01
    gain12 = abs(_response(sos, 12.0, fs)) ** 2
    assert gain12 < 0.005
    # forward-backward: the phase cancels (the peak of a slow bump does not move)
    bump = np.exp(-0.5 * ((t - 5.0) / 0.5) ** 2)
    assert int(np.argmax(sosfiltfilt(sos, bump))) == int(np.argmax(bump))


def test_zero_phase_filter_needs_more_samples_than_its_padding() -> None:
    sos = butter_lowpass_sos(4, 6.0, 30.0)
    assert padlen_for(sos) == 15
    with pytest.raises(ValueError):
        sosfiltfilt(sos, np.zeros(15))
    assert sosfiltfilt(sos, np.zeros((16, 2))).shape == (16, 2)


@pytest.mark.parametrize("order, fc, fs, n", [(4, 6.0, 30.0, 900), (4, 6.0, 29.97, 17), (4, 6.0, 240.0, 2000),
                                              (3, 5.0, 60.0, 130), (2, 10.0, 30.0, 64), (5, 3.0, 50.0, 500)])
def test_same_results_as_scipy(order, fc, fs, n) -> None:
    signal = pytest.importorskip("scipy.signal", reason="SciPy (the test extra) is the reference here")
    rng = np.random.default_rng(n)
    x = np.cumsum(rng.normal(size=(n, 4)), axis=0)
    ours = butter_lowpass_sos(order, fc, fs)
    ref = signal.butter(order, fc, btype="low", fs=fs, output="sos")
    # the same cascade (section order may differ for odd orders: compare what it does)
    for f in (0.0, fc / 2, fc, 0.45 * fs):
        assert _response(ours, f, fs) == pytest.approx(_response(ref, f, fs), abs=1e-12)
    np.testing.assert_allclose(sosfiltfilt(ours, x), signal.sosfiltfilt(ref, x, axis=0), rtol=0, atol=1e-9)
