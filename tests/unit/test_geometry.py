"""Unit tests for valgus.kinematics.geometry on hand-built points with closed-form answers.

Image axes: x right, y DOWN. A subject facing the camera has its LEFT hip on the image RIGHT.
Every expected value below is derived from the construction (atan of two legs of a right
triangle, 3-4-5 triangles, ...), never copied from running the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import rotation_about, world_leg
from valgus.kinematics import geometry as g

ATAN_3_4 = math.degrees(math.atan2(3, 4))  # 36.8699 deg: the small angle of a 3-4-5 triangle
ATAN_4_3 = 90.0 - ATAN_3_4  # 53.1301 deg


def rot2(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


# --------------------------------------------------------------------------------------------
# FPPA
# --------------------------------------------------------------------------------------------

# A subject facing the camera: left hip (60, 100), right hip (40, 100).
LH, RH = (60.0, 100.0), (40.0, 100.0)

FPPA_CASES = [
    # (hip, knee, ankle, other_hip, expected, comment)
    pytest.param(LH, (60, 150), (60, 200), RH, 0.0, id="left-straight"),
    pytest.param(RH, (40, 150), (40, 200), LH, 0.0, id="right-straight"),
    # left leg, thigh straight down 50 px, shank 3-4-5 going laterally (+x): knee medial of the
    # hip-ankle line -> valgus, FPPA = angle between (0, 50) and (30, 40) = atan(3/4)
    pytest.param(LH, (60, 150), (90, 190), RH, ATAN_3_4, id="left-valgus-345-shank"),
    # the same shank going medially (-x): knee lateral of the line -> varus
    pytest.param(LH, (60, 150), (30, 190), RH, -ATAN_3_4, id="left-varus-345-shank"),
    # right leg, medial is +x: shank going -x (laterally) -> valgus
    pytest.param(RH, (40, 150), (10, 190), LH, ATAN_3_4, id="right-valgus-345-shank"),
    pytest.param(RH, (40, 150), (70, 190), LH, -ATAN_3_4, id="right-varus-345-shank"),
    # symmetric knee shift: thigh (-30, 40), shank (30, 40) -> 2 * atan(3/4) = 73.74 valgus
    pytest.param(LH, (30, 140), (60, 180), RH, 2 * ATAN_3_4, id="left-valgus-symmetric"),
    pytest.param(RH, (70, 140), (40, 180), LH, 2 * ATAN_3_4, id="right-valgus-symmetric"),
    pytest.param(LH, (90, 140), (60, 180), RH, -2 * ATAN_3_4, id="left-varus-symmetric"),
    # thigh 4-3 (steep lateral lean of the whole leg), shank straight down: knee lateral of the
    # hip-ankle line -> angle between (30, 40) and (0, 40) = atan(3/4), varus
    pytest.param(LH, (90, 140), (90, 180), RH, -ATAN_3_4, id="left-leaning-lateral-thigh"),
    # the docstring example: knee 1 px medial, right angle at the knee -> 90
    pytest.param((0, 0), (1, 1), (0, 2), (1, 0), 90.0, id="docstring-90"),
    # 30-degree construction: thigh and shank each 15 deg off the hip-ankle line, knee medial
    pytest.param(
        (0.0, 0.0), (-math.tan(math.radians(15)), 1.0), (0.0, 2.0), (-5.0, 0.0), 30.0, id="left-30deg"
    ),
]


@pytest.mark.parametrize("hip, knee, ankle, other_hip, expected", FPPA_CASES)
def test_fppa_known_angles(hip, knee, ankle, other_hip, expected) -> None:
    assert g.fppa_deg(hip, knee, ankle, other_hip) == pytest.approx(expected, abs=1e-9)


def _leg(u_deg: float, medial_side: int, knee_in: float, knee_at: float = 0.5, L: float = 100.0):
    """One leg whose hip->ankle axis points along angle ``u_deg`` (image axes), the other hip on
    ``medial_side`` (+1: the axis turned +90 deg, -1: -90 deg) and the knee ``knee_in`` px medial
    of the axis at fraction ``knee_at`` of its length. Expected FPPA = atan(d/a) + atan(d/(L-a))."""
    u = rot2(u_deg) @ np.array([1.0, 0.0])
    m = rot2(90.0 * medial_side) @ u
    hip = np.array([7.0, -3.0])
    ankle = hip + L * u
    knee = hip + knee_at * L * u + knee_in * m
    other = hip + 40.0 * m
    a = knee_at * L
    exp = math.degrees(math.atan2(knee_in, a) + math.atan2(knee_in, L - a))
    return hip, knee, ankle, other, exp


@pytest.mark.parametrize("u_deg", [90, 0, 180, 270, 30, 120, 210, 300, -45])  # every quadrant
@pytest.mark.parametrize("medial_side", [+1, -1])  # "left" and "right" legs
@pytest.mark.parametrize(
    "knee_in, knee_at",
    [
        (10.0, 0.5),  # medial knee, mid-leg -> valgus
        (-10.0, 0.5),  # lateral knee -> varus
        (25.0, 0.4),  # bigger medial shift, knee above mid-leg
        (-5.0, 0.6),
        (0.0, 0.5),  # on the line -> 0
    ],
)
def test_fppa_every_direction_and_side(u_deg, medial_side, knee_in, knee_at) -> None:
    hip, knee, ankle, other, exp = _leg(u_deg, medial_side, knee_in, knee_at)
    got = g.fppa_deg(hip, knee, ankle, other)
    assert got == pytest.approx(exp, abs=1e-9)
    if knee_in:
        assert np.sign(got) == np.sign(knee_in)  # + exactly when the knee is medial


def test_fppa_mirrored_and_relabelled_gives_same_values() -> None:
    # a figure whose left knee is valgus (3-4-5 shank) and right knee varus (symmetric shift)
    pts = {
        "lh": np.array(LH), "lk": np.array([60.0, 150.0]), "la": np.array([90.0, 190.0]),
        "rh": np.array(RH), "rk": np.array([25.0, 140.0]), "ra": np.array([40.0, 180.0]),
    }
    left = g.fppa_deg(pts["lh"], pts["lk"], pts["la"], pts["rh"])
    right = g.fppa_deg(pts["rh"], pts["rk"], pts["ra"], pts["lh"])
    assert left == pytest.approx(ATAN_3_4)
    assert right == pytest.approx(-2 * math.degrees(math.atan2(15, 40)))  # knee 15 px lateral
    # a mirrored picture (x -> W - x) in which the model labels the sides the other way round
    W = 640.0
    mir = {k: np.array([W - v[0], v[1]]) for k, v in pts.items()}
    new_left = g.fppa_deg(mir["rh"], mir["rk"], mir["ra"], mir["lh"])  # labelled "left" now
    new_right = g.fppa_deg(mir["lh"], mir["lk"], mir["la"], mir["rh"])
    assert new_left == pytest.approx(right, abs=1e-12)
    assert new_right == pytest.approx(left, abs=1e-12)


def test_fppa_translation_scale_rotation_invariance(rng) -> None:
    P = rng.uniform(-100, 100, size=(200, 4, 2))
    base = g.fppa_deg(P[:, 0], P[:, 1], P[:, 2], P[:, 3])
    for scale, shift, angle in [(2.5, (100.0, -40.0), 0.0), (0.01, (0.0, 0.0), 0.0), (1.0, (3.0, 4.0), 73.0)]:
        Q = (P @ rot2(angle).T) * scale + np.array(shift)
        np.testing.assert_allclose(g.fppa_deg(Q[:, 0], Q[:, 1], Q[:, 2], Q[:, 3]), base, atol=1e-7)


def test_fppa_broadcasts_and_matches_single_calls() -> None:
    cases = [_leg(u, s, d) for u in (0, 90, 200) for s in (1, -1) for d in (-8.0, 0.0, 12.0)]
    H, K, A, O, E = (np.array([c[i] for c in cases]) for i in range(5))
    out = g.fppa_deg(H, K, A, O)
    assert out.shape == (len(cases),)
    np.testing.assert_allclose(out, E, atol=1e-9)
    # one other_hip broadcast against many legs
    hips = np.array([[60.0, 100.0]] * 3)
    knees = np.array([[60.0, 150.0], [60.0, 150.0], [60.0, 150.0]])
    ankles = np.array([[60.0, 200.0], [90.0, 190.0], [30.0, 190.0]])
    np.testing.assert_allclose(g.fppa_deg(hips, knees, ankles, RH), [0.0, ATAN_3_4, -ATAN_3_4], atol=1e-9)
    # (frames, people, 2) leading dims
    assert g.fppa_deg(np.zeros((4, 3, 2)) + LH, np.zeros((4, 3, 2)) + [60, 150], [60, 200], RH).shape == (4, 3)


@pytest.mark.parametrize("which", range(4))
@pytest.mark.parametrize("coord", range(2))
def test_fppa_nan_in_nan_out(which, coord) -> None:
    pts = [np.array(LH), np.array([60.0, 150.0]), np.array([90.0, 190.0]), np.array(RH)]
    pts[which][coord] = np.nan
    assert np.isnan(g.fppa_deg(*pts))


@pytest.mark.parametrize(
    "hip, knee, ankle, other_hip",
    [
        (LH, LH, (60, 200), RH),  # zero-length thigh
        (LH, (60, 150), (60, 150), RH),  # zero-length shank
        (LH, (50, 150), (60, 200), (60, 300)),  # other hip on the hip-ankle line: medial unknown
        (LH, (50, 150), LH, RH),  # hip == ankle: no hip-ankle line
    ],
)
def test_fppa_degenerate_is_nan(hip, knee, ankle, other_hip) -> None:
    assert np.isnan(g.fppa_deg(hip, knee, ankle, other_hip))


# --------------------------------------------------------------------------------------------
# Hip adduction (2D)
# --------------------------------------------------------------------------------------------

HIP_ADD_CASES = [
    # (hip, knee, other_hip, expected)
    pytest.param(LH, (60, 150), RH, 0.0, id="left-femur-straight-down"),
    pytest.param(LH, (30, 140), RH, ATAN_3_4, id="left-femur-345-medial"),  # femur (-30, 40)
    pytest.param(LH, (90, 140), RH, -ATAN_3_4, id="left-femur-345-lateral"),
    pytest.param(RH, (70, 140), LH, ATAN_3_4, id="right-femur-345-medial"),  # medial = +x
    pytest.param(RH, (10, 140), LH, -ATAN_3_4, id="right-femur-345-lateral"),
    pytest.param(LH, (20, 130), RH, ATAN_4_3, id="left-femur-435-medial"),  # femur (-40, 30)
    pytest.param((0, 0), (1, 1), (5, 0), 45.0, id="docstring-45"),
]


@pytest.mark.parametrize("hip, knee, other_hip, expected", HIP_ADD_CASES)
def test_hip_adduction_known(hip, knee, other_hip, expected) -> None:
    assert g.hip_adduction_2d_deg(hip, knee, other_hip) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("tilt", [-30.0, -5.0, 0.0, 10.0, 45.0])
def test_hip_adduction_follows_a_tilted_pelvis(tilt) -> None:
    # rotating the whole figure (pelvis and femur together) leaves the angle unchanged
    R = rot2(tilt)
    hip, knee, other = (R @ np.array(p, dtype=float) for p in (LH, (30, 140), RH))
    assert g.hip_adduction_2d_deg(hip, knee, other) == pytest.approx(ATAN_3_4, abs=1e-9)


def test_hip_adduction_mirror_translation_scale() -> None:
    hip, knee, other = np.array(LH), np.array([30.0, 140.0]), np.array(RH)
    mirror = np.array([-1.0, 1.0])
    assert g.hip_adduction_2d_deg(hip * mirror, knee * mirror, other * mirror) == pytest.approx(ATAN_3_4)
    assert g.hip_adduction_2d_deg(3 * hip + 7, 3 * knee + 7, 3 * other + 7) == pytest.approx(ATAN_3_4)


def test_hip_adduction_nan_and_degenerate() -> None:
    assert np.isnan(g.hip_adduction_2d_deg(LH, LH, RH))  # zero femur
    assert np.isnan(g.hip_adduction_2d_deg(LH, (30, 140), LH))  # hips coincide
    assert np.isnan(g.hip_adduction_2d_deg((np.nan, 100), (30, 140), RH))
    out = g.hip_adduction_2d_deg([LH, LH], [(60, 150), (np.nan, 150)], RH)
    assert out[0] == 0.0 and np.isnan(out[1])


# --------------------------------------------------------------------------------------------
# Pelvic drop and trunk lean (antisymmetric between the legs)
# --------------------------------------------------------------------------------------------

PELVIC_CASES = [
    # (hip, other_hip, expected)
    pytest.param(LH, RH, 0.0, id="level"),
    pytest.param((60, 100), (20, 130), ATAN_3_4, id="other-side-lower-345"),  # d = (-40, 30)
    pytest.param((60, 100), (20, 70), -ATAN_3_4, id="other-side-higher-345"),
    pytest.param((60, 100), (100, 130), ATAN_3_4, id="mirrored-layout-other-lower"),  # d = (40, 30)
    pytest.param((0, 0), (-10, 10), 45.0, id="45"),
]


@pytest.mark.parametrize("hip, other_hip, expected", PELVIC_CASES)
def test_pelvic_drop_known_and_antisymmetric(hip, other_hip, expected) -> None:
    assert g.pelvic_drop_deg(hip, other_hip) == pytest.approx(expected, abs=1e-9)
    assert g.pelvic_drop_deg(other_hip, hip) == pytest.approx(-expected, abs=1e-9)


def test_pelvic_drop_invariance_and_nan(rng) -> None:
    P = rng.uniform(-50, 50, size=(50, 2, 2))
    base = g.pelvic_drop_deg(P[:, 0], P[:, 1])
    np.testing.assert_allclose(g.pelvic_drop_deg(2 * P[:, 0] + 5, 2 * P[:, 1] + 5), base, atol=1e-9)
    M = P * [-1.0, 1.0]  # mirrored: same drop for the same hips
    np.testing.assert_allclose(g.pelvic_drop_deg(M[:, 0], M[:, 1]), base, atol=1e-9)
    assert np.isnan(g.pelvic_drop_deg(LH, LH))
    assert np.isnan(g.pelvic_drop_deg((np.nan, 1.0), RH))


TRUNK_CASES = [
    # left hip (60,100), right hip (40,100): hip midpoint (50, 100)
    # (shoulder midpoint offset from the hip midpoint, expected lean towards the LEFT leg)
    pytest.param((0, -100), 0.0, id="upright"),
    pytest.param((30, -40), ATAN_3_4, id="towards-left-345"),  # +x is the left hip's side
    pytest.param((-30, -40), -ATAN_3_4, id="towards-right-345"),
    pytest.param((40, -40), 45.0, id="towards-left-45"),
    pytest.param((40, 0), 90.0, id="trunk-horizontal"),
]


@pytest.mark.parametrize("offset, expected", TRUNK_CASES)
def test_trunk_lean_known_and_antisymmetric(offset, expected) -> None:
    mid = np.array([50.0, 100.0]) + offset
    ls, rs = mid + [20.0, 0.0], mid - [20.0, 0.0]
    assert g.trunk_lean_deg(LH, RH, ls, rs) == pytest.approx(expected, abs=1e-9)
    assert g.trunk_lean_deg(RH, LH, rs, ls) == pytest.approx(-expected, abs=1e-9)
    # mirrored picture (x -> -x), same physical sides: the same lean
    m = np.array([-1.0, 1.0])
    assert g.trunk_lean_deg(np.array(LH) * m, np.array(RH) * m, ls * m, rs * m) == pytest.approx(expected, abs=1e-9)


def test_trunk_lean_degenerate() -> None:
    assert np.isnan(g.trunk_lean_deg((50, 100), (50, 120), (50, 0), (52, 0)))  # hips share x: no side
    assert np.isnan(g.trunk_lean_deg(LH, RH, (60, 100), (40, 100)))  # shoulders on the hips
    assert np.isnan(g.trunk_lean_deg(LH, RH, (np.nan, 0), (40, 0)))


# --------------------------------------------------------------------------------------------
# Separation ratio, knee medial offset
# --------------------------------------------------------------------------------------------

SEP_CASES = [
    # (a_left, a_right, b_left, b_right, expected)
    pytest.param((60, 0), (40, 0), (80, 0), (40, 0), 0.5, id="knees-20-ankles-40"),
    pytest.param((3, 4), (0, 0), (10, 0), (0, 0), 0.5, id="345-distance"),
    pytest.param((80, 0), (20, 0), (70, 0), (30, 0), 1.5, id="knees-wider"),
    pytest.param((50, 0), (50, 0), (70, 0), (30, 0), 0.0, id="knees-touch"),
    pytest.param((40, 0), (60, 0), (70, 0), (30, 0), 0.5, id="knees-crossed-distance-only"),
]


@pytest.mark.parametrize("al, ar, bl, br, expected", SEP_CASES)
def test_separation_ratio(al, ar, bl, br, expected) -> None:
    assert g.separation_ratio(al, ar, bl, br) == pytest.approx(expected)
    assert g.separation_ratio(ar, al, br, bl) == pytest.approx(expected)  # pair order is irrelevant


def test_separation_ratio_degenerate() -> None:
    assert np.isnan(g.separation_ratio((1, 0), (0, 0), (5, 5), (5, 5)))
    assert np.isnan(g.separation_ratio((np.nan, 0), (0, 0), (5, 0), (0, 0)))
    out = g.separation_ratio(np.array([[3.0, 4.0]] * 2), [0, 0], np.array([[10.0, 0.0], [0.0, 0.0]]), [0, 0])
    assert out[0] == pytest.approx(0.5) and np.isnan(out[1])


OFFSET_CASES = [
    # left leg: hip (60,100), other hip (40,100): medial = -x; foot centre = heel/toe midpoint
    # (knee, heel, toe, hip, other_hip, scale, expected)
    pytest.param((55, 150), (62, 200), (58, 205), LH, RH, 100.0, 0.05, id="left-knee-5px-medial"),
    pytest.param((65, 150), (60, 200), (60, 210), LH, RH, 100.0, -0.05, id="left-knee-5px-lateral"),
    pytest.param((45, 150), (40, 200), (40, 210), RH, LH, 50.0, 0.1, id="right-knee-5px-medial"),
    pytest.param((60, 150), (60, 200), (60, 210), LH, RH, 100.0, 0.0, id="over-the-foot"),
    # tilted pelvis: other hip - hip = (-40, 30), medial unit vector (-0.8, 0.6); knee - foot
    # centre = (-8, 6), i.e. 10 px along it; scale 20 px -> 0.5
    pytest.param((52, 206), (60, 200), (60, 200), (60, 100), (20, 130), 20.0, 0.5, id="tilted-pelvis"),
]


@pytest.mark.parametrize("knee, heel, toe, hip, other, scale, expected", OFFSET_CASES)
def test_knee_medial_offset(knee, heel, toe, hip, other, scale, expected) -> None:
    assert g.knee_medial_offset(knee, heel, toe, hip, other, scale) == pytest.approx(expected, abs=1e-12)


def test_knee_medial_offset_degenerate() -> None:
    args = ((55, 150), (62, 200), (58, 205), LH, RH)
    assert np.isnan(g.knee_medial_offset(*args, 0.0))
    assert np.isnan(g.knee_medial_offset(*args, -3.0))
    assert np.isnan(g.knee_medial_offset(*args, np.nan))
    assert np.isnan(g.knee_medial_offset((55, 150), (62, 200), (58, 205), LH, LH, 100.0))  # hips coincide
    assert np.isnan(g.knee_medial_offset((np.nan, 150), (62, 200), (58, 205), LH, RH, 100.0))


# --------------------------------------------------------------------------------------------
# Knee flexion (2D and 3D)
# --------------------------------------------------------------------------------------------

FLEX_CASES = [
    # (hip, knee, ankle, expected)
    pytest.param((0, 0), (0, 50), (0, 100), 0.0, id="2d-straight"),
    pytest.param((0, 0), (0, 50), (50, 50), 90.0, id="2d-right-angle"),
    pytest.param((0, 0), (0, 50), (30, 90), ATAN_3_4, id="2d-345"),
    pytest.param((0, 0), (0, 50), (0, 0), 180.0, id="2d-folded"),
    pytest.param((0, 0, 0), (0, 0.4, 0), (0, 0.8, 0), 0.0, id="3d-straight"),
    pytest.param((0, 0, 0), (0, 0.4, 0), (0, 0.4, 0.4), 90.0, id="3d-right-angle"),
    pytest.param((0, 0, 0), (0, 4, 0), (0, 8, 3), ATAN_3_4, id="3d-345"),
    pytest.param((0, 0, 0), (0, 4, 0), (3, 8, 0), ATAN_3_4, id="3d-345-other-plane"),
]


@pytest.mark.parametrize("hip, knee, ankle, expected", FLEX_CASES)
def test_knee_flexion_known(hip, knee, ankle, expected) -> None:
    assert g.knee_flexion_deg(hip, knee, ankle) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("flex", [0.0, 10.0, 45.0, 90.0, 120.0])
def test_knee_flexion_3d_rotation_invariant(flex, rng) -> None:
    hip, knee, ankle = world_leg("left", flexion_deg=flex, thigh_pitch_deg=30.0)
    R = rotation_about(rng.normal(size=3), rng.uniform(0, 360))
    t = rng.normal(size=3)
    assert g.knee_flexion_deg(R @ hip + t, R @ knee + t, R @ ankle + t) == pytest.approx(flex, abs=1e-7)


def test_knee_flexion_degenerate() -> None:
    assert np.isnan(g.knee_flexion_deg((0, 0, 0), (0, 0, 0), (0, 1, 0)))
    assert np.isnan(g.knee_flexion_deg((0, 0), (0, 1), (0, 1)))
    assert np.isnan(g.knee_flexion_deg((0, 0, np.nan), (0, 1, 0), (0, 2, 0)))


def test_angle_between_range_and_precision() -> None:
    assert g.angle_between_deg((1, 0), (1, 0)) == 0.0
    assert g.angle_between_deg((1, 0), (-1, 0)) == pytest.approx(180.0)
    assert g.angle_between_deg((1, 0), (1, 1e-9)) == pytest.approx(math.degrees(1e-9), rel=1e-6)  # atan2 stays accurate
    assert np.isnan(g.angle_between_deg((0, 0), (1, 0)))


# --------------------------------------------------------------------------------------------
# Hip internal rotation (3D)
# --------------------------------------------------------------------------------------------


def _ir(side: str, flex: float, ir: float, pitch: float = 0.0) -> float:
    hip, knee, ankle = world_leg(side, flexion_deg=flex, internal_rotation_deg=ir, thigh_pitch_deg=pitch)
    other = np.array([-hip[0], hip[1], hip[2]])
    return float(g.hip_internal_rotation_deg(hip, knee, ankle, other, side_sign=1.0 if side == "left" else -1.0))


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("ir", [0.0, 10.0, -10.0, 25.0, -40.0, 60.0])  # + internal, - external
@pytest.mark.parametrize("flex, pitch", [(90.0, 0.0), (45.0, 0.0), (60.0, 40.0), (100.0, 70.0)])
def test_hip_internal_rotation_known_rotation_about_femur(side, ir, flex, pitch) -> None:
    # the shank is turned `ir` degrees about the femur, internally for + (see conftest.world_leg)
    assert _ir(side, flex, ir, pitch) == pytest.approx(ir, abs=1e-7)


def test_hip_internal_rotation_left_and_right_turn_opposite_ways_in_the_image() -> None:
    # internal rotation moves both ankles laterally (the shank swings out when the thigh turns in):
    # left ankle towards +x, right ankle towards -x, both reading +.
    _, _, la = world_leg("left", flexion_deg=90.0, internal_rotation_deg=20.0)
    _, _, ra = world_leg("right", flexion_deg=90.0, internal_rotation_deg=20.0)
    assert la[0] > 0.1 and ra[0] < -0.1
    assert _ir("left", 90.0, 20.0) > 0 and _ir("right", 90.0, 20.0) > 0


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("adduction", [-20.0, 0.0, 15.0])  # + towards the midline
def test_hip_internal_rotation_unchanged_by_hip_adduction(side, adduction) -> None:
    # swinging the whole (bent, rotated) leg about the front-back axis through the hip changes
    # hip adduction, not rotation about the femur: the estimate must stay at the built-in 20 deg
    hip, knee, ankle = world_leg(side, flexion_deg=80.0, internal_rotation_deg=20.0)
    sign = 1.0 if side == "left" else -1.0
    # adduction moves the knee medially: -x for the left leg, +x for the right. About +z (away
    # from the camera) with y down, a positive right-hand turn carries +y (down) towards -x.
    R = rotation_about(np.array([0.0, 0.0, 1.0]), sign * adduction)
    k, a = hip + R @ (knee - hip), hip + R @ (ankle - hip)
    assert np.sign(k[0] - hip[0]) == (-sign * np.sign(adduction) if adduction else 0)
    other = hip * [-1.0, 1.0, 1.0]
    got = g.hip_internal_rotation_deg(hip, k, a, other, side_sign=sign)
    assert got == pytest.approx(20.0, abs=1e-7)


def test_hip_internal_rotation_invariant_under_whole_body_rotation(rng) -> None:
    legs = {s: world_leg(s, flexion_deg=70.0, internal_rotation_deg=ir, thigh_pitch_deg=20.0)
            for s, ir in (("left", 15.0), ("right", -25.0))}
    for _ in range(5):
        R = rotation_about(rng.normal(size=3), rng.uniform(0, 360))
        assert np.linalg.det(R) == pytest.approx(1.0)
        t = rng.normal(size=3)
        L = [R @ p + t for p in legs["left"]]
        Rr = [R @ p + t for p in legs["right"]]
        assert g.hip_internal_rotation_deg(*L, Rr[0], side_sign=1.0) == pytest.approx(15.0, abs=1e-7)
        assert g.hip_internal_rotation_deg(*Rr, L[0], side_sign=-1.0) == pytest.approx(-25.0, abs=1e-7)


def test_hip_internal_rotation_mirror_x_and_swap_legs_keeps_values() -> None:
    lh, lk, la = world_leg("left", flexion_deg=80.0, internal_rotation_deg=15.0, thigh_pitch_deg=10.0)
    rh, rk, ra = world_leg("right", flexion_deg=60.0, internal_rotation_deg=-20.0, thigh_pitch_deg=30.0)
    m = np.array([-1.0, 1.0, 1.0])
    # after mirroring, the old right leg is labelled left and vice versa
    new_left = g.hip_internal_rotation_deg(rh * m, rk * m, ra * m, lh * m, side_sign=1.0)
    new_right = g.hip_internal_rotation_deg(lh * m, lk * m, la * m, rh * m, side_sign=-1.0)
    assert new_left == pytest.approx(-20.0, abs=1e-7)
    assert new_right == pytest.approx(15.0, abs=1e-7)


def test_hip_internal_rotation_broadcasts() -> None:
    irs = np.array([-30.0, 0.0, 12.0, 45.0])
    pts = np.array([world_leg("left", flexion_deg=70.0, internal_rotation_deg=v) for v in irs])  # (4, 3, 3)
    other = pts[:, 0] * [-1.0, 1.0, 1.0]
    out = g.hip_internal_rotation_deg(pts[:, 0], pts[:, 1], pts[:, 2], other, side_sign=1.0)
    np.testing.assert_allclose(out, irs, atol=1e-7)


def test_hip_internal_rotation_degenerate_and_nan() -> None:
    hip, knee, ankle = world_leg("left", flexion_deg=0.0)  # straight leg: no flexion axis
    other = hip * [-1.0, 1.0, 1.0]
    assert np.isnan(g.hip_internal_rotation_deg(hip, knee, ankle, other, side_sign=1.0))
    hip, knee, ankle = world_leg("left", flexion_deg=90.0)
    assert np.isnan(g.hip_internal_rotation_deg(hip, knee, ankle, hip, side_sign=1.0))  # hips coincide
    assert np.isnan(g.hip_internal_rotation_deg(hip, hip, ankle, other, side_sign=1.0))  # zero femur
    bad = knee.copy()
    bad[2] = np.nan
    assert np.isnan(g.hip_internal_rotation_deg(hip, bad, ankle, other, side_sign=1.0))


# --------------------------------------------------------------------------------------------
# Trunk flexion (world points: y down, z away from the camera)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shoulder_yz, expected", [
    ((-0.5, 0.0), 0.0),     # shoulders straight above the hips: upright
    ((-0.5, -0.5), 45.0),   # as far towards the camera as up: 45 deg forward
    ((-0.4, -0.3), ATAN_3_4),  # 3-4-5: forward 0.3, up 0.4
    ((-0.5, 0.5), -45.0),   # leaning back, away from the camera
    ((0.0, -0.5), 90.0),    # trunk horizontal, towards the camera
])
def test_trunk_flexion_deg(shoulder_yz, expected):
    y, z = shoulder_yz
    lh, rh = np.array([0.1, 0.0, 0.0]), np.array([-0.1, 0.0, 0.0])
    ls, rs = np.array([0.2, y, z]), np.array([-0.2, y, z])
    assert g.trunk_flexion_deg(lh, rh, ls, rs) == pytest.approx(expected, abs=1e-9)
    # translation of the whole body changes nothing
    d = np.array([0.3, -1.0, 2.0])
    assert g.trunk_flexion_deg(lh + d, rh + d, ls + d, rs + d) == pytest.approx(expected, abs=1e-9)
