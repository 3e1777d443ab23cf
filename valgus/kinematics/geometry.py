"""Pure NumPy geometry for frontal-plane knee and hip metrics.

Conventions (all functions):

* Points are arrays of shape ``(..., 2)`` (image pixels, x right, y **down**) or ``(..., 3)``
  (MediaPipe world landmarks in metres: x right, y down, z away from the camera; right-handed).
  Leading dimensions broadcast, so one call handles one frame or a whole clip.
* Angles are in degrees.
* "Medial" for a leg is the direction from that leg's hip towards the *other* hip. Signs are
  therefore defined by the body itself, not by the image: a mirrored frame, a subject facing
  away or standing on either side gives the same sign for the same movement. Only the left/right
  *names* depend on correct labelling (see ``valgus.pose`` for mirrored input).
* NaN in any input point gives NaN out; nothing raises on degenerate geometry (zero-length
  segments give NaN).

No cv2 or mediapipe here: this module imports NumPy only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "angle_between_deg",
    "fppa_deg",
    "hip_adduction_2d_deg",
    "hip_internal_rotation_deg",
    "knee_flexion_deg",
    "knee_medial_offset",
    "pelvic_drop_deg",
    "separation_ratio",
    "trunk_lean_deg",
]


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _cross2(a: FloatArray, b: FloatArray) -> FloatArray:
    """z-component of the 2D cross product ``a x b``."""
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _norm(a: FloatArray) -> FloatArray:
    return np.sqrt(np.sum(a * a, axis=-1))


def _unit(a: FloatArray) -> FloatArray:
    n = _norm(a)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = a / n
    return np.where(n > 0, out, np.nan)


def angle_between_deg(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Unsigned angle between vectors ``u`` and ``v`` (2D or 3D), in [0, 180] degrees.

    Uses ``atan2(|u x v|, u . v)``, accurate near 0 and 180. A zero vector gives NaN.
    """
    u, v = _arr(u), _arr(v)
    dot = np.sum(u * v, axis=-1)
    if u.shape[-1] == 2:
        cross = np.abs(_cross2(u, v))
    else:
        cross = _norm(np.cross(u, v))
    ang = np.degrees(np.arctan2(cross, dot))
    degenerate = (_norm(u) == 0) | (_norm(v) == 0)
    return np.where(degenerate, np.nan, ang)


def fppa_deg(hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike, other_hip: ArrayLike) -> FloatArray:
    """Frontal-plane projection angle of one leg, + = valgus, in (-180, 180].

    FPPA = 180 - the included angle at the knee between the thigh line (hip -> knee) and the
    shank line (knee -> ankle), i.e. the angle between the thigh and shank *directions*
    (Willson & Davis 2008, JOSPT 38:606; Munro et al. 2012, J Sport Rehabil 21:7). It is signed
    + when the knee lies medial to the hip-ankle line (towards ``other_hip``: valgus) and - when
    lateral (varus). A straight leg gives 0.

    Args:
        hip, knee, ankle: ``(..., 2)`` image points of one leg.
        other_hip: ``(..., 2)`` the opposite hip; only fixes which side is medial.

    Example:
        >>> round(float(fppa_deg([0, 0], [1, 1], [0, 2], [1, 0])), 6)  # knee 1 px medial
        90.0
    """
    hip, knee, ankle, other_hip = _arr(hip), _arr(knee), _arr(ankle), _arr(other_hip)
    mag = angle_between_deg(knee - hip, ankle - knee)
    axis = ankle - hip
    side_knee = _cross2(axis, knee - hip)
    side_medial = _cross2(axis, other_hip - hip)
    sign = np.sign(side_knee) * np.sign(side_medial)
    # A knee exactly on the line has magnitude 0; keep 0 rather than NaN. Unknown medial side -> NaN.
    sign = np.where(side_knee == 0, 1.0, sign)
    sign = np.where(side_medial == 0, np.nan, sign)
    return sign * mag


def hip_adduction_2d_deg(hip: ArrayLike, knee: ArrayLike, other_hip: ArrayLike) -> FloatArray:
    """2D hip adduction: femur line against the perpendicular to the pelvis line, + = adduction.

    The reference is the perpendicular to the pelvis line (hip -> other hip) that points down the
    image (towards the feet). Positive when the femur (hip -> knee) points medially from it
    (adduction), negative for abduction (Scholtes & Salsich; the "2D hip angle" of the Dynamic
    Valgus Index). Range (-180, 180].

    Example:
        >>> round(float(hip_adduction_2d_deg([0, 0], [1, 1], [5, 0])), 6)  # 45 deg towards midline
        45.0
    """
    hip, knee, other_hip = _arr(hip), _arr(knee), _arr(other_hip)
    m = _unit(other_hip - hip)  # medial unit vector along the pelvis line
    n = np.stack([-m[..., 1], m[..., 0]], axis=-1)  # perpendicular
    n = np.where((n[..., 1] < 0)[..., None], -n, n)  # the one pointing down the image
    femur = knee - hip
    ang = np.degrees(np.arctan2(np.sum(femur * m, axis=-1), np.sum(femur * n, axis=-1)))
    return np.where(_norm(femur) == 0, np.nan, ang)


def knee_flexion_deg(hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike) -> FloatArray:
    """Knee flexion as 180 - included angle at the knee, in [0, 180]; 0 = straight leg.

    With world landmarks ``(..., 3)`` this is the 3D flexion angle. With image points ``(..., 2)``
    it is the angle in the image plane, which measures flexion only in a *side* view (in a frontal
    view it is the unsigned FPPA).
    """
    hip, knee, ankle = _arr(hip), _arr(knee), _arr(ankle)
    return angle_between_deg(knee - hip, ankle - knee)


def knee_medial_offset(
    knee: ArrayLike,
    heel: ArrayLike,
    toe: ArrayLike,
    hip: ArrayLike,
    other_hip: ArrayLike,
    scale: ArrayLike,
) -> FloatArray:
    """Knee position relative to the foot, + = knee medial to the foot, as a fraction of ``scale``.

    The knee's offset from the foot's centre line (the midpoint of heel and toe), measured along the
    pelvis axis (medial = towards ``other_hip``), divided by ``scale`` (leg length in pixels).
    Clinicians fail a single-leg squat when the knee centre is clearly over or medial to the big toe
    (BMC SSMR 2021, s13102-021-00289-x); Ageberg 2010 (BMC MSD 11:265). In a frontal view the
    heel-toe segment is foreshortened to a few pixels, so its *direction* is noise; its centre is
    not, which is why the offset is taken from the foot centre along the pelvis axis.
    """
    knee, heel, toe, hip, other_hip = map(_arr, (knee, heel, toe, hip, other_hip))
    scale = _arr(scale)
    m = _unit(other_hip - hip)
    foot = 0.5 * (heel + toe)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sum((knee - foot) * m, axis=-1) / scale
    return np.where(scale > 0, out, np.nan)


def separation_ratio(a_left: ArrayLike, a_right: ArrayLike, b_left: ArrayLike, b_right: ArrayLike) -> FloatArray:
    """Distance between a left/right pair divided by the distance between another pair.

    ``separation_ratio(knees, ankles)`` is the knee-to-ankle separation ratio (KASR, Mizner 2012);
    ``separation_ratio(knees, hips)`` the knee-to-hip ratio (Noyes 2005: drop jump 0.51 +- 0.19 F,
    0.51 +- 0.15 M). Smaller = knees closer together. A zero denominator gives NaN.
    """
    num = _norm(_arr(a_left) - _arr(a_right))
    den = _norm(_arr(b_left) - _arr(b_right))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, np.nan)


def pelvic_drop_deg(hip: ArrayLike, other_hip: ArrayLike) -> FloatArray:
    """Contralateral pelvic drop with ``hip``'s leg as the stance leg, + = the other side is lower.

    The tilt of the pelvis line from the image horizontal: positive when ``other_hip`` is lower in
    the image than ``hip`` (the Trendelenburg sign when standing on ``hip``'s leg; Bramah et al.
    2018, AJSM 46:3023). ``pelvic_drop_deg(l, r) == -pelvic_drop_deg(r, l)``. Assumes a level camera.
    """
    hip, other_hip = _arr(hip), _arr(other_hip)
    d = other_hip - hip
    ang = np.degrees(np.arctan2(d[..., 1], np.abs(d[..., 0])))
    return np.where(_norm(d) == 0, np.nan, ang)


def trunk_lean_deg(
    hip: ArrayLike, other_hip: ArrayLike, shoulder: ArrayLike, other_shoulder: ArrayLike
) -> FloatArray:
    """Lateral trunk lean towards ``hip``'s side, + = leaning over this leg.

    Angle between the image vertical and the line from the hip midpoint to the shoulder midpoint,
    positive when the shoulders are displaced towards ``hip``'s side (the compensation for hip
    abductor weakness when this is the stance leg). ``trunk_lean_deg(l, r, ..) == -trunk_lean_deg(r, l, ..)``.
    Assumes a level camera.
    """
    hip, other_hip, shoulder, other_shoulder = map(_arr, (hip, other_hip, shoulder, other_shoulder))
    t = 0.5 * (shoulder + other_shoulder) - 0.5 * (hip + other_hip)
    towards_this_side = np.sign(hip[..., 0] - other_hip[..., 0])
    towards_this_side = np.where(towards_this_side == 0, np.nan, towards_this_side)
    ang = np.degrees(np.arctan2(t[..., 0] * towards_this_side, -t[..., 1]))
    return np.where(_norm(t) == 0, np.nan, ang)


def trunk_flexion_deg(hip: ArrayLike, other_hip: ArrayLike, shoulder: ArrayLike,
                      other_shoulder: ArrayLike) -> FloatArray:
    """Forward trunk flexion from 3D world points ``(..., 3)`` (MediaPipe world axes: y down, z
    away from the camera), in degrees: the angle of the hip-midpoint -> shoulder-midpoint line
    from vertical in the y-z plane, + = shoulders towards the camera (a subject facing it leans
    forward), 0 = upright, 90 = trunk horizontal. Assumes a level camera; NaN for missing points.
    """
    hip, other_hip, shoulder, other_shoulder = map(_arr, (hip, other_hip, shoulder, other_shoulder))
    t = 0.5 * (shoulder + other_shoulder) - 0.5 * (hip + other_hip)
    ang = np.degrees(np.arctan2(-t[..., 2], -t[..., 1]))
    return np.where(_norm(t) == 0, np.nan, ang)


def hip_internal_rotation_deg(
    hip: ArrayLike, knee: ArrayLike, ankle: ArrayLike, other_hip: ArrayLike, *, side_sign: float
) -> FloatArray:
    """Estimated hip internal rotation from 3D points, + = internal rotation.

    The knee's flexion axis (thigh x shank) is compared with the pelvis's medio-lateral axis, both
    projected onto the plane perpendicular to the femur; the signed angle between them about the
    femur is the femur's rotation relative to the pelvis. ``side_sign`` is +1 for the subject's
    left leg and -1 for the right (internal rotation turns the two legs in opposite senses).

    Only defined when the knee is bent: the flexion axis of a straight leg is undefined, so a
    confidence must accompany this value (see ``valgus.kinematics.metrics``). Points must be in a
    right-handed frame (MediaPipe world landmarks are). One camera cannot measure the transverse
    plane well (OpenCap transverse CMC 0.51-0.60; RESEARCH.md): treat it as an estimate.
    """
    hip, knee, ankle, other_hip = map(_arr, (hip, knee, ankle, other_hip))
    f = _unit(knee - hip)
    s = ankle - knee
    a = np.cross(f, s)
    # medio-lateral axis pointing to the subject's left, whichever leg this is
    ml = (hip - other_hip) * side_sign
    ml_p = ml - np.sum(ml * f, axis=-1)[..., None] * f
    y = np.sum(np.cross(ml_p, a) * f, axis=-1)
    x = np.sum(ml_p * a, axis=-1)
    ang = np.degrees(np.arctan2(y, x)) * side_sign
    degenerate = (_norm(a) == 0) | (_norm(ml_p) == 0)
    return np.where(degenerate, np.nan, ang)
