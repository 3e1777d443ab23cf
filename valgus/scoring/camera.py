"""The camera check: can this view support a frontal-plane verdict? (pure NumPy)

Frontal, oblique or side; legs and feet in view; frame rate; subject size; bystanders. Returns
codes and numbers (:class:`~valgus.scoring.results.CameraCheck`); the advice in words is in
:mod:`valgus.present.words`.
"""

from __future__ import annotations

import numpy as np

from valgus.config import Config
from valgus.kinematics.metrics import standing_leg_length
from valgus.landmarks import LM, SIDES
from valgus.scoring.exercise import NamedRep
from valgus.scoring.results import CameraCheck, Finding, finding
from valgus.scoring.signals import DepthSignals, nanmedian
from valgus.types import PoseTrack, VideoInfo


def estimate_yaw(world: np.ndarray, frames: np.ndarray) -> float:
    """Camera yaw from world landmarks: angle of the hip and shoulder lines out of the image plane.

    0 = subject square to the camera (frontal), 90 = side view. Median over ``frames``.
    """
    def line_yaw(a: int, b: int) -> np.ndarray:
        d = world[frames, a] - world[frames, b]
        return np.degrees(np.arctan2(np.abs(d[:, 2]), np.abs(d[:, 0])))

    y = np.concatenate([line_yaw(LM.LEFT_HIP, LM.RIGHT_HIP), line_yaw(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)])
    return nanmedian(y)


def yaw_uncertainty(world: np.ndarray, t: np.ndarray, frames: np.ndarray, block_s: float = 0.5) -> float:
    """Standard error of the yaw estimate (degrees), from its spread over time.

    Per-frame yaw (mean of the hip and shoulder lines) is summarised per ``block_s`` of media
    time (neighbouring frames are not independent); the error of the median is
    ``1.2533 * SD(block medians) / sqrt(blocks)``. With a single block (a very short clip) it is
    the per-frame spread itself (``1.4826 * MAD``): one half-second says little about the set-up.
    """
    if frames.size == 0:
        return float("nan")

    def line_yaw(a: int, b: int) -> np.ndarray:
        d = world[frames, a] - world[frames, b]
        return np.degrees(np.arctan2(np.abs(d[:, 2]), np.abs(d[:, 0])))

    with np.errstate(invalid="ignore"):
        per = np.nanmean(np.stack([line_yaw(LM.LEFT_HIP, LM.RIGHT_HIP),
                                   line_yaw(LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)]), axis=0) \
            if np.isfinite(world[frames]).any() else np.full(frames.size, np.nan)
    ok = np.isfinite(per)
    if not ok.any():
        return float("nan")
    tt, yy = t[frames][ok], per[ok]
    block = np.floor((tt - tt[0]) / block_s).astype(int)
    meds = np.array([np.median(yy[block == b]) for b in np.unique(block)])
    if meds.size >= 2:
        return float(1.2533 * np.std(meds, ddof=1) / np.sqrt(meds.size))
    return float(1.4826 * np.median(np.abs(yy - np.median(yy))))


def width_ratio(xy: np.ndarray, frames: np.ndarray) -> float:
    """Shoulder width / trunk length in the image (about 0.6-0.8 frontal, < 0.3 side on)."""
    sh = np.linalg.norm(xy[frames, LM.LEFT_SHOULDER] - xy[frames, LM.RIGHT_SHOULDER], axis=-1)
    mid_s = 0.5 * (xy[frames, LM.LEFT_SHOULDER] + xy[frames, LM.RIGHT_SHOULDER])
    mid_h = 0.5 * (xy[frames, LM.LEFT_HIP] + xy[frames, LM.RIGHT_HIP])
    trunk = np.linalg.norm(mid_s - mid_h, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return nanmedian(sh / trunk)


def classify_view(yaw: float, wr: float, config: Config, yaw_se: float = 0.0) -> str:
    """``frontal``, ``oblique`` or ``side`` from the yaw estimate, its standard error and the
    shoulder width ratio. Oblique only when the estimate exceeds ``camera.max_yaw_deg`` by more
    than its standard error (``camera.yaw_se_factor`` of them): a short clip's noisy estimate
    (a frontal 2.2-s clip read 13 deg) is not refused on noise, while a steady reading beyond
    the limit (30-deg renders read 14-31) still is."""
    cc = config.camera
    if (np.isfinite(yaw) and yaw >= cc.side_yaw_deg) or (np.isfinite(wr) and wr < 0.3):
        return "side"
    margin = cc.yaw_se_factor * yaw_se if np.isfinite(yaw_se) else 0.0
    if np.isfinite(yaw) and yaw - margin > cc.max_yaw_deg:
        return "oblique"
    return "frontal"


def effective_fps(info: VideoInfo, config: Config) -> float:
    """Frames per second actually analysed (after ``video.stride`` and ``video.max_fps``)."""
    fps = info.fps / max(1, config.video.stride)
    if config.video.max_fps:
        fps = min(fps, config.video.max_fps)
    return fps


def camera_check(
    track: PoseTrack, metrics: dict[str, np.ndarray], info: VideoInfo, config: Config, *,
    reps: list[NamedRep] | None = None, signals: DepthSignals, frames_with_several: int = 0,
) -> CameraCheck:
    """Frontal, oblique or side; feet in view; frame rate; subject size; several people.

    Legs in view are judged where they are measured: over the frames of ``reps``, the working
    leg(s) only (the free foot of a single-leg squat, held behind the stance leg, is hidden from a
    front camera by design); without reps, both legs over the whole clip.
    """
    cc = config.camera
    tr, m = track, metrics
    det = np.flatnonzero(tr.detected)
    if det.size == 0:
        return CameraCheck("unknown", float("nan"), (finding("no_person"),))
    problems: list[Finding] = []
    notes: list[Finding] = []
    # The view is a property of the set-up: judge it on the upright frames (in a rep the pelvis
    # and trunk may turn, which is movement, not camera). On the rendered grid this also keeps
    # reps from inflating the estimate (a caving real squat read 12.9 over all frames, 9.2 upright).
    # Upright: hips within half the smallest rep depth of standing height.
    with np.errstate(invalid="ignore"):
        upright = np.abs(signals.drop) < 0.5 * config.reps.min_depth
    still = np.flatnonzero(tr.detected & upright)
    view_frames = still if still.size >= 5 else det
    yaw = estimate_yaw(tr.world, view_frames)
    yaw_se = yaw_uncertainty(tr.world, tr.t, view_frames)
    view = classify_view(yaw, width_ratio(tr.xy, view_frames), config, yaw_se)
    if view != "frontal":
        problems.append(finding("view", value=yaw, threshold=cc.max_yaw_deg, view=view, yaw_se=yaw_se))
    n = len(tr)
    need = np.zeros((n, 2), dtype=bool)  # legs that must be seen: [left, right]
    for rep, _ex, side in reps or []:
        cols = [0, 1] if side == "both" else [SIDES.index(side)]
        need[rep.start : rep.end + 1, cols] = True
    in_reps = bool(need.any())
    if not in_reps:
        need[:] = True
    minv = config.pose.min_visibility
    with np.errstate(invalid="ignore"):
        hidden = np.stack([m["left_visibility"] < minv, m["right_visibility"] < minv], axis=1)
    outside = np.array(["feet_out_of_frame" in f for f in m["flags"]], dtype=bool)
    bad = ((hidden & need).any(axis=1) | outside) & need.any(axis=1)
    judged = need.any(axis=1) & tr.detected
    frac = float(bad[judged].mean()) if judged.any() else 0.0
    if frac > cc.max_out_of_frame:
        problems.append(finding("out_of_view", value=frac, threshold=cc.max_out_of_frame, in_reps=in_reps))
    fps = effective_fps(info, config)
    if fps < cc.min_fps:
        notes.append(finding("low_fps", value=fps, threshold=cc.min_fps))
    leg_px = standing_leg_length(tr.xy)
    if np.isfinite(leg_px) and leg_px < cc.min_leg_fraction * info.height:
        problems.append(finding("too_small", value=leg_px, threshold=cc.min_leg_fraction * info.height,
                                height=info.height))
    if frames_with_several > 0.1 * n:
        notes.append(finding("several_people", value=frames_with_several, frames=n))
    return CameraCheck(view, yaw, tuple(problems), tuple(notes), yaw_se)
