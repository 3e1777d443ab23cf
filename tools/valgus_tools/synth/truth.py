"""Ground-truth angles of a posed body, in 3D and as seen by the camera.

Conventions (documented for users in ``sample_videos/README.md``):

* Left/right are the subject's own. Per-leg keys start with ``left_`` / ``right_``.
* 2D FPPA (``*_fppa_deg`` from joint centres, ``*_fppa_surface_deg`` from the surface
  keypoints) is computed by :func:`valgus.kinematics.geometry.fppa_deg` on the projected points, so the
  definition is the pipeline's: + = knee medial to the hip-ankle line.
* 3D joint angles use segment frames with axes x = medio-lateral (toward the subject's LEFT for
  both legs), y = long axis (proximal/up), z = anterior. Hip angles are the Cardan decomposition
  ``pelvis^T thigh = Rx(a) Rz(b) Ry(c)`` (flexion about the pelvis ML axis, adduction about the
  floating anterior axis, rotation about the femur's long axis; Grood & Suntay's joint coordinate
  system): flexion = -a, adduction = -b (left) / +b (right), internal rotation = -c (left) /
  +c (right). Knee flexion is ``a`` of ``thigh^T shank`` (0 = straight).
* The pelvis frame: ML axis from the right to the left hip joint centre, up axis of the pelvis,
  anterior = ML x up.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from valgus.kinematics import geometry
from valgus_tools.synth.body import PosedBody
from valgus_tools.synth.camera import CameraParams
from valgus_tools.synth.kinematics import SIDES, _frame, side_sign

F64 = NDArray[np.float64]

#: Joint centres written to the truth file (2D) and used for FPPA.
JOINT_NAMES: tuple[str, ...] = tuple(
    f"{s}_{j}" for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle") for s in SIDES
)


def cardan_xzy(j: F64) -> tuple[float, float, float]:
    """Angles (a, b, c) in degrees with ``j = Rx(a) @ Rz(b) @ Ry(c)``."""
    b = np.degrees(np.arcsin(np.clip(-j[0, 1], -1.0, 1.0)))
    a = np.degrees(np.arctan2(j[2, 1], j[1, 1]))
    c = np.degrees(np.arctan2(j[0, 2], j[0, 0]))
    return float(a), float(b), float(c)


def pelvis_frame(posed: PosedBody) -> F64:
    ml = posed.joints["left_hip"] - posed.joints["right_hip"]
    return _frame(ml, posed.frames["pelvis"][:, 1])


def angles_3d(posed: PosedBody) -> dict[str, float]:
    """3D truth angles of one pose (degrees), keys as in the truth file."""
    out: dict[str, float] = {}
    pel = pelvis_frame(posed)
    for side in SIDES:
        sg = side_sign(side)
        thigh = posed.frames[f"{side}_thigh"]
        shank = posed.frames[f"{side}_shank"]
        a, b, c = cardan_xzy(pel.T @ thigh)
        out[f"{side}_hip_flexion_deg"] = -a
        out[f"{side}_hip_adduction_deg"] = -sg * b
        out[f"{side}_hip_internal_rotation_deg"] = -sg * c
        out[f"{side}_knee_flexion_deg"] = cardan_xzy(thigh.T @ shank)[0]
    hl, hr = posed.joints["left_hip"], posed.joints["right_hip"]
    d = hl - hr
    drop = float(np.degrees(np.arcsin(d[1] / np.linalg.norm(d))))
    out["left_pelvic_drop_deg"] = drop
    out["right_pelvic_drop_deg"] = -drop
    t = 0.5 * (posed.joints["left_shoulder"] + posed.joints["right_shoulder"]) - 0.5 * (hl + hr)
    ml_h = np.array([d[0], 0.0, d[2]])
    ml_h /= np.linalg.norm(ml_h)
    lean = float(np.degrees(np.arctan2(t @ ml_h, t[1])))
    out["left_trunk_lean_deg"] = lean
    out["right_trunk_lean_deg"] = -lean
    return out


def points_2d(posed: PosedBody, camera: CameraParams) -> tuple[dict[str, F64], dict[str, F64]]:
    """Projected joint centres and surface keypoints, name -> (2,) pixels."""
    joints = {n: camera.project(posed.joints[n]) for n in JOINT_NAMES}
    kps = {n: camera.project(p) for n, p in posed.keypoints.items()}
    return joints, kps


def angles_2d(joints: dict[str, F64], kps: dict[str, F64]) -> dict[str, float]:
    """FPPA per leg from joint centres and from surface keypoints, and 2D pelvis/trunk angles
    from the projected joint centres, all with :mod:`valgus.kinematics.geometry`."""
    out: dict[str, float] = {}
    for side in SIDES:
        o = "right" if side == "left" else "left"
        for src, pts, key in ((joints, joints, "fppa_deg"), (kps, kps, "fppa_surface_deg")):
            out[f"{side}_{key}"] = float(
                geometry.fppa_deg(pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"],
                                  pts[f"{o}_hip"])
            )
        out[f"{side}_pelvic_drop_2d_deg"] = float(
            geometry.pelvic_drop_deg(joints[f"{side}_hip"], joints[f"{o}_hip"])
        )
        out[f"{side}_trunk_lean_2d_deg"] = float(
            geometry.trunk_lean_deg(joints[f"{side}_hip"], joints[f"{o}_hip"],
                                    joints[f"{side}_shoulder"], joints[f"{o}_shoulder"])
        )
    return out
