"""The renderer: rendered pixels agree with the truth projection; same seed, same clip.

Needs moderngl and an EGL driver (``pip install .[synth]``; Debian ``libegl1 libegl-mesa0
libgl1-mesa-dri``); skipped with the reason otherwise.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from valgus_tools.synth.render import renderer_available

_OK, _WHY = renderer_available()
pytestmark = [pytest.mark.synth, pytest.mark.skipif(not _OK, reason=f"renderer unavailable: {_WHY}")]

from valgus_tools.synth.body import load_body  # noqa: E402
from valgus_tools.synth.camera import CameraParams  # noqa: E402
from valgus_tools.synth.clip import ClipSpec, render_clip  # noqa: E402
from valgus_tools.synth.kinematics import Rig, pose_body  # noqa: E402
from valgus_tools.synth.motion import Motion, MotionParams  # noqa: E402
from valgus_tools.synth.render import Renderer  # noqa: E402


def _silhouette(body, cam, vertices) -> np.ndarray:
    """Pixels where the body is (rendered with and without the body, differenced)."""
    with Renderer(body, cam, samples=1) as r:
        with_body = r.render(vertices).astype(int)
        without = r.render(vertices + np.array([0.0, 0.0, -100.0])).astype(int)
    return np.abs(with_body - without).sum(axis=2) > 0


@pytest.mark.parametrize("yaw,mirrored", [(0.0, False), (30.0, False), (15.0, True)])
def test_projection_matches_rendered_pixels(yaw, mirrored):
    # The silhouette's extreme pixels coincide with the projected mesh's extremes within 1 px:
    # the truth projection and the renderer use the same camera.
    body = load_body("female_average")
    p = MotionParams("single_leg_squat", side="left", reps=1, arms="forward")
    m = Motion(body, p)
    pose, _ = m.pose_at(p.lead_in_s + p.descent_s * 0.7)
    posed = pose_body(body, pose, Rig.of(body))
    cam = CameraParams(width=360, height_px=640, yaw_deg=yaw, mirrored=mirrored)
    # Lift the body 20 cm so the soles do not touch (and z-fight with) the floor.
    verts = posed.vertices + np.array([0.0, 0.2, 0.0])
    mask = _silhouette(body, cam, verts)
    ys, xs = np.nonzero(mask)
    uv = cam.project(verts)
    # Pixel i covers [i, i+1): the projected extremes fall inside the extreme pixels.
    assert abs(xs.min() - np.floor(uv[:, 0].min())) <= 1
    assert abs(xs.max() - np.floor(uv[:, 0].max())) <= 1
    assert abs(ys.min() - np.floor(uv[:, 1].min())) <= 1
    assert abs(ys.max() - np.floor(uv[:, 1].max())) <= 1


def test_joint_centres_project_inside_the_body():
    # Hip, knee and ankle centres project onto body pixels (not beside the leg).
    body = load_body("male_average")
    p = MotionParams("squat", reps=1)
    m = Motion(body, p)
    pose, _ = m.pose_at(p.lead_in_s + p.descent_s)
    posed = pose_body(body, pose, m.rig)
    cam = CameraParams(width=360, height_px=640)
    mask = _silhouette(body, cam, posed.vertices)
    for name in ("left_knee", "right_knee", "left_ankle", "right_ankle", "left_hip", "right_hip"):
        x, y = cam.project(posed.joints[name])
        assert mask[int(y), int(x)], name


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_clip(tmp_path):
    # Two renders of the same spec are byte-identical (video and truth).
    spec = ClipSpec(
        "tiny",
        body="female_average",
        motion=MotionParams("step_up", side="left", reps=1, descent_s=0.4, ascent_s=0.4,
                            pause_bottom_s=0.0, pause_top_s=0.1, lead_in_s=0.1,
                            pelvic_drop_deg=6, valgus_left_deg=10),
        camera=CameraParams(width=144, height_px=256, fps=15.0),
        seed=7,
    )
    render_clip(spec, tmp_path / "a")
    render_clip(spec, tmp_path / "b")
    for name in ("tiny.mp4", "tiny.truth.json"):
        assert _sha(tmp_path / "a" / name) == _sha(tmp_path / "b" / name), name
