"""The pose model fed RGBA (what the engine decodes for it: valgus.io.video.POSE_PIXELS) finds
the very landmarks it finds in RGB, bit for bit, on a rendered sample and a real phone clip.

RGBA spares a row-by-row copy of every frame (a 1080-wide RGB row is padded by FFmpeg, an RGBA
row is not); it is kept only because MediaPipe drops the alpha and sees the same picture: any
difference in the model's input would move the landmarks, and with them borderline flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from valgus.config import Config
from valgus.engine import open_estimator
from valgus.io.video import POSE_PIXELS, VideoSource

REPO = Path(__file__).resolve().parents[2]
CLIPS = REPO.parent / "shared" / "clips"


def _landmarks(path: Path, pixels: str, frames: int) -> list[np.ndarray]:
    out = []
    with open_estimator(Config()) as est, VideoSource(path, prefetch=0, pixels=pixels) as src:
        for fr, _ in zip(src, range(frames)):
            assert fr.image.shape[2] == {"rgb24": 3, "rgba": 4}[pixels]
            poses = est(fr.image, fr.t, fr.index)
            out.append(np.concatenate([np.r_[p.xy.ravel(), p.visibility, p.presence, p.world.ravel()]
                                       for p in poses.people]) if poses.people else np.empty(0))
    return out


@pytest.mark.parametrize("clip", [
    REPO / "sample_videos" / "single_leg_squat_left_collapse.mp4",  # 720x1280 render
    CLIPS / "front_squat_overhead_valgus_a.mov",  # 1080x1920 phone clip, full-range H.264
], ids=lambda p: p.name)
def test_rgba_input_gives_the_rgb_landmarks_bit_for_bit(clip: Path) -> None:
    if not clip.exists():
        pytest.skip(f"{clip.name} not present (../shared/clips is not redistributed)")
    assert POSE_PIXELS == "rgba"
    rgb = _landmarks(clip, "rgb24", 45)
    rgba = _landmarks(clip, "rgba", 45)
    assert len(rgb) == len(rgba) == 45
    assert sum(a.size > 0 for a in rgb) >= 40  # somebody was found: the comparison means something
    for a, b in zip(rgb, rgba):
        np.testing.assert_array_equal(a, b)
