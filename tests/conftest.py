"""Shared fixtures: a seeded RNG, synthetic skeletons with hand-computable geometry, tiny videos.

The skeletons are *stick figures*, not bodies: every landmark sits where a closed-form expression
puts it, so a test can derive the expected angle or ratio by hand (see each builder's docstring).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from valgus.landmarks import LM, N_LANDMARKS
from valgus.types import PersonPose, PoseTrack


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: random tests are reproducible."""
    return np.random.default_rng(20261122)


# --------------------------------------------------------------------------------------------
# Synthetic skeletons
# --------------------------------------------------------------------------------------------


def frontal_xy(
    *,
    cx: float = 320.0,
    hip_y: float = 240.0,
    hip_half: float = 40.0,
    ankle_half: float | None = None,
    thigh: float = 100.0,
    shank: float = 100.0,
    knee_in_left: float = 0.0,
    knee_in_right: float = 0.0,
    hip_drop_right: float = 0.0,
    trunk_dx: float = 0.0,
    trunk_height: float = 150.0,
    shoulder_half: float = 50.0,
) -> np.ndarray:
    """A frontal stick figure facing the camera, ``(33, 2)`` pixels (x right, y down).

    The subject faces the camera, so the subject's LEFT side is on the image RIGHT (larger x).

    * hips at ``(cx +- hip_half, hip_y)`` (left +); the right hip is ``hip_drop_right`` px lower;
    * ankles at ``(cx +- ankle_half, hip_y + thigh + shank)`` (``ankle_half`` defaults to
      ``hip_half``: ankles straight below the hips);
    * each knee sits on the straight hip-ankle line at ``thigh`` px below the hip, then moves
      ``knee_in_*`` px horizontally towards the midline (medial; negative = lateral);
    * heel and toe straight below the ankle (foot centre directly under the ankle);
    * shoulders ``trunk_height`` px above the hip midpoint, displaced ``trunk_dx`` px in x;
    * head and arms somewhere finite above / beside the trunk.
    """
    ah = hip_half if ankle_half is None else ankle_half
    xy = np.zeros((N_LANDMARKS, 2))
    ankle_y = hip_y + thigh + shank
    frac = thigh / (thigh + shank)
    for sign, side, knee_in, drop in ((+1, "LEFT", knee_in_left, 0.0), (-1, "RIGHT", knee_in_right, hip_drop_right)):
        hip = np.array([cx + sign * hip_half, hip_y + drop])
        ankle = np.array([cx + sign * ah, ankle_y])
        knee = hip + frac * (ankle - hip) - np.array([sign * knee_in, 0.0])
        xy[LM[f"{side}_HIP"]] = hip
        xy[LM[f"{side}_KNEE"]] = knee
        xy[LM[f"{side}_ANKLE"]] = ankle
        xy[LM[f"{side}_HEEL"]] = ankle + [0.0, 8.0]
        xy[LM[f"{side}_FOOT_INDEX"]] = ankle + [0.0, 16.0]
        sh = np.array([cx + trunk_dx + sign * shoulder_half, hip_y - trunk_height])
        xy[LM[f"{side}_SHOULDER"]] = sh
        xy[LM[f"{side}_ELBOW"]] = sh + [sign * 10.0, 60.0]
        xy[LM[f"{side}_WRIST"]] = sh + [sign * 12.0, 120.0]
        for part, dy in (("PINKY", 128.0), ("INDEX", 130.0), ("THUMB", 126.0)):
            xy[LM[f"{side}_{part}"]] = sh + [sign * 14.0, dy]
        head_y = hip_y - trunk_height - 40.0
        xy[LM[f"{side}_EYE_INNER"]] = [cx + trunk_dx + sign * 4.0, head_y - 10.0]
        xy[LM[f"{side}_EYE"]] = [cx + trunk_dx + sign * 8.0, head_y - 10.0]
        xy[LM[f"{side}_EYE_OUTER"]] = [cx + trunk_dx + sign * 12.0, head_y - 10.0]
        xy[LM[f"{side}_EAR"]] = [cx + trunk_dx + sign * 18.0, head_y - 5.0]
    xy[LM.MOUTH_LEFT] = [cx + trunk_dx + 5.0, head_y + 8.0]
    xy[LM.MOUTH_RIGHT] = [cx + trunk_dx - 5.0, head_y + 8.0]
    xy[LM.NOSE] = [cx + trunk_dx, head_y]
    return xy


def rotation_about(axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Proper rotation matrix (right-hand rule) about ``axis`` by ``angle_deg`` (Rodrigues)."""
    k = np.asarray(axis, dtype=float)
    k = k / np.linalg.norm(k)
    a = np.radians(angle_deg)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K


def world_leg(
    side: str,
    *,
    flexion_deg: float,
    internal_rotation_deg: float = 0.0,
    thigh_pitch_deg: float = 0.0,
    hip_half: float = 0.1,
    thigh: float = 0.4,
    shank: float = 0.4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hip, knee, ankle) of one leg in MediaPipe world axes (x right, y down, z away from camera).

    The subject faces the camera: its left is +x, its front is -z. The femur leaves the hip at
    ``thigh_pitch_deg`` forward of straight down (in the sagittal y-z plane); the shank is bent
    ``flexion_deg`` *backwards* from the femur's line (a knee flexes that way), so the included
    knee angle is ``180 - flexion_deg``. Then the leg below the hip is turned
    ``internal_rotation_deg`` about the femur, in the sense that carries the front of the thigh
    towards the midline (internal rotation): for the left leg (medial = -x) that is +angle about
    the hip->knee axis, for the right leg (medial = +x) -angle.
    """
    sign = 1.0 if side == "left" else -1.0
    hip = np.array([sign * hip_half, 0.0, 0.0])
    p = np.radians(thigh_pitch_deg)
    f = np.array([0.0, np.cos(p), -np.sin(p)])  # forward = -z
    knee = hip + thigh * f
    # shank direction: the femur direction turned backwards (towards +z) by the flexion angle
    q = p - np.radians(flexion_deg)
    s = np.array([0.0, np.cos(q), -np.sin(q)])
    ankle = knee + shank * s
    R = rotation_about(f, sign * internal_rotation_deg)
    ankle = knee + R @ (ankle - knee)
    return hip, knee, ankle


def standing_world(
    *, flex_left: float = 0.0, flex_right: float = 0.0, ir_left: float = 0.0, ir_right: float = 0.0
) -> np.ndarray:
    """``(33, 3)`` world landmarks of the frontal figure: legs from :func:`world_leg`."""
    w = np.zeros((N_LANDMARKS, 3))
    for side, flex, ir, sign in (("left", flex_left, ir_left, 1.0), ("right", flex_right, ir_right, -1.0)):
        hip, knee, ankle = world_leg(side, flexion_deg=flex, internal_rotation_deg=ir)
        S = side.upper()
        w[LM[f"{S}_HIP"]], w[LM[f"{S}_KNEE"]], w[LM[f"{S}_ANKLE"]] = hip, knee, ankle
        w[LM[f"{S}_HEEL"]] = ankle + [0.0, 0.05, 0.05]
        w[LM[f"{S}_FOOT_INDEX"]] = ankle + [0.0, 0.05, -0.15]
        w[LM[f"{S}_SHOULDER"]] = [sign * 0.18, -0.5, 0.0]
        for name, dy in (("ELBOW", -0.25), ("WRIST", 0.0), ("PINKY", 0.05), ("INDEX", 0.05), ("THUMB", 0.04)):
            w[LM[f"{S}_{name}"]] = [sign * 0.22, dy, 0.0]
        for name, dx in (("EYE_INNER", 0.02), ("EYE", 0.03), ("EYE_OUTER", 0.04), ("EAR", 0.07)):
            w[LM[f"{S}_{name}"]] = [sign * dx, -0.7, -0.05]
    w[LM.MOUTH_LEFT] = [0.02, -0.62, -0.08]
    w[LM.MOUTH_RIGHT] = [-0.02, -0.62, -0.08]
    w[LM.NOSE] = [0.0, -0.66, -0.1]
    return w


def make_person(xy: np.ndarray, visibility: float | np.ndarray = 0.9, world: np.ndarray | None = None) -> PersonPose:
    vis = np.broadcast_to(np.asarray(visibility, dtype=float), (N_LANDMARKS,)).copy()
    return PersonPose(
        xy=np.asarray(xy, dtype=float),
        visibility=vis,
        presence=np.ones(N_LANDMARKS),
        world=np.full((N_LANDMARKS, 3), np.nan) if world is None else np.asarray(world, dtype=float),
    )


def make_track(
    xys: list[np.ndarray | None],
    *,
    fps: float = 30.0,
    visibility: float = 0.9,
    worlds: list[np.ndarray] | None = None,
    n_people: list[int] | None = None,
) -> PoseTrack:
    """A :class:`PoseTrack` from per-frame ``(33, 2)`` arrays (``None`` = no subject)."""
    n = len(xys)
    people = [
        None if xy is None else make_person(xy, visibility, None if worlds is None else worlds[i])
        for i, xy in enumerate(xys)
    ]
    counts = n_people if n_people is not None else [0 if p is None else 1 for p in people]
    return PoseTrack.from_people([i / fps for i in range(n)], list(range(n)), people, counts)


@pytest.fixture
def skeleton() -> Callable[..., np.ndarray]:
    """The frontal stick-figure builder :func:`frontal_xy`."""
    return frontal_xy


# --------------------------------------------------------------------------------------------
# Tiny videos
# --------------------------------------------------------------------------------------------


def stripe_frame(width: int, height: int, value: int = 0, stripe: int = 8) -> np.ndarray:
    """Black RGB frame (grey level ``value``) with a white vertical stripe on its left edge."""
    img = np.full((height, width, 3), value, dtype=np.uint8)
    img[:, :stripe] = 255
    return img


def write_video(
    path: Path,
    *,
    n: int = 10,
    width: int = 64,
    height: int = 48,
    fps: float = 10.0,
    codec: str = "libx264",
    frame_fn: Callable[[int], np.ndarray] | None = None,
) -> Path:
    """Write ``n`` frames of a tiny H.264 clip with PyAV and return its path.

    Frame ``i`` is ``frame_fn(i)`` (RGB uint8 ``(height, width, 3)``); by default the stripe frame
    with grey level ``20 * i`` so frames differ.
    """
    import av

    frame_fn = frame_fn or (lambda i: stripe_frame(width, height, value=min(20 * i, 200)))
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame_fn(i)), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def make_video(tmp_path: Path) -> Callable[..., Path]:
    """``make_video(name="clip.mp4", **kwargs)`` writes a tiny clip into ``tmp_path``."""

    def _make(name: str = "clip.mp4", **kwargs: object) -> Path:
        return write_video(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return _make


def _fixed(v: float) -> int:
    return int(round(v * 65536))


def patch_tkhd_matrix(path: Path, a: float, b: float, c: float, d: float, tx: float, ty: float) -> None:
    """Overwrite the (first) tkhd display matrix of an mp4 in place (version-0 tkhd layout)."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    assert i > 0 and data[i + 4] == 0, "expected a version-0 tkhd box"
    # after 'tkhd': version+flags 4, creation 4, modification 4, track id 4, reserved 4,
    # duration 4, reserved 8, layer 2, alternate group 2, volume 2, reserved 2
    off = i + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 8 + 2 + 2 + 2 + 2
    old = struct.unpack(">9i", data[off : off + 36])
    assert old[0] == _fixed(1) and old[4] == _fixed(1) and old[8] == 1 << 30, "identity matrix expected"
    data[off : off + 36] = struct.pack(
        ">9i", _fixed(a), _fixed(b), 0, _fixed(c), _fixed(d), 0, _fixed(tx), _fixed(ty), 1 << 30
    )
    path.write_bytes(bytes(data))


@pytest.fixture(scope="session")
def synthetic_analysis(tmp_path_factory):
    """The engine's analysis of the synthetic squat clip (no pose model): for tests of what is
    done with an analysis (outputs, history, the CLI around analyze_video)."""
    from synthetic_clip import squat_analysis

    return squat_analysis(tmp_path_factory.mktemp("clip"))
