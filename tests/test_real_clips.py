"""Real people, filmed by others (../shared/clips, see its MANIFEST.md): the labels check the
result; no rule was fitted to them. Skipped when the folder is absent (it is never copied here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "clips"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.clips,
    pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/clips not present (real clips are not redistributed)"),
]

_CACHE: dict[str, object] = {}


def run(name: str):
    from valgus.pipeline import analyze_video

    if name not in _CACHE:
        path = CLIPS / name
        if not path.exists():
            pytest.skip(f"{name} not in ../shared/clips")
        _CACHE[name] = analyze_video(path)
    return _CACHE[name]


@pytest.mark.parametrize("name", ["side_squat_overhead_a.mov", "side_barbell_squat.mp4"])
def test_side_view_cannot_assess(name):
    a = run(name)
    assert a.reps.verdict == "cannot assess"
    assert a.reps.camera.view == "side"
    assert any("face the camera" in r for r in a.reps.reasons)


def test_crowd_cannot_assess():
    a = run("crowd_pedestrians.avi")
    assert a.reps.verdict == "cannot assess"


@pytest.mark.parametrize("name", [
    "front_squat_overhead_good_a1.mov",
    "front_squat_overhead_good_a2.mov",
    "front_squat_overhead_depth_fault_a.mov",  # bad for depth, not for knees
    "front_squat_deep_good.gif",  # GIF input, 240x427
    "front_pistol_squat_good.mp4",  # 406 px wide: rows padded by FFmpeg
])
def test_good_front_clips_not_flagged(name):
    a = run(name)
    assert a.n_detected > 0.9 * a.n_frames
    assert a.reps.verdict == "no valgus", a.reps.reasons


def test_bilateral_valgus_clip_flagged():
    a = run("front_squat_overhead_valgus_a.mov")
    assert a.reps.verdict.startswith("knee valgus"), a.reps.reasons
    flagged = [r for r in a.reps.reps if r.worst("dynamic_knee_valgus") in ("mild", "marked")]
    # the caving is at frames ~33-55 (MANIFEST)
    assert any(r.frame_start <= 55 and r.frame_end >= 33 for r in flagged)


def test_damaged_stream_decodes_what_it_can():
    a = run("front_single_leg_squat_good_damaged_stream.mp4")
    assert a.decode.decoded == 227
    assert a.decode.lost == 49  # 276 frames in the container's span
    assert any("damaged stream" in w for w in a.warnings)


def test_av1_clip_is_decoded_and_judged_side_on():
    a = run("two_people_side_av1_codec.mp4")
    assert a.info.codec in ("av1", "libdav1d", "libaom-av1")
    assert a.n_detected > 0.5 * a.n_frames
    assert a.reps.verdict == "cannot assess"


def test_two_people_oblique_does_not_mix_people():
    """The subject is followed, not swapped frame to frame with the bystander."""
    import numpy as np

    a = run("two_people_balance_oblique.mp4")
    assert a.frames_with_several_people > 0
    xy = a.track_raw.xy[:, [23, 24]].mean(axis=1)  # hip midpoint of the followed person
    ok = np.isfinite(xy).all(axis=1)
    jumps = np.linalg.norm(np.diff(xy[ok], axis=0), axis=1)
    height = np.nanmax(a.track_raw.xy[:, :, 1]) - np.nanmin(a.track_raw.xy[:, :, 1])
    assert np.max(jumps) < 0.2 * height


@pytest.mark.xfail(strict=True, reason=(
    "the frames disagree with the label: the clip starts at 4.7 s (cut from a longer video); in the "
    "first (partial) rep, a half-squat held while he points at his right knee, the knee stays over "
    "the foot (14-20 px lateral of the ankle, as when standing); in the later rep (9.3-12.3 s) the "
    "right knee is 28-37 px medial of the ankle (3D world landmarks agree: 0.14 leg lengths medial), "
    "which the pipeline flags. See the README's limitations."))
def test_single_leg_valgus_then_good_per_rep():
    a = run("front_single_leg_squat_valgus_then_good.mp4")
    reps = a.reps.reps
    assert reps and reps[0].worst("dynamic_knee_valgus") in ("mild", "marked")
    assert all(r.worst("dynamic_knee_valgus") in ("none", "borderline") for r in reps[1:])
