"""The engine shared by ``analyze``, ``batch`` and ``live``: frames -> poses -> metrics -> reps.

Library use::

    from valgus.pipeline import analyze_video
    result = analyze_video("squat.mp4")
    result.metrics["left_fppa_deg"]      # per-frame values (NumPy arrays)
    result.reps                          # per-rep scores and the verdict (valgus.scoring)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from valgus.config import Config
from valgus.errors import NoPersonError
from valgus.metrics import STRUCTURE_MIN_VISIBILITY, compute_metrics, prepare_track
from valgus.pose import MediaPipePose, PoseEstimator, SubjectSelector
from valgus.smoothing import make_smoother
from valgus.types import PersonPose, PoseTrack, VideoInfo
from valgus.video import DecodeStats, Frame, VideoSource

log = logging.getLogger(__name__)


@dataclass
class StageTimer:
    """Accumulates seconds per named stage (for the speed benchmark and ``summary.json``)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, dt: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + dt


@dataclass
class Analysis:
    """Everything known about one clip after analysis."""

    source: str
    info: VideoInfo
    config: Config
    track_raw: PoseTrack
    track: PoseTrack
    metrics: dict[str, np.ndarray]
    decode: DecodeStats
    frames_with_several_people: int
    subject_relocks: int
    timings: dict[str, float]
    reps: Any = None  # valgus.scoring.ClipResult once scored
    warnings: list[str] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return len(self.track)

    @property
    def n_detected(self) -> int:
        """Frames in which the model found the subject (not counting gap-filled frames)."""
        return int(self.track_raw.detected.sum())


def open_estimator(config: Config, *, allow_download: bool = False) -> MediaPipePose:
    """The MediaPipe pose estimator for ``config`` (resolving the model file first)."""
    from valgus.models import resolve_model

    model_path = resolve_model(config.pose.model, allow_download=allow_download)
    p = config.pose
    return MediaPipePose(
        model_path,
        num_poses=p.num_poses,
        min_detection=p.min_detection,
        min_presence=p.min_presence,
        min_tracking=p.min_tracking,
        mirrored=config.video.mirrored,
        people_check_s=p.people_check_s,
    )


def track_subject(
    frames: Iterable[Frame],
    estimator: PoseEstimator,
    *,
    size: tuple[int, int],
    selector: SubjectSelector | None = None,
    timer: StageTimer | None = None,
) -> tuple[PoseTrack, SubjectSelector]:
    """Run the pose model on every frame and follow one subject; returns the raw track."""
    selector = selector or SubjectSelector()
    timer = timer or StageTimer()
    ts: list[float] = []
    idx: list[int] = []
    people: list[PersonPose | None] = []
    counts: list[int] = []
    it: Iterator[Frame] = iter(frames)
    while True:
        t0 = time.perf_counter()
        frame = next(it, None)
        t1 = time.perf_counter()
        timer.add("decode_wait", t1 - t0)
        if frame is None:
            break
        poses = estimator(frame.image, frame.t, frame.index, size)
        t2 = time.perf_counter()
        timer.add("pose_model", t2 - t1)
        subject = selector.select(poses)
        ts.append(frame.t)
        idx.append(frame.index)
        people.append(subject)
        counts.append(len(poses.people))
        timer.add("select", time.perf_counter() - t2)
    return PoseTrack.from_people(ts, idx, people, counts), selector


def analyze_track(
    raw: PoseTrack,
    info: VideoInfo,
    config: Config,
    *,
    timer: StageTimer | None = None,
) -> tuple[PoseTrack, dict[str, np.ndarray]]:
    """Mask, smooth and measure a raw subject track (pure NumPy; no video needed)."""
    timer = timer or StageTimer()
    t0 = time.perf_counter()
    sm = config.smoothing
    smoother = make_smoother(sm.kind, cutoff_hz=sm.cutoff_hz, max_gap_s=sm.max_gap_s)
    track = prepare_track(raw, smoother, min_visibility=config.pose.min_visibility)
    structure = prepare_track(  # pixels only: where the hips and feet are
        raw, smoother, min_visibility=min(STRUCTURE_MIN_VISIBILITY, config.pose.min_visibility), world=False
    )
    metrics = compute_metrics(
        track, width=info.width, height=info.height, min_visibility=config.pose.min_visibility, raw=raw,
        structure=structure,
    )
    timer.add("metrics", time.perf_counter() - t0)
    return track, metrics


def analyze_video(
    path: str | Path,
    config: Config | None = None,
    *,
    estimator: PoseEstimator | None = None,
    allow_download: bool = False,
    progress: bool = False,
    exercise: str | None = None,
) -> Analysis:
    """Analyse a recorded video end to end.

    Args:
        path: the video file.
        config: settings (default :class:`Config()`).
        estimator: a pose estimator to use instead of MediaPipe (tests pass fakes).
        allow_download: allow fetching a named model that is not bundled.
        progress: show a progress bar on stderr.
        exercise: force the exercise ("squat", "single_leg_squat", "step_up") instead of
            recognising it.

    Raises:
        VideoError: the file cannot be read as a video.
        NoPersonError: nobody was found in any frame.
    """
    config = config or Config()
    timer = StageTimer()
    t_start = time.perf_counter()
    _warm_imports()
    vc = config.video
    with VideoSource(
        path, stride=vc.stride, max_fps=vc.max_fps or None, max_side=config.pose.max_side or None
    ) as src:
        info = src.info
        own = estimator is None
        est = open_estimator(config, allow_download=allow_download) if own else estimator
        try:
            frames: Iterable[Frame] = src
            if progress:
                frames = _progress(src, info, vc.stride)
            raw, selector = track_subject(frames, est, size=(info.width, info.height), timer=timer)
        finally:
            if own:
                est.close()  # type: ignore[union-attr]
        stats = src.stats
    if len(raw) == 0:
        from valgus.errors import VideoError

        raise VideoError(f"{path}: no frames could be decoded")
    if not raw.detected.any():
        raise NoPersonError(f"{path}: no person found in any of {len(raw)} frames")
    track, metrics = analyze_track(raw, info, config, timer=timer)
    result = Analysis(
        source=str(path), info=info, config=config, track_raw=raw, track=track, metrics=metrics,
        decode=stats, frames_with_several_people=selector.frames_with_several,
        subject_relocks=selector.switches, timings=timer.seconds,
    )
    if stats.lost:
        result.warnings.append(
            f"damaged stream: {stats.lost} frame(s) could not be decoded; analysed the {stats.decoded} that could"
        )
    if selector.frames_with_several > 0.1 * len(raw):
        result.warnings.append(
            f"several people in {selector.frames_with_several} of {len(raw)} frames; "
            "followed the one whose legs are most fully in view"
        )
    t0 = time.perf_counter()
    from valgus.scoring import score_clip

    result.reps = score_clip(result, exercise=exercise)
    timer.add("scoring", time.perf_counter() - t0)
    timer.add("total", time.perf_counter() - t_start)
    for w in result.warnings:
        log.warning("%s", w)
    return result


def _warm_imports() -> None:
    """Import SciPy's signal module in the background while frames are decoded and inferred,
    so its one-off ~1 s import does not land in the (otherwise ~0.1 s) metrics stage."""
    import sys
    import threading

    if "scipy.signal" not in sys.modules:
        threading.Thread(target=__import__, args=("scipy.signal",), daemon=True).start()


def _progress(src: VideoSource, info: VideoInfo, stride: int) -> Iterator[Frame]:
    from tqdm import tqdm

    total = info.frame_count // stride if info.frame_count else None
    name = info.path.name if info.path else "video"
    with tqdm(total=total, unit="frame", desc=name, leave=False, dynamic_ncols=True, disable=None) as bar:
        for f in src:
            bar.update(1)
            yield f
