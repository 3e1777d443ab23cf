"""Parallel segments with the real pose model on two sample videos: cut into two segments, one
thread and two threads give the same analysis bit for bit (frames.csv, landmarks, reps, flags,
verdict), and the first segment is the uncut pass bit for bit up to the seam (the seam is where
the pose model starts afresh; docs/speed.md shows what that changes).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sample_analyses import analysed

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"

pytestmark = pytest.mark.slow


def _decisions(result) -> tuple:
    return (result.exercise, result.verdict, tuple((f.code, f.reps, f.leg) for f in result.findings),
            tuple((r.number, r.exercise, r.working_leg, r.frame_start, r.frame_deepest, r.frame_end,
                   tuple((f.name, f.category, f.leg, f.assessed) for f in r.flags)) for r in result.reps))


@pytest.mark.parametrize("name", ["squat_valgus.mp4", "single_leg_squat_left_collapse.mp4"])
def test_two_threads_give_the_one_thread_analysis(name) -> None:
    from valgus.config import Config, override
    from valgus.engine import analyze_video
    from valgus.segments import plan_segments
    from valgus.io.video import stream_index

    clip = SAMPLES / name
    if not clip.exists():
        pytest.skip(f"{name} missing")
    cfg = override(Config(), "pose", segment_s=4.0)  # 9-11 s clips: two segments
    plan = plan_segments(stream_index(clip), 4.0)
    assert len(plan) == 2
    fd2 = os.fstat(2)
    one = analyze_video(clip, cfg, threads=1)
    two = analyze_video(clip, cfg, threads=2)
    after = os.fstat(2)  # the models were loaded in two threads at once: stderr is still stderr
    assert (after.st_dev, after.st_ino) == (fd2.st_dev, fd2.st_ino)
    assert one.timings["segments"] == 2 and two.timings["threads"] == 2
    assert _decisions(one.result) == _decisions(two.result)
    np.testing.assert_array_equal(one.track_raw.xy, two.track_raw.xy)
    assert one.metrics.keys() == two.metrics.keys()
    for key in one.metrics:
        np.testing.assert_array_equal(np.asarray(one.metrics[key]), np.asarray(two.metrics[key]), err_msg=key)
    assert one.decode.decoded == two.decode.decoded == one.n_frames and two.decode.lost == 0

    uncut = analysed(name)  # the default analysis: these clips are too short to cut (one pass)
    assert uncut.timings["segments"] == 1
    seam = int(np.searchsorted(np.asarray(uncut.metrics["time_s"]), plan[1].start))
    np.testing.assert_array_equal(uncut.track_raw.xy[:seam], one.track_raw.xy[:seam])
    assert not np.array_equal(uncut.track_raw.xy[seam:], one.track_raw.xy[seam:])  # the model started afresh
