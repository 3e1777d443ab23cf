"""Tests for valgus.temporal.reps.segment_reps on synthetic depth signals with closed-form crossings.

Depth signal: ``A * (1 - cos(2 pi (t - t0) / P)) / 2`` for each rep (0 standing, A at the bottom).
With the default ``min_depth = 0.10`` and ``start_fraction = end_fraction = 0.35`` the start/end
level is ``c = 0.035``; a rep of depth A crosses it at ``tau = P * acos(1 - 2c/A) / (2 pi)`` after
its start and ``tau`` before its end, and is deepest at ``t0 + P/2``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from valgus.temporal.reps import Rep, segment_reps

LEVEL = 0.35 * 0.10  # default start/end level


def squats(fps: float, amplitudes=(0.3, 0.3, 0.3), *, period: float = 2.0, pad: float = 1.0, t_end=None):
    """Reps back to back after ``pad`` s of standing, then ``pad`` s of standing again."""
    total = pad + period * len(amplitudes) + pad if t_end is None else t_end
    t = np.arange(int(round(total * fps)) + 1) / fps
    d = np.zeros_like(t)
    for k, a in enumerate(amplitudes):
        t0 = pad + k * period
        inside = (t >= t0) & (t <= t0 + period)
        d[inside] = a * (1 - np.cos(2 * np.pi * (t[inside] - t0) / period)) / 2
    return t, d


def crossing(a: float, period: float = 2.0) -> float:
    """Time after a rep's start at which depth first reaches LEVEL (closed form)."""
    return period * math.acos(1 - 2 * LEVEL / a) / (2 * math.pi)


@pytest.mark.parametrize("fps", [15.0, 30.0, 60.0])
def test_three_cosine_reps_exact_count_and_timing(fps) -> None:
    t, d = squats(fps)
    reps = segment_reps(t, d)
    assert len(reps) == 3
    dt = 1.0 / fps
    tau = crossing(0.3)
    for k, r in enumerate(reps):
        t0 = 1.0 + 2.0 * k
        assert not r.partial
        # deepest exactly at the cosine's minimum (a sample falls on it at these frame rates)
        assert r.deepest == round((t0 + 1.0) * fps)
        assert r.t_deepest == pytest.approx(t0 + 1.0)
        assert r.depth == pytest.approx(0.3)
        # start: the first sample at or after the analytic crossing; end: first sample below the level
        assert t0 + tau - 1e-9 <= r.t_start < t0 + tau + dt
        assert t0 + 2.0 - tau < r.t_end <= t0 + 2.0 - tau + dt + 1e-9
        assert d[r.start] >= LEVEL and d[r.start - 1] < LEVEL
        assert d[r.end] < LEVEL and d[r.end - 1] >= LEVEL
        assert r.start < r.deepest < r.end
        assert (r.t_start, r.t_deepest, r.t_end) == (t[r.start], t[r.deepest], t[r.end])


def test_same_reps_at_any_frame_rate() -> None:
    by_fps = {fps: segment_reps(*squats(fps)) for fps in (15.0, 30.0, 60.0)}
    assert {len(v) for v in by_fps.values()} == {3}
    for a, b in zip(by_fps[15.0], by_fps[60.0]):
        # media-time invariance: the same moments, within one sample period of the coarser clip
        assert abs(a.t_start - b.t_start) <= 1 / 15
        assert abs(a.t_deepest - b.t_deepest) <= 1 / 15
        assert abs(a.t_end - b.t_end) <= 1 / 15


@pytest.mark.parametrize("fps", [1.6, 2.5])  # e.g. --stride 12 or 19 on a 30 fps clip
def test_coarse_sampling_is_not_a_gap(fps) -> None:
    # 0.625 s and 0.4 s between analysed frames; with 4 s reps that is still plenty of samples.
    # The spacing of the analysed frames is the clip's rhythm, not missing data.
    t, d = squats(fps, period=4.0)
    reps = segment_reps(t, d)
    assert len(reps) == 3 and not any(r.partial for r in reps)
    for k, r in enumerate(reps):
        assert abs(r.t_deepest - (3.0 + 4.0 * k)) <= 1 / fps / 2 + 1e-9
    # ... while a real hole (three analysed frames missing) still cuts a rep
    gap = (t > 6.6) & (t < 8.3)
    cut = segment_reps(t[~gap], d[~gap])
    assert sum(not r.partial for r in cut) == 2


def test_uneven_frame_times_give_the_same_reps(rng) -> None:
    # a variable-frame-rate phone clip: 25-35 fps jitter
    t = np.cumsum(rng.uniform(1 / 35, 1 / 25, size=260))
    t -= t[0]
    d = np.zeros_like(t)
    for k in range(3):
        t0 = 1.0 + 2.0 * k
        inside = (t >= t0) & (t <= t0 + 2.0)
        d[inside] = 0.3 * (1 - np.cos(np.pi * (t[inside] - t0))) / 2
    reps = segment_reps(t, d)
    assert len(reps) == 3
    for k, r in enumerate(reps):
        assert abs(r.t_deepest - (2.0 + 2.0 * k)) <= 1 / 25


def test_shallow_dips_are_ignored() -> None:
    t, d = squats(30.0, amplitudes=(0.3, 0.05, 0.08, 0.3))  # 0.05 and 0.08 < min_depth 0.10
    reps = segment_reps(t, d)
    assert [round(r.t_deepest, 6) for r in reps] == [2.0, 8.0]


def test_all_shallow_gives_no_reps() -> None:
    t, d = squats(30.0, amplitudes=(0.09, 0.09))
    assert segment_reps(t, d) == []
    assert segment_reps(t, np.zeros_like(t)) == []


def test_min_depth_parameter_is_honoured() -> None:
    t, d = squats(30.0, amplitudes=(0.3, 0.15, 0.3))
    assert len(segment_reps(t, d, min_depth=0.10)) == 3
    assert len(segment_reps(t, d, min_depth=0.20)) == 2  # the 0.15 rep no longer counts


def test_ripple_near_the_level_does_not_add_reps() -> None:
    t, d = squats(60.0)
    d = d + 0.01 * np.sin(2 * np.pi * 9.0 * t)  # jitter that crosses the 0.035 level repeatedly
    assert len(segment_reps(t, d)) == 3


@pytest.mark.parametrize(
    "period, n_expected",
    [
        (0.3, 0),  # a 0.3 s "rep" is a twitch: shorter than min_duration_s = 0.5
        (2.0, 1),
        (20.0, 0),  # longer than max_duration_s = 15
    ],
)
def test_duration_limits(period, n_expected) -> None:
    t, d = squats(30.0, amplitudes=(0.3,), period=period)
    assert len(segment_reps(t, d)) == n_expected


def test_partial_reps_at_both_clip_edges() -> None:
    t, d = squats(30.0)
    # start the clip at the bottom of rep 1 (t = 2.0) and end it at the bottom of rep 3 (t = 6.0)
    keep = (t >= 2.0) & (t <= 6.0)
    tt, dd = t[keep] - 2.0, d[keep]
    reps = segment_reps(tt, dd)
    assert len(reps) == 3
    first, middle, last = reps
    assert first.partial and first.start == 0
    assert not middle.partial and middle.t_deepest == pytest.approx(2.0)
    assert last.partial and last.end == len(tt) - 1 and last.deepest == len(tt) - 1


def test_short_nan_gap_inside_a_rep_is_bridged() -> None:
    t, d = squats(30.0)
    d[(t > 3.8) & (t < 4.1)] = np.nan  # 0.3 s gap over the bottom of rep 2 (< max_gap_s = 0.5)
    reps = segment_reps(t, d)
    assert len(reps) == 3 and not any(r.partial for r in reps)
    mid = reps[1]
    assert np.isfinite(d[mid.deepest])
    # deepest of the samples we still have: next to the gap
    assert abs(mid.t_deepest - 4.0) <= 0.1 + 1 / 30


def test_long_nan_gap_cuts_a_rep_into_partial_pieces() -> None:
    t, d = squats(30.0)
    d[(t > 3.4) & (t < 4.2)] = np.nan  # 0.8 s gap in rep 2 (> max_gap_s = 0.5)
    reps = segment_reps(t, d)
    full = [r for r in reps if not r.partial]
    # reps 1 and 3 are whole; whatever is found of rep 2 on either side of the gap is partial,
    # never a complete rep (a rep whose start nobody saw cannot be scored as one)
    assert [round(r.t_deepest, 6) for r in full] == [2.0, 6.0]
    pieces = [r for r in reps if r.partial]
    assert pieces and all(3.0 <= r.t_start and r.t_end <= 5.0 for r in pieces)
    assert any(r.end < np.flatnonzero(np.isnan(d))[0] for r in pieces)  # the piece before the gap


def test_frames_missing_from_the_stream_count_like_a_nan_gap() -> None:
    # a damaged stream loses 0.8 s of frames in rep 2: no rows at all, only a jump in media time.
    # That is the same unknown stretch as a run of NaN rows and must give the same reps.
    t, d = squats(30.0)
    gap = (t > 3.4) & (t < 4.2)
    with_nan = d.copy()
    with_nan[gap] = np.nan
    expected = segment_reps(t, with_nan)
    got = segment_reps(t[~gap], d[~gap])
    key = lambda r: (round(r.t_start, 6), round(r.t_deepest, 6), round(r.t_end, 6), r.partial)  # noqa: E731
    assert [key(r) for r in got] == [key(r) for r in expected]
    assert [round(r.t_deepest, 6) for r in got if not r.partial] == [2.0, 6.0]


def test_rep_fields_are_plain_python_types() -> None:
    # reps end up in reps.json: numpy scalars (np.bool_) are not JSON serialisable
    import json

    t, d = squats(30.0)
    d[(t > 3.4) & (t < 4.2)] = np.nan
    for r in segment_reps(t, d):
        assert type(r.partial) is bool and type(r.depth) is float and type(r.t_start) is float
        json.dumps(r.__dict__)


def test_rep_starting_inside_a_long_gap_is_partial() -> None:
    t, d = squats(30.0)
    d[(t > 2.5) & (t < 3.8)] = np.nan  # from the end of rep 1 into the descent of rep 2
    reps = segment_reps(t, d)
    after = [r for r in reps if r.t_start > 3.7]
    assert after and after[0].partial


def test_all_nan_gives_no_reps() -> None:
    t = np.arange(30) / 30
    assert segment_reps(t, np.full(30, np.nan)) == []
    assert segment_reps(np.array([]), np.array([])) == []


def test_rep_rejects_out_of_order_indices() -> None:
    with pytest.raises(ValueError, match="out of order"):
        Rep(start=5, deepest=3, end=9, t_start=0.5, t_deepest=0.3, t_end=0.9, depth=0.2)
