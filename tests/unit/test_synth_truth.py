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
        MotionParams("walking")
    with pytest.raises(ValueError, match="free_leg"):
        MotionParams("single_leg_squat", free_leg="up")
    with pytest.raises(ValueError, match="valgus_timing"):
        MotionParams(valgus_timing="late")
    with pytest.raises(ValueError, match="step-ups"):
        MotionParams("step_up", valgus_timing="descent")
    with pytest.raises(ValueError, match="start_s"):
        MotionParams(reps=1, start_s=5.0)
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


# --- variants (free leg, arms, femoral rotation, valgus timing, tempo, crops, other movements) ---


def _at(body, p: MotionParams, t: float):
    m = Motion(body, p)
    pose, state = m.pose_at(t)
    posed = pose_body(body, pose, m.rig)
    return posed, angles_3d(posed), state


def _bottom(p: MotionParams, rep: int = 1) -> float:
    return p.lead_in_s + (rep - 1) * p.rep_duration + p.descent_s + 0.5 * p.pause_bottom_s


@pytest.mark.parametrize("side", SIDES)
def test_free_leg_front_is_in_front_and_off_the_floor(body, side):
    p = MotionParams("single_leg_squat", side=side, reps=1, depth_deg=65, free_leg="front")
    free = "right" if side == "left" else "left"
    rig = Rig.of(body)
    for t in (0.0, p.lead_in_s + 0.5 * p.descent_s, _bottom(p)):
        posed, a, _ = _at(body, p, t)
        j = posed.joints
        assert j[f"{free}_ankle"][1] > rig.ankle_height + 0.04  # off the floor
        assert j[f"{free}_ankle"][2] > j[f"{side}_ankle"][2] + 0.2  # in front of the stance foot
        assert a[f"{free}_hip_flexion_deg"] > 40 and a[f"{free}_knee_flexion_deg"] > 15


@pytest.mark.parametrize("side", SIDES)
def test_free_leg_side_is_abducted_and_off_the_floor(body, side):
    p = MotionParams("single_leg_squat", side=side, reps=1, depth_deg=65, free_leg="side")
    free = "right" if side == "left" else "left"
    rig = Rig.of(body)
    for t in (0.0, _bottom(p)):
        posed, a, _ = _at(body, p, t)
        j = posed.joints
        assert j[f"{free}_ankle"][1] > rig.ankle_height + 0.04
        # out to the free leg's own side, well beyond its hip
        assert side_sign(free) * (j[f"{free}_ankle"][0] - j[f"{free}_hip"][0]) > 0.2
        assert a[f"{free}_hip_adduction_deg"] < -20  # abducted


def test_free_leg_behind_is_unchanged_default(body):
    p = MotionParams("single_leg_squat", side="left", reps=1)
    assert p.free_leg == "behind"
    posed, _, _ = _at(body, p, _bottom(p))
    assert posed.joints["right_ankle"][2] < posed.joints["left_ankle"][2]  # free foot behind


def test_arm_presets_cover_the_usual_poses(body):
    from valgus_tools.synth.kinematics import ARM_PRESETS

    assert {"hips", "crossed", "overhead", "behind_head"} <= set(ARM_PRESETS)
    # Hands behind the head: wrists at head height, behind it, close to the midline; elbows out.
    p = MotionParams("squat", reps=1, arms="behind_head")
    posed, _, _ = _at(body, p, 0.0)
    j = posed.joints
    for s in SIDES:
        w = j[f"{s}_wrist"] - j["head"]
        assert abs(w[1]) < 0.08 and w[2] < 0 and abs(w[0]) < 0.12
        assert abs(j[f"{s}_elbow"][0]) > abs(j[f"{s}_shoulder"][0])
    # Overhead: wrists above the head.
    posed, _, _ = _at(body, MotionParams("squat", reps=1, arms="overhead"), 0.0)
    assert all(posed.joints[f"{s}_wrist"][1] > posed.joints["head"][1] + 0.2 for s in SIDES)


@pytest.mark.parametrize("exercise", ["squat", "single_leg_squat", "step_up"])
@pytest.mark.parametrize("ir", [-15.0, 10.0, 15.0])
def test_hip_ir_truth_follows_commanded_rotation(body, exercise, ir):
    # Femoral rotation is its own degree of freedom: the true hip IR moves by the commanded
    # amount (within 1 deg), and the joint centres, hip adduction and knee swing do not move.
    kw = dict(reps=1, side="right", depth_deg=70)
    p0 = MotionParams(exercise, **kw)
    p1 = MotionParams(exercise, hip_ir_left_deg=ir, hip_ir_right_deg=ir, **kw)
    t = _bottom(p0) if exercise != "step_up" else p0.lead_in_s + 0.25 * p0.rep_duration
    posed0, a0, st0 = _at(body, p0, t)
    posed1, a1, st1 = _at(body, p1, t)
    m = Motion(body, p1)
    _, state = m.pose_at(t)
    amount = m.depth_at(state.phase) if exercise != "step_up" else None
    legs = SIDES if exercise == "squat" else ("right",)
    for s in legs:
        want = ir * amount if amount is not None else ir * (p1.hip_ir_right_deg and 1.0)
        d = a1[f"{s}_hip_internal_rotation_deg"] - a0[f"{s}_hip_internal_rotation_deg"]
        if exercise == "step_up":
            assert 0 < d / ir <= 1.0 + 1e-9  # scaled by load and lead-knee flexion
        else:
            assert d == pytest.approx(want, abs=1.0)
        assert a1[f"{s}_hip_adduction_deg"] == pytest.approx(a0[f"{s}_hip_adduction_deg"], abs=1e-6)
        for j in ("hip", "knee", "ankle"):
            assert np.allclose(posed1.joints[f"{s}_{j}"], posed0.joints[f"{s}_{j}"], atol=1e-9)
    assert st1.swing == st0.swing


@pytest.mark.parametrize("ir", [-15.0, 15.0])
def test_hip_ir_adds_to_the_knee_swing(body, ir):
    # With a knee swing as well, the two rotations add: IR(swing + rot) = IR(swing) + rot.
    kw = dict(reps=1, depth_deg=80, valgus_left_deg=15, valgus_right_deg=15)
    p0, p1 = MotionParams("squat", **kw), MotionParams("squat", hip_ir_left_deg=ir, **kw)
    _, a0, _ = _at(body, p0, _bottom(p0))
    _, a1, _ = _at(body, p1, _bottom(p1))
    assert a1["left_hip_internal_rotation_deg"] - a0["left_hip_internal_rotation_deg"] == pytest.approx(ir, abs=1.0)
    assert a1["right_hip_internal_rotation_deg"] == pytest.approx(a0["right_hip_internal_rotation_deg"], abs=1e-9)


def _swing_series(body, p: MotionParams, side: str = "left"):
    m = Motion(body, p)
    ts = np.arange(0.0, p.duration, 1 / 30)
    sw, depth = [], []
    for t in ts:
        rep, phase = m.rep_at(t)
        _, st = m.pose_at(t)
        sw.append(st.swing.get(side, 0.0))
        depth.append(m.depth_at(phase) if rep else 0.0)
    return ts, np.array(sw), np.array(depth)


@pytest.mark.parametrize("exercise", ["squat", "single_leg_squat"])
def test_valgus_timing_mid_descent(body, exercise):
    p = MotionParams(exercise, side="left", reps=1, valgus_left_deg=20, valgus_right_deg=20,
                     valgus_timing="descent")
    ts, sw, depth = _swing_series(body, p)
    k = int(np.argmax(sw))
    assert sw[k] == pytest.approx(20.0, abs=0.5)
    # The peak is half-way down: inside the descent, at partial depth.
    assert p.lead_in_s + 0.3 * p.descent_s < ts[k] < p.lead_in_s + 0.7 * p.descent_s
    assert 0.2 < depth[k] < 0.8
    # Knees back over the feet at the bottom and on the way up.
    assert np.all(sw[ts >= p.lead_in_s + p.descent_s] < 1e-9)


@pytest.mark.parametrize("exercise", ["squat", "single_leg_squat"])
def test_valgus_timing_ascent_only_knee_over_foot_at_bottom(body, exercise):
    p = MotionParams(exercise, side="left", reps=1, valgus_left_deg=20, valgus_right_deg=20,
                     valgus_timing="ascent", depth_deg=70)
    ts, sw, depth = _swing_series(body, p)
    bottom_end = p.lead_in_s + p.descent_s + p.pause_bottom_s
    assert np.all(sw[ts <= bottom_end] < 1e-9)  # nothing on the way down nor at the bottom
    k = int(np.argmax(sw))
    assert bottom_end + 0.3 * p.ascent_s < ts[k] < bottom_end + 0.7 * p.ascent_s
    # At the bottom the knee is over the foot: no swing, and the 3D truth says so (adduction
    # and FPPA the same as the clean rep's).
    clean = MotionParams(exercise, side="left", reps=1, depth_deg=70)
    _, a, _ = _at(body, p, _bottom(p))
    _, a0, _ = _at(body, clean, _bottom(clean))
    assert a["left_hip_adduction_deg"] == pytest.approx(a0["left_hip_adduction_deg"], abs=1e-9)
    _, a_up, _ = _at(body, p, ts[k])
    _, a0_up, _ = _at(body, clean, ts[k])
    assert a_up["left_hip_adduction_deg"] > a0_up["left_hip_adduction_deg"] + 3


def test_valgus_timing_bottom_is_the_default_profile(body):
    p = MotionParams("squat", reps=1, valgus_left_deg=20)
    ts, sw, depth = _swing_series(body, p)
    assert np.allclose(sw, 20.0 * depth)


def test_one_knee_only_in_a_bilateral_squat(body):
    p = MotionParams("squat", reps=1, valgus_left_deg=20, valgus_right_deg=0)
    _, st = Motion(body, p).pose_at(_bottom(p))
    assert st.swing == {"left": 20.0, "right": 0.0}


def test_tempo_sets_the_rep_timeline(body):
    slow = MotionParams("squat", reps=2, descent_s=2.5, ascent_s=2.0)
    fast = MotionParams("squat", reps=2, descent_s=0.5, ascent_s=0.45)
    assert slow.duration > 2 * fast.duration
    m = Motion(body, fast)
    assert m.depth_at((fast.descent_s + 0.5 * fast.pause_bottom_s) / fast.rep_duration) == 1.0


@pytest.mark.parametrize("height", [0.15, 0.40])
def test_step_height_sets_the_lead_foot_on_the_box(body, height):
    p = MotionParams("step_up", side="left", reps=1, box_height=height)
    rig = Rig.of(body)
    posed, _, _ = _at(body, p, p.lead_in_s + 0.5 * p.rep_duration)
    assert posed.joints["left_ankle"][1] == pytest.approx(height + rig.ankle_height, abs=1e-6)


def test_lead_leg_stays_on_the_box_between_reps(body):
    p = MotionParams("step_up", side="left", reps=3, box_height=0.25, lead_stays_on_box=True)
    rig = Rig.of(body)
    on_box = 0.25 + rig.ankle_height
    m = Motion(body, p)
    for k in (1, 2):  # the gap between rep k and k+1, and the start of rep k+1
        for frac in (0.9, 0.99, 1.05):
            t = p.lead_in_s + (k - 1 + frac) * p.rep_duration
            pose, _ = m.pose_at(t)
            assert pose.legs["left"].ankle[1] == pytest.approx(on_box, abs=1e-9)
            assert pose.legs["right"].ankle[1] == pytest.approx(rig.ankle_height, abs=1e-6)
    pose, _ = m.pose_at(p.duration - 1e-6)  # and comes down after the last rep
    assert pose.legs["left"].ankle[1] < on_box - 0.1


def test_partial_clip_truth_is_cropped(tmp_path):
    from valgus_tools.synth.clip import ClipSpec, render_clip

    full = MotionParams("squat", reps=2, descent_s=0.6, ascent_s=0.6, lead_in_s=0.3, pause_top_s=0.2)
    start = full.lead_in_s + 0.5 * full.descent_s  # mid-descent of rep 1
    end = full.lead_in_s + full.rep_duration + full.descent_s + 0.1  # near the bottom of rep 2
    import dataclasses

    crop = dataclasses.replace(full, start_s=start, end_s=end)
    cam = CameraParams(width=64, height_px=96, fps=20.0)
    tf = render_clip(ClipSpec("full", motion=full, camera=cam), tmp_path, write_video=False)
    tc = render_clip(ClipSpec("crop", motion=crop, camera=cam), tmp_path, write_video=False)
    j0 = int(round(start * cam.fps))
    assert tc["n_frames"] == int(round(end * cam.fps)) - j0
    assert tc["frames"]["time_s"][0] == 0.0
    # The cropped truth is the full truth shifted by j0 frames.
    k = "left_knee_flexion_deg"
    assert tc["frames"][k] == tf["frames"][k][j0:j0 + tc["n_frames"]]
    assert [r.get("partial", False) for r in tc["reps"]] == [True, True]
    assert tc["reps"][0]["start_frame"] == 0 and tc["reps"][1]["end_frame"] == tc["n_frames"] - 1
    assert tc["generator"]["motion"]["start_s"] == start
    assert "start_s" not in tf["generator"]["motion"]  # defaults are left out (old clips unchanged)


@pytest.mark.parametrize("exercise", ["lunge", "sit_to_stand"])
def test_other_movements_bend_the_knees_and_stand_back_up(body, exercise):
    p = MotionParams(exercise, side="left", reps=1, depth_deg=90, box_height=0.42)
    m = Motion(body, p)
    flex = []
    for t in np.arange(0.0, p.duration, 1 / 30):
        pose, _ = m.pose_at(t)
        flex.append(angles_3d(pose_body(body, pose, m.rig))["left_knee_flexion_deg"])
    flex = np.array(flex)
    assert flex.max() > 80 and flex[0] < 10 and flex[-1] < 10
    posed, a, _ = _at(body, p, _bottom(p) if exercise == "sit_to_stand" else p.lead_in_s + 0.52 * p.rep_duration)
    j = posed.joints
    rig = Rig.of(body)
    if exercise == "lunge":
        # lead foot well in front of the trailing foot, both knees bent
        assert j["left_ankle"][2] - j["right_ankle"][2] > 0.5
        assert a["right_knee_flexion_deg"] > 60
    else:
        # hips behind the feet, above the seat
        assert j["pelvis"][2] < -0.25 and j["pelvis"][1] > p.box_height
        assert abs(j["left_ankle"][1] - rig.ankle_height) < 1e-6


def _mp_world(q: np.ndarray) -> np.ndarray:
    """Renderer world (X left, Y up, Z anterior) -> a MediaPipe-like world frame (y down, z away
    from a camera in front): a rotation by 180 deg about X, still right-handed."""
    return np.array([q[0], -q[1], -q[2]])


@pytest.mark.parametrize("exercise,side", [("squat", "left"), ("single_leg_squat", "right")])
@pytest.mark.parametrize("swing", [0.0, 12.0, 20.0])
def test_product_hip_ir_formula_on_true_joints(body, exercise, side, swing):
    # On the true joint centres the product's knee-flexion-axis formula gives the true hip IR of
    # a leg that rotates as a hinge (the knee swing), and cannot see femoral rotation that leaves
    # the hip, knee and ankle centres where they are: that part is invisible to joint centres.
    from valgus.kinematics.geometry import hip_internal_rotation_deg

    o = "right" if side == "left" else "left"
    for ir in (0.0, 15.0):
        p = MotionParams(exercise, side=side, reps=1, depth_deg=70, valgus_left_deg=swing,
                         valgus_right_deg=swing, hip_ir_left_deg=ir, hip_ir_right_deg=ir)
        posed, a, _ = _at(body, p, _bottom(p))
        j = {k: _mp_world(v) for k, v in posed.joints.items()}
        est = float(hip_internal_rotation_deg(j[f"{side}_hip"], j[f"{side}_knee"], j[f"{side}_ankle"],
                                              j[f"{o}_hip"], side_sign=side_sign(side)))
        assert est == pytest.approx(a[f"{side}_hip_internal_rotation_deg"] - ir, abs=0.1)


@pytest.mark.parametrize("swing", [0.0, 10.0, 20.0])
def test_world_swing_estimator_follows_the_knee_swing(body, swing):
    from valgus_tools.bench.hip_rotation import world_swing_deg

    p = MotionParams("single_leg_squat", side="left", reps=1, depth_deg=70, valgus_left_deg=swing)
    posed, _, _ = _at(body, p, _bottom(p))
    j = {k: _mp_world(v)[None] for k, v in posed.joints.items()}
    k = {n: _mp_world(v)[None] for n, v in posed.keypoints.items()}
    est = world_swing_deg(j["left_hip"], j["left_knee"], j["left_ankle"], j["right_hip"],
                          k["left_heel"], k["left_big_toe"], np.array([0.0, -1.0, 0.0]))
    # 0 = knee straight ahead of the pelvis; the renderer's swing is measured from the same
    # direction (the toe-out and pelvis tilt add about a degree)
    assert float(est[0]) == pytest.approx(swing, abs=1.5)


@pytest.mark.parametrize("swing", [0.0, 10.0, 20.0])
def test_image_fppa_swing_inverts_the_projection(body, swing):
    # phi = asin(tan(FPPA/2) / tan(flexion/2)) recovers the knee swing from a frontal image of a
    # hinge leg (equal thigh and shank assumed; the rig's differ by a few per cent).
    from valgus_tools.bench.hip_rotation import estimates

    p = MotionParams("single_leg_squat", side="left", reps=1, depth_deg=60, valgus_left_deg=swing)
    posed, a, _ = _at(body, p, _bottom(p))
    a.update(angles_2d(*points_2d(posed, CameraParams(height=0.6, target_height=0.6))))
    fr = {"left_knee_flexion_deg": np.array([a["left_knee_flexion_deg"], 0.0]),
          "left_hip_internal_rotation_deg": np.zeros(2), "left_fppa_deg": np.array([a["left_fppa_deg"], 0.0]),
          "left_knee_medial_offset": np.zeros(2)}
    est = estimates(fr, "left")["image_fppa_swing"][0]
    assert est == pytest.approx(swing, abs=3.0)


def test_benchmark_main_grids_unchanged_and_new_grids_apart():
    # The main grids keep their committed case names; the variant and held-out grids are new,
    # do not overlap them, and the held-out split uses only the bodies no other grid uses.
    from valgus_tools.bench.accuracy import grid

    committed = json.loads((Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy.json").read_text())
    assert [c.name for c in grid("full")] == [r["name"] for r in committed["clips"]]
    assert [c.name for c in grid("regression")] == [r["name"] for r in committed["regression"]["clips"]]
    main_bodies = {c.body for k in ("full", "quick", "regression", "variants") for c in grid(k)}
    held = grid("heldout")
    assert {c.body for c in held} == {"female_short_heavy", "male_tall_lean"}
    assert not main_bodies & {c.body for c in held}
    assert {0.0, 8.0, 30.0} <= {abs(c.yaw) for c in held}
    assert 16 <= len(held) <= 24 and 20 <= len(grid("variants")) <= 32
    names = [c.name for k in ("variants", "heldout") for c in grid(k)]
    assert len(names) == len(set(names))
