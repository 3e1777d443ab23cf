"""The engine's Session on a synthetic squatting figure: the causal mode scores each rep at the
frame it ends (what live shows), the offline mode scores the clip at the end (what analyze
writes), and both find the same reps and flag the same one."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import frontal_xy, make_person
from valgus.config import Config
from valgus.engine import Session
from valgus.types import FramePoses, VideoInfo

FPS = 30.0


def squat_frames(valgus_reps=(2,), n_reps=3, depth_px=80.0, knee_in_px=25.0):
    """Standing 1 s, then ``n_reps`` 2-s cosine squats (hips down ``depth_px``, ankles fixed: the
    image leg shortens as the knees bend) with 1 s standing between; on ``valgus_reps`` both
    knees move ``knee_in_px`` towards the midline in proportion to depth."""
    poses = []
    seg = [np.zeros(int(FPS))]
    for _ in range(n_reps):
        k = np.arange(int(2 * FPS))
        seg += [0.5 * (1 - np.cos(2 * np.pi * k / len(k))), np.zeros(int(FPS))]
    u = np.concatenate(seg)  # 0 standing .. 1 deepest
    rep_of = np.concatenate([np.zeros(int(FPS))] + [np.r_[np.full(int(2 * FPS), r + 1), np.zeros(int(FPS))]
                                                    for r in range(n_reps)])
    for i, x in enumerate(u):
        d = depth_px * x
        kin = knee_in_px * x if int(rep_of[i]) in valgus_reps else 0.0
        xy = frontal_xy(hip_y=240.0 + d, thigh=(200.0 - d) / 2, shank=(200.0 - d) / 2,
                        knee_in_left=kin, knee_in_right=kin)
        poses.append(FramePoses(index=i, t=i / FPS, people=(make_person(xy, 0.95),)))
    return poses


class _NoModel:
    def __call__(self, *a, **k):  # pragma: no cover - update_poses is fed directly
        raise AssertionError("not used")

    def close(self) -> None:
        pass


def _run(mode: str, poses):
    info = VideoInfo(path=None, width=640, height=480, fps=FPS, frame_count=len(poses),
                     duration_s=len(poses) / FPS, codec="test")
    s = Session(Config(), info, _NoModel(), mode=mode)
    emitted = []
    for p in poses:
        upd = s.update_poses(p.index, p.t, p)
        if upd.rep is not None:
            emitted.append((p.index, upd.rep))
    return s.finish(source="synthetic"), emitted


def test_causal_session_scores_each_rep_at_the_frame_it_ends():
    poses = squat_frames()
    a, emitted = _run("causal", poses)
    assert len(emitted) == 3
    for at, rep in emitted:  # announced at the frame that ends it, not later
        assert rep.frame_end == at
        assert rep.exercise == "squat" and rep.working_leg == "both"
    cats = [rep.worst("dynamic_knee_valgus") for _, rep in emitted]
    assert cats[1] in ("mild", "marked") and cats[0] == cats[2] == "none"
    assert a.result.verdict.startswith("knee valgus")
    assert [r.number for r in a.result.reps] == [1, 2, 3]
    assert len(a.metrics["frame"]) == len(poses) and set(a.metrics) >= {"left_fppa_deg", "knee_hip_sep_ratio"}


def test_offline_and_causal_sessions_agree_on_reps_and_flags():
    poses = squat_frames()
    off, none = _run("offline", poses)
    live, _ = _run("causal", poses)
    assert none == []  # offline mode scores at the end only
    key = lambda a: [(r.exercise, r.working_leg, r.worst("dynamic_knee_valgus")) for r in a.result.reps]  # noqa: E731
    assert key(off) == key(live)
    for r_off, r_live in zip(off.result.reps, live.result.reps):
        # the causal filter lags: the deepest frame may come a few frames later live
        assert abs(r_off.frame_deepest - r_live.frame_deepest) <= 4
    assert off.result.verdict == live.result.verdict


def test_causal_metrics_match_the_offline_ones_on_a_still_figure():
    """Standing still: no filter lag, running references equal the clip's: same numbers."""
    xy = frontal_xy(knee_in_left=6.0)
    poses = [FramePoses(index=i, t=i / FPS, people=(make_person(xy, 0.95),)) for i in range(60)]
    off, _ = _run("offline", poses)
    live, _ = _run("causal", poses)
    for k in ("left_fppa_deg", "right_fppa_deg", "left_knee_medial_offset", "knee_hip_sep_ratio", "hip_above_floor"):
        np.testing.assert_allclose(live.metrics[k][5:], off.metrics[k][5:], atol=1e-6, err_msg=k)


def test_session_rejects_an_unknown_mode():
    info = VideoInfo(path=None, width=64, height=48, fps=FPS, frame_count=1, duration_s=0.1, codec="test")
    with pytest.raises(ValueError, match="mode"):
        Session(Config(), info, _NoModel(), mode="sideways")  # type: ignore[arg-type]
