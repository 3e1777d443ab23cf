"""The synthetic generator's posing and truth, checked against hand-computed angles.

Pure NumPy (posing, skinning, projection, truth): no renderer needed, so these always run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from valgus_tools.synth.body import available_bodies, load_body
from valgus_tools.synth.camera import CameraParams
from valgus_tools.synth.kinematics import (
    SIDES,
    BodyPose,
    LegTarget,
    Rig,
    pose_body,
    rx,
    ry,
    rz,
    side_sign,
)
from valgus_tools.synth.motion import Motion, MotionParams
from valgus_tools.synth.truth import angles_2d, angles_3d, cardan_xzy, points_2d

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


@pytest.fixture(scope="module")
def body():
    return load_body("male_average")


@pytest.fixture(scope="module")
def rig(body):
    return Rig.of(body)


def _pose(rig: Rig, *, ankles: dict[str, np.ndarray] | None = None, swing: float = 0.0,
          pelvis_rot: np.ndarray | None = None, trunk_rot: np.ndarray | None = None,
          pelvis_y: float | None = None) -> BodyPose:
    """Standing pose; by default the ankles sit straight below the hips, legs straight."""
    rot = np.eye(3) if pelvis_rot is None else pelvis_rot
    y = 2.0 if pelvis_y is None else pelvis_y  # out of reach: straight legs toward the ankles
    legs = {}
    for s in SIDES:
        hip = np.array([0.0, y, 0.0]) + rot @ rig.hip_offset[s]
        a = ankles[s] if ankles else np.array([hip[0], rig.ankle_height, hip[2]])
        legs[s] = LegTarget(ankle=a, swing_deg=swing, foot_rotation=np.eye(3),
                            knee_forward=np.array([0.0, 0.0, 1.0]))
    return BodyPose(np.array([0.0, y, 0.0]), rot, np.eye(3) if trunk_rot is None else trunk_rot, legs)


def test_bodies_exported():
    names = available_bodies()
    assert {"male_average", "female_average"} <= set(names)
    assert len(names) >= 4
    heights = [load_body(n).height for n in names]
    assert min(heights) < 1.6 < 1.8 < max(heights)  # variation in height


@pytest.mark.parametrize("a,b,c", [(10, 0, 0), (0, 20, 0), (0, 0, -30), (35, -12, 25), (-80, 5, 40)])
def test_cardan_round_trip(a, b, c):
    # The decomposition inverts the composition Rx(a) Rz(b) Ry(c).
    assert np.allclose(cardan_xzy(rx(a) @ rz(b) @ ry(c)), (a, b, c), atol=1e-9)


def test_standing_straight_is_neutral(body, rig):
    # Ankles under the hips, legs straight: every truth angle is ~0.
    a = angles_3d(pose_body(body, _pose(rig), rig))
    for s in SIDES:
        assert abs(a[f"{s}_knee_flexion_deg"]) < 0.5
        assert abs(a[f"{s}_hip_adduction_deg"]) < 0.5
        assert abs(a[f"{s}_hip_internal_rotation_deg"]) < 0.5
        assert abs(a[f"{s}_hip_flexion_deg"]) < 0.5
        assert abs(a[f"{s}_pelvic_drop_deg"]) < 1e-6


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("phi", [-8.0, 5.0, 12.0])
def test_hip_adduction_by_hand(body, rig, side, phi):
    # A straight leg tilted so the ankle is phi degrees medial of straight below the hip:
    # hip adduction = phi (negative = abduction), no flexion, no rotation.
    y = 1.0
    ankles = {}
    for s in SIDES:
        hip = np.array([0.0, y, 0.0]) + rig.hip_offset[s]
        ang = np.radians(phi if s == side else 0.0)
        leg = rig.thigh_length[s] + rig.shank_length[s] + 0.02  # just out of reach: straight
        ankles[s] = hip + leg * np.array([-side_sign(s) * np.sin(ang), -np.cos(ang), 0.0])
    a = angles_3d(pose_body(body, _pose(rig, ankles=ankles, pelvis_y=y), rig))
    assert a[f"{side}_hip_adduction_deg"] == pytest.approx(phi, abs=0.05)
    assert abs(a[f"{side}_hip_internal_rotation_deg"]) < 0.05
    assert abs(a[f"{side}_knee_flexion_deg"]) < 0.3  # the IK keeps a hair of flexion


@pytest.mark.parametrize("flex", [20.0, 60.0, 95.0])
def test_knee_flexion_by_hand(body, rig, flex):
    # Ankle placed at the distance the law of cosines gives for this knee angle.
    y = 1.0
    ankles = {}
    for s in SIDES:
        hip = np.array([0.0, y, 0.0]) + rig.hip_offset[s]
        lt, ls = rig.thigh_length[s], rig.shank_length[s]
        d = np.sqrt(lt**2 + ls**2 + 2 * lt * ls * np.cos(np.radians(flex)))
        ankles[s] = hip + np.array([0.0, -d, 0.0])
    a = angles_3d(pose_body(body, _pose(rig, ankles=ankles, pelvis_y=y), rig))
    for s in SIDES:
        assert a[f"{s}_knee_flexion_deg"] == pytest.approx(flex, abs=1e-6)
        assert abs(a[f"{s}_hip_adduction_deg"]) < 0.05


def test_pelvic_drop_and_trunk_lean_signs(body, rig):
    # Pelvis rotated so the RIGHT hip is 6 deg lower: left_pelvic_drop = +6 (standing on the left,
    # the other side drops). Trunk tilted 7 deg toward the LEFT: left_trunk_lean ~ +7.
    a = angles_3d(pose_body(body, _pose(rig, pelvis_rot=rz(6.0), pelvis_y=1.0), rig))
    assert a["left_pelvic_drop_deg"] == pytest.approx(6.0, abs=1e-6)
    assert a["right_pelvic_drop_deg"] == pytest.approx(-6.0, abs=1e-6)
    a = angles_3d(pose_body(body, _pose(rig, trunk_rot=rz(-7.0), pelvis_y=1.0), rig))
    # The bend is spread over the spine, so the shoulder line leans a little less than 7.
    assert 5.0 < a["left_trunk_lean_deg"] < 7.5
    assert a["right_trunk_lean_deg"] == pytest.approx(-a["left_trunk_lean_deg"])


@pytest.mark.parametrize("exercise", ["squat", "single_leg_squat"])
def test_valgus_swing_raises_adduction_rotation_and_fppa(body, exercise):
    # The knee swinging medially about the hip-ankle axis: hip adduction, hip internal rotation
    # and FPPA all rise, knee flexion is unchanged.
    cam = CameraParams()
    rows = []
    for swing in (0.0, 8.0, 16.0):
        p = MotionParams(exercise, side="left", reps=1, depth_deg=70, valgus_left_deg=swing,
                         valgus_right_deg=swing)
        m = Motion(body, p)
        pose, _ = m.pose_at(p.lead_in_s + p.descent_s + 0.05)
        posed = pose_body(body, pose, m.rig)
        a = angles_3d(posed)
        a.update(angles_2d(*points_2d(posed, cam)))
        rows.append(a)
    for k in ("left_hip_adduction_deg", "left_hip_internal_rotation_deg", "left_fppa_deg",
              "left_fppa_surface_deg"):
        vals = [r[k] for r in rows]
        assert vals[0] < vals[1] < vals[2], (k, vals)
    assert np.ptp([r["left_knee_flexion_deg"] for r in rows]) < 1e-6


def test_left_right_symmetry(body):
    # A symmetric squat: the two legs' truth agrees (the body is nearly symmetric).
    p = MotionParams("squat", reps=1, valgus_left_deg=10, valgus_right_deg=10)
    m = Motion(body, p)
    pose, _ = m.pose_at(p.lead_in_s + p.descent_s)
    posed = pose_body(body, pose, m.rig)
    a = angles_3d(posed)
    a.update(angles_2d(*points_2d(posed, CameraParams())))
    for k in ("fppa_deg", "hip_adduction_deg", "hip_internal_rotation_deg", "knee_flexion_deg"):
        assert a[f"left_{k}"] == pytest.approx(a[f"right_{k}"], abs=0.5), k


def test_mirrored_camera_flips_x_and_keeps_fppa(body, rig):
    posed = pose_body(body, _pose(rig, swing=0.0), rig)
    cam = CameraParams(width=640, height_px=960)
    mir = CameraParams(width=640, height_px=960, mirrored=True)
    j, k = points_2d(posed, cam)
    jm, km = points_2d(posed, mir)
    assert np.allclose(jm["left_knee"][0], 640 - j["left_knee"][0])
    assert np.allclose(jm["left_knee"][1], j["left_knee"][1])
    # Subject's left appears on the image right in an unmirrored frontal view.
    assert j["left_hip"][0] > j["right_hip"][0]
    a, am = angles_2d(j, k), angles_2d(jm, km)
    assert am["left_fppa_deg"] == pytest.approx(a["left_fppa_deg"], abs=1e-9)


def test_projection_of_target_is_image_centre():
    cam = CameraParams(width=640, height_px=480, yaw_deg=30.0, target_height=0.9)
    assert np.allclose(cam.project(np.array([0.0, 0.9, 0.0])), [320.0, 240.0])


def test_motion_parameters_are_checked():
    with pytest.raises(ValueError, match="exercise"):
        MotionParams("lunge")
    with pytest.raises(ValueError, match="arms"):
        MotionParams(arms="waving")
    with pytest.raises(ValueError, match="yaw_deg"):
        CameraParams(yaw_deg=120)


@pytest.mark.skipif(not (SAMPLES / "SHA256SUMS").exists(), reason="sample_videos/ not generated")
def test_sample_videos_match_checksums_and_schema():
    # The committed clips are the ones make_sample_videos.py recorded, and each truth file is
    # self-consistent.
    total = 0
    for line in (SAMPLES / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        path = SAMPLES / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
        total += path.stat().st_size
        if name.endswith(".truth.json"):
            t = json.loads(path.read_text())
            assert t["schema"] == "valgus-synth-truth/1"
            n = t["n_frames"]
            assert all(len(v) == n for v in t["frames"].values())
            assert all(len(v) == n for v in t["joints_2d"].values())
            for r in t["reps"]:
                assert r["start_frame"] <= r["deepest_frame"] <= r["end_frame"] < n
                assert r["labels"]
    assert total < 5e6


def test_synth_needs_neither_torch_nor_anny():
    # Posing and truth run on NumPy alone; torch/anny are only for scripts/export_bodies.py.
    import subprocess
    import sys

    code = (
        "import sys, valgus_tools.synth.clip, valgus_tools.synth.truth, valgus_tools.synth.motion;"
        "bad = [m for m in ('torch', 'anny', 'moderngl') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_product_does_not_import_tooling():
    pkg = Path(__file__).resolve().parents[2] / "valgus"
    offenders = [p.name for p in pkg.rglob("*.py") if "valgus_tools" in p.read_text()]
    assert offenders == []
