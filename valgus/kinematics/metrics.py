"""Per-frame, per-leg metrics from a subject's landmark track (pure NumPy).

:func:`prepare_track` masks landmarks the model is unsure of and smooths them on media time;
:func:`compute_metrics` turns the track into the columns of ``frames.csv`` (:data:`COLUMNS`
documents each). Definitions, signs and sources are in :mod:`valgus.kinematics.geometry`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np
from numpy.typing import NDArray

from valgus.kinematics import geometry as g
from valgus.landmarks import LM, SIDES, leg
from valgus.kinematics.smoothing import Smoother
from valgus.types import PoseTrack

FloatArray = NDArray[np.float64]

#: frames.csv columns: name -> (unit, description). ``{side}`` is ``left`` or ``right``.
COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "frame": ("index", "frame number in the source video (0-based, counting decoded frames)"),
    "time_s": ("s", "media time of the frame (presentation timestamp)"),
    "detected": ("0/1", "1 if the subject was found in this frame"),
    "n_people": ("count", "people the pose model found in this frame"),
    "{side}_fppa_deg": ("deg", "frontal-plane projection angle, + = valgus (knee medial to the hip-ankle line); empty when the thigh is too foreshortened to measure"),
    "{side}_hip_adduction_deg": ("deg", "2D hip adduction: femur vs the perpendicular to the pelvis line, + = adduction"),
    "{side}_knee_flexion_deg": ("deg", "3D knee flexion from world landmarks, 0 = straight"),
    "{side}_knee_flexion_2d_deg": ("deg", "knee angle in the image plane (flexion only in a side view)"),
    "{side}_knee_medial_offset": ("leg lengths", "knee offset from the foot centre along the pelvis axis, + = medial to the foot"),
    "{side}_pelvic_drop_deg": ("deg", "pelvis tilt, + = the other side is lower (contralateral drop if this is the stance leg)"),
    "{side}_trunk_lean_deg": ("deg", "lateral trunk lean, + = towards this leg's side"),
    "{side}_hip_internal_rotation_deg": ("deg", "hip internal rotation, + = internal; EMPTY unless its measured error in this frame's condition is within measure.hip_ir_max_error_deg (never so far: not measurable from one camera, docs/hip_rotation.md)"),
    "{side}_hip_ir_error_deg": ("deg", "typical error (mean absolute, rendered 3D truth) of the one-camera hip rotation estimate at this knee flexion: why the value above is withheld"),
    "{side}_heel_rise": ("leg lengths", "heel height above the toe in the image (+ = heel higher); its rise from standing is the heel-lift foot sign"),
    "{side}_ankle_lift": ("leg lengths", "how much higher this ankle is than the other in the image (+ = this foot raised)"),
    "{side}_foot_raise": ("leg lengths", "height of this ankle above the floor line (the clip's lowest ankle level)"),
    "{side}_visibility": ("0-1", "lowest MediaPipe visibility of this leg's hip, knee and ankle"),
    "knee_ankle_sep_ratio": ("ratio", "knee distance / ankle distance (KASR, Mizner 2012); smaller = knees closer"),
    "knee_hip_sep_ratio": ("ratio", "knee distance / hip distance (Noyes 2005)"),
    "hip_height": ("leg lengths", "vertical distance from the ankles' midpoint up to the hips' midpoint"),
    "hip_above_floor": ("leg lengths", "height of the hips' midpoint above the floor line (rep depth signal)"),
    "balance": ("0-1", "where the trunk centre sits between the ankles: 0 = over the left ankle, 1 = over the right"),
    "trunk_flexion_deg": ("deg", "forward trunk flexion from the world landmarks (hip midpoint to shoulder midpoint against vertical, + = shoulders towards the camera)"),
    "feet_split": ("leg lengths", "front-back split of the feet in the body's frame (world landmarks: the ankle-to-ankle vector on the horizontal perpendicular to the hip line), + = left foot behind; a lunge's split stance reads 0.6-0.8, a squat's under 0.3"),
    "flags": ("text", "quality flags, ';'-separated: no_person, several_people, low_visibility (hip/knee/ankle), feet_out_of_frame (an ankle outside the picture)"),
}


def column_names() -> list[str]:
    """All frames.csv column names in order, with ``{side}`` expanded."""
    out: list[str] = []
    for k in COLUMNS:
        if "{side}" in k:
            out.extend(k.format(side=s) for s in SIDES)
        else:
            out.append(k)
    # keep left/right columns of each metric together: frame, time, ..., left_x, right_x, ...
    return out




def prepare_track(
    track: PoseTrack, smoother: Smoother, *, min_visibility: float = 0.5, world: bool = True
) -> PoseTrack:
    """Mask uncertain landmarks to NaN, then smooth pixel and world landmarks on media time.

    A landmark whose visibility is below ``min_visibility`` is treated as missing (NaN), so every
    metric that needs it is NaN in that frame. Short gaps are interpolated by the smoother.
    Returns a new track; the input is not modified. ``world=False`` leaves the world landmarks
    as they are (for a track whose pixels alone are used, e.g. the structure track).
    """
    low = track.visibility < min_visibility
    xy = smoother.apply(track.t, np.where(low[..., None], np.nan, track.xy))
    if not world:
        return replace(track, xy=xy)
    w = smoother.apply(track.t, np.where(low[..., None], np.nan, track.world))
    return replace(track, xy=xy, world=w)


def standing_leg_length(xy: FloatArray) -> float:
    """A robust standing leg length in pixels: 90th percentile over frames of hip-knee-ankle length.

    The 2D leg shortens as the thigh foreshortens in a squat; the upper percentile is the leg at
    full extension, a stable scale for the whole clip. NaN when never measurable.
    """
    lengths = []
    for s in SIDES:
        L = leg(s)
        lengths.append(
            np.linalg.norm(xy[:, L["knee"]] - xy[:, L["hip"]], axis=-1)
            + np.linalg.norm(xy[:, L["ankle"]] - xy[:, L["knee"]], axis=-1)
        )
    vals = np.concatenate(lengths)
    vals = vals[np.isfinite(vals)]
    return float(np.percentile(vals, 90)) if vals.size else float("nan")


def compute_metrics(
    track: PoseTrack,
    *,
    width: int,
    height: int,
    leg_scale: float | None = None,
    min_visibility: float = 0.5,
    raw: PoseTrack | None = None,
    structure: PoseTrack | None = None,
    min_thigh_fraction: float = 0.3,
    hip_ir_max_error_deg: float = 5.0,
    thigh_ref: dict[str, float] | None = None,
    floor_y: float | None = None,
) -> dict[str, np.ndarray]:
    """Compute every frames.csv column for every frame of ``track`` (see :data:`COLUMNS`).

    Args:
        track: the subject's landmarks (usually from :func:`prepare_track`).
        width, height: frame size in pixels (for the out-of-frame check).
        leg_scale: pixels per leg length; default :func:`standing_leg_length` of the track.
        min_visibility: below this a landmark counts as not visible in the quality flags.
        raw: the unmasked, unsmoothed track for the quality flags (feet out of frame are only
            seen there: masking removes them); default ``track``.
        structure: the track for where the hips and feet are (``hip_above_floor``,
            ``hip_height``, ``*_foot_raise``, ``balance``), which find and name the reps;
            usually masked at ``measure.structure_min_visibility``; default ``track``.
        min_thigh_fraction: see :func:`thigh_measurable` (``measure.min_thigh_fraction``).
        thigh_ref, floor_y: standing thigh length per side (pixels) and the floor line (image y),
            when known from elsewhere (a live session's running reference); default: from the
            track itself, as for a recorded clip.
    """
    xy, world = track.xy, track.world
    n = len(track)
    scale = standing_leg_length(xy) if leg_scale is None else float(leg_scale)
    out: dict[str, np.ndarray] = {
        "frame": track.frame.astype(np.int64),
        "time_s": track.t.astype(np.float64),
        # detection is what the model saw, not what gap filling interpolated
        "detected": (raw if raw is not None else track).detected.astype(np.int64),
        "n_people": track.n_people.astype(np.int64),
    }
    for s in SIDES:
        L = leg(s)
        O = leg("right" if s == "left" else "left")
        hip, knee, ankle = xy[:, L["hip"]], xy[:, L["knee"]], xy[:, L["ankle"]]
        other_hip = xy[:, L["other_hip"]]
        side_sign = 1.0 if s == "left" else -1.0
        measurable = thigh_measurable(hip, knee, min_thigh_fraction,
                                      standing=None if thigh_ref is None else thigh_ref.get(s))
        out[f"{s}_fppa_deg"] = np.where(measurable, g.fppa_deg(hip, knee, ankle, other_hip), np.nan)
        out[f"{s}_hip_adduction_deg"] = np.where(measurable, g.hip_adduction_2d_deg(hip, knee, other_hip), np.nan)
        flex3 = g.knee_flexion_deg(world[:, L["hip"]], world[:, L["knee"]], world[:, L["ankle"]])
        out[f"{s}_knee_flexion_deg"] = flex3
        out[f"{s}_knee_flexion_2d_deg"] = g.knee_flexion_deg(hip, knee, ankle)
        out[f"{s}_knee_medial_offset"] = g.knee_medial_offset(
            knee, xy[:, L["heel"]], xy[:, L["toe"]], hip, other_hip, scale
        )
        out[f"{s}_pelvic_drop_deg"] = g.pelvic_drop_deg(hip, other_hip)
        out[f"{s}_trunk_lean_deg"] = g.trunk_lean_deg(hip, other_hip, xy[:, L["shoulder"]], xy[:, O["shoulder"]])
        ir = g.hip_internal_rotation_deg(
            world[:, L["hip"]], world[:, L["knee"]], world[:, L["ankle"]], world[:, L["other_hip"]],
            side_sign=side_sign,
        )
        err = hip_ir_error_deg(flex3)
        with np.errstate(invalid="ignore"):
            out[f"{s}_hip_internal_rotation_deg"] = np.where(err <= hip_ir_max_error_deg, ir, np.nan)
        out[f"{s}_hip_ir_error_deg"] = err
        vis = np.min(track.visibility[:, [L["hip"], L["knee"], L["ankle"]]], axis=1)
        out[f"{s}_heel_rise"] = (xy[:, L["toe"], 1] - xy[:, L["heel"], 1]) / scale
        out[f"{s}_ankle_lift"] = (xy[:, O["ankle"], 1] - ankle[:, 1]) / scale
        out[f"{s}_visibility"] = vis
    knees = (xy[:, LM.LEFT_KNEE], xy[:, LM.RIGHT_KNEE])
    out["knee_ankle_sep_ratio"] = g.separation_ratio(*knees, xy[:, LM.LEFT_ANKLE], xy[:, LM.RIGHT_ANKLE])
    out["knee_hip_sep_ratio"] = g.separation_ratio(*knees, xy[:, LM.LEFT_HIP], xy[:, LM.RIGHT_HIP])
    sxy = structure.xy if structure is not None else xy
    hip_mid_y = 0.5 * (sxy[:, LM.LEFT_HIP, 1] + sxy[:, LM.RIGHT_HIP, 1])
    ankle_mid_y = 0.5 * (sxy[:, LM.LEFT_ANKLE, 1] + sxy[:, LM.RIGHT_ANKLE, 1])
    out["hip_height"] = (ankle_mid_y - hip_mid_y) / scale
    ankles_y = sxy[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1]
    y_floor = floor_level(ankles_y) if floor_y is None else float(floor_y)
    out["hip_above_floor"] = (y_floor - hip_mid_y) / scale
    for s, a in (("left", LM.LEFT_ANKLE), ("right", LM.RIGHT_ANKLE)):
        out[f"{s}_foot_raise"] = (y_floor - sxy[:, a, 1]) / scale
    out["balance"] = balance(sxy)
    out["feet_split"] = feet_split(world)
    out["trunk_flexion_deg"] = g.trunk_flexion_deg(world[:, LM.LEFT_HIP], world[:, LM.RIGHT_HIP],
                                                   world[:, LM.LEFT_SHOULDER], world[:, LM.RIGHT_SHOULDER])
    out["flags"] = quality_flags(raw if raw is not None else track, width=width, height=height, min_visibility=min_visibility)
    assert all(len(v) == n for v in out.values())
    return {k: out[k] for k in column_names()}


def thigh_measurable(hip: FloatArray, knee: FloatArray, fraction: float = 0.3,
                     standing: float | None = None) -> np.ndarray:
    """Frames where the thigh is long enough in the image for a frontal-plane angle.

    When the thigh points at the camera (deep squats, pistols: hip flexion beyond ~70 deg) its
    image shrinks towards a point and the direction of hip -> knee, and so FPPA and 2D hip
    adduction, become noise that can flip between +180 and -180. A thigh shorter than
    ``fraction`` of its standing image length (``standing`` pixels if given, else the 90th
    percentile over the clip) is unmeasurable.
    """
    length = np.linalg.norm(knee - hip, axis=-1)
    ok = np.isfinite(length)
    if not ok.any():
        return np.zeros(len(length), dtype=bool)
    if standing is None or not np.isfinite(standing):
        standing = float(np.percentile(length[ok], 90))
    with np.errstate(invalid="ignore"):
        return length >= fraction * standing


def floor_level(ankles_y: FloatArray) -> float:
    """The floor line in image y: the 90th percentile over frames of the lower ankle (static camera)."""
    filled = np.where(np.isfinite(ankles_y), ankles_y, -np.inf)
    low = filled.max(axis=1)
    low = low[np.isfinite(low)]
    return float(np.percentile(low, 90)) if low.size else float("nan")


def balance(xy: FloatArray) -> FloatArray:
    """Where the trunk centre (mean of hip and shoulder midpoints) sits between the ankles, along x.

    0 = above the left ankle, 1 = above the right ankle, 0.5 = midway. In single-leg stance the
    centre of mass must be over the stance foot, so this tells the stance leg without relying on
    foot height (which perspective confuses: a free foot held forward looks *lower* in the image).
    NaN when the ankles are closer together (horizontally) than a third of the hip width.
    """
    com_x = 0.25 * (xy[:, LM.LEFT_HIP, 0] + xy[:, LM.RIGHT_HIP, 0] + xy[:, LM.LEFT_SHOULDER, 0] + xy[:, LM.RIGHT_SHOULDER, 0])
    xl, xr = xy[:, LM.LEFT_ANKLE, 0], xy[:, LM.RIGHT_ANKLE, 0]
    hip_w = np.abs(xy[:, LM.LEFT_HIP, 0] - xy[:, LM.RIGHT_HIP, 0])
    den = xr - xl
    with np.errstate(invalid="ignore", divide="ignore"):
        b = (com_x - xl) / den
    return np.where(np.abs(den) > hip_w / 3.0, b, np.nan)


def feet_split(world: FloatArray) -> FloatArray:
    """Front-back split of the feet from the world landmarks ``(n, 33, 3)`` (MediaPipe: x to the
    image right, y down, z away from the camera), in the body's own frame: the left-minus-right
    ankle vector projected on the horizontal direction perpendicular to the hip line (the
    subject's backward direction when facing the camera: +z for a level hip line), divided by
    the frame's 3D leg length (mean of the two legs' hip-knee + knee-ankle). + = the left foot is
    behind the right.

    The body's frame, not the camera's: feet side by side read 0 whatever the camera's yaw (in
    camera depth a square stance seen 30 deg from frontal reads split by half its width). Depth,
    not image height: a foot placed forward sits lower in the picture (perspective), so image
    heights cannot tell a split stance from a raised foot. NaN where a landmark is missing.
    """
    legs = []
    for s in SIDES:
        L = leg(s)
        legs.append(np.linalg.norm(world[:, L["knee"]] - world[:, L["hip"]], axis=-1)
                    + np.linalg.norm(world[:, L["ankle"]] - world[:, L["knee"]], axis=-1))
    length = 0.5 * (legs[0] + legs[1])
    hip_line = world[:, LM.LEFT_HIP] - world[:, LM.RIGHT_HIP]
    back = np.stack([-hip_line[:, 2], hip_line[:, 0]], axis=-1)  # (x, z): the hip line turned 90 deg
    d = world[:, LM.LEFT_ANKLE] - world[:, LM.RIGHT_ANKLE]
    with np.errstate(invalid="ignore", divide="ignore"):
        back = back / np.linalg.norm(back, axis=-1, keepdims=True)
        return (d[:, 0] * back[:, 0] + d[:, 2] * back[:, 1]) / length


#: Measured error of the one-camera hip internal rotation estimate (MediaPipe world landmarks:
#: the knee's flexion axis against the pelvis axis, about the femur) against the rendered 3D
#: truth, by the product's own 3D knee flexion: ``(from_deg, to_deg, MAE, P90)`` in degrees,
#: working legs inside reps, variants grid without femoral rotation (docs/hip_rotation.md,
#: scripts/benchmark_hip_rotation.py). Single clips were off by far more (a rendered
#: single-leg squat: median 24-29 deg, up to 38), and femoral rotation that leaves the hip, knee
#: and ankle centres in place is invisible to any landmark estimate. Published differences
#: between people with patellofemoral pain and controls are a few degrees: not measurable here.
HIP_IR_MEASURED_ERROR: Final[tuple[tuple[float, float, float, float], ...]] = (
    (0.0, 30.0, 14.4, 27.8),
    (30.0, 60.0, 14.3, 21.9),
    (60.0, 180.0, 7.0, 10.2),
)


def hip_ir_error_deg(knee_flexion_deg: FloatArray) -> FloatArray:
    """The typical (mean absolute) error of the hip rotation estimate measured on the rendered
    grid at this knee flexion (:data:`HIP_IR_MEASURED_ERROR`); NaN where the flexion is unknown."""
    flex = np.asarray(knee_flexion_deg, dtype=np.float64)
    out = np.full(flex.shape, np.nan)
    for lo, hi, mae, _p90 in HIP_IR_MEASURED_ERROR:
        with np.errstate(invalid="ignore"):
            out[(flex >= lo) & (flex < hi)] = mae
    return out


def quality_flags(track: PoseTrack, *, width: int, height: int, min_visibility: float = 0.5) -> np.ndarray:
    """Per-frame quality flags as ';'-joined strings ('' when the frame is clean)."""
    n = len(track)
    detected = track.detected
    lower = [LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE]
    # The ankles must be in the picture (FPPA and the separation ratios need them); heels and toes
    # may be clipped by the frame edge: the knee-over-foot metric is then NaN via their visibility.
    ankles = [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]
    low_vis = np.min(track.visibility[:, lower], axis=1) < min_visibility
    fx, fy = track.xy[:, ankles, 0], track.xy[:, ankles, 1]
    margin = 0.01 * max(width, height)
    with np.errstate(invalid="ignore"):
        out_of_frame = np.any((fx < -margin) | (fx > width + margin) | (fy > height + margin), axis=1)
    flags = np.empty(n, dtype=object)
    for i in range(n):
        f = []
        if not detected[i]:
            f.append("no_person")
        else:
            if low_vis[i]:
                f.append("low_visibility")
            if out_of_frame[i]:
                f.append("feet_out_of_frame")
        if track.n_people[i] > 1:
            f.append("several_people")
        flags[i] = ";".join(f)
    return flags
