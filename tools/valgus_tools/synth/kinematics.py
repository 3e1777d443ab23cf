"""Anatomical posing of an exported body: pelvis, trunk, arms, and legs by inverse kinematics.

World frame: X = subject's left, Y = up, Z = anterior (see :mod:`valgus_tools.synth.body`).

Each limb segment has an anatomical orientation ``A`` (columns: its ML axis pointing to the
subject's LEFT, its long axis pointing proximally/up, its anterior axis), the identity when the
segment hangs straight down facing forward. A bone's skinning rotation is ``A @ C`` where ``C``
is the minimal rotation taking the segment's rest direction (anny's rest pose has the legs and
arms slightly spread) to straight down.

Legs are placed by inverse kinematics: given the hip joint centre (from the pelvis), the ankle
centre (planted or lifted) and a *knee swing* angle, the knee lies on the circle of points at
thigh length from the hip and shank length from the ankle; swing 0 puts it in the plane of the
hip-ankle axis and the foot's forward direction, swing > 0 rotates it MEDIALLY about the
hip-ankle axis. This is how dynamic valgus happens with the foot planted: hip adduction and hip
internal rotation rise together while knee flexion stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from valgus_tools.synth.body import BodyModel, PosedBody, forward_kinematics, skin

F64 = NDArray[np.float64]

SIDES = ("left", "right")
_SFX = {"left": "L", "right": "R"}


def rx(deg: float) -> F64:
    """Rotation about +X (the left axis) by ``deg``; negative flexes a hip/shoulder forward."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def ry(deg: float) -> F64:
    """Rotation about +Y (up) by ``deg``: turns the anterior axis toward the subject's left."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rz(deg: float) -> F64:
    """Rotation about +Z (anterior) by ``deg``: tilts the up axis toward the subject's right."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def minimal_rotation(a: F64, b: F64) -> F64:
    """The smallest rotation taking direction ``a`` to direction ``b`` (both (3,))."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(a @ b)
    if c < -1 + 1e-9:
        raise ValueError("opposite directions: minimal rotation undefined")
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def rot_log(r: F64) -> F64:
    """Rotation vector (axis * angle in radians) of rotation matrix ``r``."""
    c = np.clip((np.trace(r) - 1) / 2, -1.0, 1.0)
    ang = np.arccos(c)
    if ang < 1e-9:
        return np.zeros(3)
    w = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    return w * ang / (2 * np.sin(ang))


def rot_exp(w: F64) -> F64:
    """Rotation matrix of rotation vector ``w`` (Rodrigues)."""
    ang = float(np.linalg.norm(w))
    if ang < 1e-12:
        return np.eye(3)
    k = w / ang
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(ang) * kx + (1 - np.cos(ang)) * kx @ kx


def side_sign(side: str) -> float:
    """+1 for the subject's left (the +X side), -1 for the right."""
    return 1.0 if side == "left" else -1.0


@dataclass(frozen=True)
class ArmAngles:
    """Shoulder and elbow angles of one arm, degrees, same meaning for both sides.

    ``flexion`` raises the arm forward, ``abduction`` out to the side, ``internal_rotation``
    turns it inward about its long axis, ``elbow_flexion`` bends the elbow (0 = straight).
    """

    flexion: float = 5.0
    abduction: float = 10.0
    internal_rotation: float = 0.0
    elbow_flexion: float = 15.0


#: Arm presets (degrees). "crossed": hands on the opposite shoulders; "hips": hands on the hips;
#: "overhead": arms straight up; "behind_head": hands clasped behind the head, elbows out.
ARM_PRESETS: dict[str, ArmAngles] = {
    "sides": ArmAngles(5.0, 12.0, 0.0, 15.0),
    "forward": ArmAngles(85.0, 8.0, 0.0, 5.0),
    "crossed": ArmAngles(40.0, 5.0, 80.0, 125.0),
    "hips": ArmAngles(-10.0, 45.0, 40.0, 95.0),
    "overhead": ArmAngles(165.0, 20.0, 0.0, 5.0),
    "behind_head": ArmAngles(20.0, 150.0, -90.0, 125.0),
}


def shoulder_matrix(side: str, a: ArmAngles) -> F64:
    s = side_sign(side)
    return rx(-a.flexion) @ rz(s * a.abduction) @ ry(-s * a.internal_rotation)


@dataclass
class LegTarget:
    """Where one leg goes: ankle centre (world), knee swing and foot orientation."""

    ankle: F64
    swing_deg: float = 0.0  # + = knee medially about the hip-ankle axis
    foot_rotation: F64 | None = None  # world rotation of the foot; None = follow the shank
    knee_forward: F64 | None = None  # reference direction for swing 0 (default: foot forward)
    #: Femoral rotation about the thigh's long axis, + = internal; the hip, knee and ankle centres
    #: and the shank do not move (the tibia stays with the foot, the knee joint takes the twist).
    thigh_rotation_deg: float = 0.0


@dataclass
class BodyPose:
    """Everything that sets one frame's pose. Angles in degrees."""

    pelvis_position: F64  # world position of the root bone head (pelvis centre)
    pelvis_rotation: F64  # world rotation of the pelvis
    trunk_rotation: F64  # world rotation of the upper trunk (spine01 and above)
    legs: dict[str, LegTarget]
    arms: dict[str, ArmAngles] = field(
        default_factory=lambda: {"left": ARM_PRESETS["sides"], "right": ARM_PRESETS["sides"]}
    )


@dataclass(frozen=True)
class Rig:
    """Precomputed per-body quantities for posing."""

    thigh_length: dict[str, float]
    shank_length: dict[str, float]
    hip_offset: dict[str, F64]  # rest hip joint centre minus rest pelvis centre
    ankle_height: float  # ankle centre above the floor with the foot flat
    corrections: dict[str, F64]  # bone name -> C (rest direction -> straight down)

    @staticmethod
    def of(body: BodyModel) -> Rig:
        down = np.array([0.0, -1.0, 0.0])
        tl, sl, ho, corr = {}, {}, {}, {}
        for side in SIDES:
            x = _SFX[side]
            hip, knee, ankle = (body.head(f"{b}.{x}") for b in ("upperleg01", "lowerleg01", "foot"))
            tl[side] = float(np.linalg.norm(knee - hip))
            sl[side] = float(np.linalg.norm(ankle - knee))
            ho[side] = hip - body.head("root")
            corr[f"upperleg01.{x}"] = minimal_rotation(knee - hip, down)
            corr[f"lowerleg01.{x}"] = minimal_rotation(ankle - knee, down)
            sh, el, wr = (body.head(f"{b}.{x}") for b in ("upperarm01", "lowerarm01", "wrist"))
            corr[f"upperarm01.{x}"] = minimal_rotation(el - sh, down)
            corr[f"lowerarm01.{x}"] = minimal_rotation(wr - el, down)
        ankle_h = 0.5 * (body.head("foot.L")[1] + body.head("foot.R")[1])
        return Rig(tl, sl, ho, float(ankle_h), corr)


def hip_centres(rig: Rig, pose: BodyPose) -> dict[str, F64]:
    return {s: pose.pelvis_position + pose.pelvis_rotation @ rig.hip_offset[s] for s in SIDES}


def solve_knee(
    hip: F64, ankle: F64, thigh: float, shank: float, forward: F64, swing_deg: float, side: str
) -> tuple[F64, F64]:
    """Knee centre and the leg plane's normal (pointing to the subject's left).

    If the ankle is out of reach the leg is straight toward it (the ankle then falls short).
    """
    d_vec = ankle - hip
    d = float(np.linalg.norm(d_vec))
    e = d_vec / d
    d_eff = min(d, (thigh + shank) * (1 - 1e-6))
    a = (thigh**2 - shank**2 + d_eff**2) / (2 * d_eff)
    r = np.sqrt(max(thigh**2 - a**2, 0.0))
    n0 = forward - (forward @ e) * e
    n0 /= np.linalg.norm(n0)
    ang = np.radians(swing_deg)
    n = np.cos(ang) * n0 + side_sign(side) * np.sin(ang) * np.cross(e, n0)
    knee = hip + a * e + r * n
    normal = np.cross(n, e)
    return knee, normal / np.linalg.norm(normal)


def _frame(ml: F64, up: F64) -> F64:
    """Orthonormal frame (columns x=ML left, y=up/proximal, z=anterior) from two axes."""
    y = up / np.linalg.norm(up)
    x = ml - (ml @ y) * y
    x /= np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def _interp(r0: F64, r1: F64, t: float) -> F64:
    return r0 @ rot_exp(t * rot_log(r0.T @ r1))


#: Share of the pelvis-to-trunk rotation taken by each spine bone (lowest first).
_SPINE = {"spine05": 0.3, "spine04": 0.6, "spine03": 0.85, "spine02": 1.0, "spine01": 1.0}


def pose_body(body: BodyModel, pose: BodyPose, rig: Rig | None = None) -> PosedBody:
    """Pose ``body``: skinned vertices, joint centres, surface keypoints and segment frames."""
    rig = rig or Rig.of(body)
    given: dict[int, F64] = {}
    frames: dict[str, F64] = {}
    rp, rt = pose.pelvis_rotation, pose.trunk_rotation
    for name in ("root", "pelvis.L", "pelvis.R"):
        given[body.bone(name)] = rp
    for name, share in _SPINE.items():
        given[body.bone(name)] = _interp(rp, rt, share)
    upright = np.eye(3)
    given[body.bone("neck01")] = _interp(rt, upright, 0.3)
    given[body.bone("head")] = _interp(rt, upright, 0.6)
    frames["pelvis"] = rp
    frames["trunk"] = rt

    hips = hip_centres(rig, pose)
    knees: dict[str, F64] = {}
    for side in SIDES:
        x = _SFX[side]
        leg = pose.legs[side]
        foot_rot = leg.foot_rotation
        fwd = leg.knee_forward
        if fwd is None:
            fwd = (foot_rot if foot_rot is not None else rp) @ np.array([0.0, 0.0, 1.0])
        knee, normal = solve_knee(
            hips[side], leg.ankle, rig.thigh_length[side], rig.shank_length[side],
            fwd, leg.swing_deg, side,
        )
        knees[side] = knee
        thigh = _frame(normal, hips[side] - knee)
        if leg.thigh_rotation_deg:
            # About the thigh's own long axis (y); internal rotation turns the anterior axis
            # medially: toward -X for the left leg, +X for the right.
            thigh = thigh @ ry(-side_sign(side) * leg.thigh_rotation_deg)
        # The ankle may fall short of an unreachable target: aim the shank at the target anyway.
        shank = _frame(normal, knee - leg.ankle)
        frames[f"{side}_thigh"] = thigh
        frames[f"{side}_shank"] = shank
        given[body.bone(f"upperleg01.{x}")] = thigh @ rig.corrections[f"upperleg01.{x}"]
        given[body.bone(f"lowerleg01.{x}")] = shank @ rig.corrections[f"lowerleg01.{x}"]
        given[body.bone(f"foot.{x}")] = foot_rot if foot_rot is not None else shank
        frames[f"{side}_foot"] = given[body.bone(f"foot.{x}")]

        arm = pose.arms[side]
        upper = rt @ shoulder_matrix(side, arm)
        fore = upper @ rx(-arm.elbow_flexion)
        given[body.bone(f"upperarm01.{x}")] = upper @ rig.corrections[f"upperarm01.{x}"]
        given[body.bone(f"lowerarm01.{x}")] = fore @ rig.corrections[f"lowerarm01.{x}"]
        given[body.bone(f"wrist.{x}")] = fore

    rots, heads = forward_kinematics(body, pose.pelvis_position, given)
    verts = skin(body, rots, heads)
    kp = body.keypoints(verts)
    joints = {}
    for side in SIDES:
        x = _SFX[side]
        joints[f"{side}_hip"] = heads[body.bone(f"upperleg01.{x}")]
        joints[f"{side}_knee"] = heads[body.bone(f"lowerleg01.{x}")]
        joints[f"{side}_ankle"] = heads[body.bone(f"foot.{x}")]
        joints[f"{side}_shoulder"] = heads[body.bone(f"upperarm01.{x}")]
        joints[f"{side}_elbow"] = heads[body.bone(f"lowerarm01.{x}")]
        joints[f"{side}_wrist"] = heads[body.bone(f"wrist.{x}")]
    joints["pelvis"] = heads[body.bone("root")]
    joints["head"] = heads[body.bone("head")]
    keypoints = {n: kp[i] for i, n in enumerate(body.keypoint_names)}
    return PosedBody(verts, rots, heads, joints, keypoints, frames)
