"""The one engine behind ``analyze``, ``batch`` and ``live``: a :class:`Session` fed one frame at a
time.

- Offline (recorded video): :meth:`Session.update` runs the pose model and follows the subject;
  :meth:`Session.finish` smooths the whole track with a zero-phase filter, measures every frame
  and scores the clip.
- Causal (live): :meth:`Session.update` also smooths causally (One-Euro), measures the frame,
  feeds the rep state machines and scores each rep the moment it ends, in constant time per
  frame; :meth:`Session.finish` assembles what was measured (no re-analysis).

Library use::

    import valgus
    a = valgus.analyze_video("squat.mp4")
    a.metrics["left_fppa_deg"]      # per-frame values (NumPy arrays)
    a.result.verdict, a.result.reps
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np

from valgus.config import Config, override
from valgus.errors import NoPersonError, VideoError
from valgus.kinematics.metrics import compute_metrics, prepare_track
from valgus.kinematics.smoothing import make_smoother
from valgus.pose import CheckSchedule, PeopleChecker, PoseEstimator, SubjectSelector, limit_malloc_arenas
from valgus.scoring import score_clip
from valgus.causal import LiveScorer
from valgus.segments import cpu_count, plan_for, run_segments
from valgus.scoring.results import ClipResult, Finding, RepScore, finding
from valgus.types import PersonPose, PoseTrack, TrackBuilder, VideoInfo
from valgus.io.video import POSE_PIXELS, DecodeStats, Frame, VideoSource

log = logging.getLogger(__name__)

#: Pose-model threads for a long clip's segments when the caller does not say (``threads=``), at
#: most one per core: two (docs/speed.md). Each thread holds its own decoder and pose model
#: (~100 MB on a phone clip), so more threads would take a 10-minute 1080p clip past 600 MB peak
#: RSS for little gain; the people counter is one model shared by all threads. Results do not
#: depend on it (segments are cut by the clip, not the machine).
DEFAULT_THREADS = 2

Mode = Literal["offline", "causal"]


@dataclass
class StageTimer:
    """Accumulates seconds per named stage (for the speed benchmark and ``summary.json``)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, dt: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + dt


@dataclass(frozen=True)
class Analysis:
    """Everything known about one clip after analysis (frozen: drivers read it, never change it)."""

    source: str
    info: VideoInfo
    config: Config
    track_raw: PoseTrack  # what the model saw (subject only, unsmoothed)
    track: PoseTrack  # masked and smoothed: what the metrics were computed from
    metrics: Mapping[str, np.ndarray]  # the frames.csv columns
    result: ClipResult
    decode: DecodeStats
    frames_with_several_people: int
    subject_relocks: int
    notices: tuple[Finding, ...] = ()  # e.g. a damaged stream (codes; words in valgus.present.words)
    timings: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.track)
        if len(self.track_raw) != n or any(len(v) != n for v in self.metrics.values()):
            raise ValueError("track_raw, track and metrics must have one row per analysed frame")
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        object.__setattr__(self, "timings", MappingProxyType(dict(self.timings)))

    @property
    def n_frames(self) -> int:
        return len(self.track)

    @property
    def n_detected(self) -> int:
        """Frames in which the model found the subject (not counting gap-filled frames)."""
        return int(self.track_raw.detected.sum())


@dataclass(frozen=True)
class FrameUpdate:
    """What one :meth:`Session.update` learnt: the subject in this frame (smoothed in causal mode),
    this frame's metrics (causal mode only) and the rep that ended at this frame, if any."""

    index: int
    t: float
    n_people: int
    subject: PersonPose | None
    xy: np.ndarray  # (33, 2) pixels to draw: smoothed (causal) or raw (offline); NaN if no subject
    metrics: Mapping[str, float]
    rep: RepScore | None = None  # the rep that ended at this frame, scored


def open_estimator(config: Config, *, allow_download: bool = False,
                   schedule: CheckSchedule | None = None, people: PeopleChecker | None = None) -> PoseEstimator:
    """The MediaPipe pose estimator for ``config`` (resolving the model file first).

    ``schedule``: where the estimator starts in the clip, for a segment after a seam
    (:class:`valgus.pose.CheckSchedule`); ``people``: a people counter shared by a clip's
    segments (:func:`open_people_checker`; None: the estimator makes its own)."""
    from valgus.io.models import resolve_model
    from valgus.pose import MediaPipePose

    model_path = resolve_model(config.pose.model, allow_download=allow_download)
    p = config.pose
    return MediaPipePose(
        model_path, num_poses=p.num_poses, min_detection=p.min_detection, min_presence=p.min_presence,
        min_tracking=p.min_tracking, mirrored=config.video.mirrored, people_check_s=p.people_check_s,
        people_revert_s=p.people_revert_s, schedule=schedule, people=people,
    )


def open_people_checker(config: Config, *, allow_download: bool = False) -> PeopleChecker | None:
    """One people counter for all of a clip's segments (None when ``config`` never counts people:
    one person asked for, or the multi-person model on every frame)."""
    p = config.pose
    if p.num_poses <= 1 or p.people_check_s <= 0:
        return None
    from valgus.io.models import resolve_model
    from valgus.pose import open_people_checker as _open

    return _open(resolve_model(p.model, allow_download=allow_download), p.num_poses, p.min_detection,
                 p.min_presence, p.min_tracking)


def analyze_track(
    raw: PoseTrack, info: VideoInfo, config: Config, *, timer: StageTimer | None = None,
) -> tuple[PoseTrack, dict[str, np.ndarray]]:
    """Mask, smooth and measure a raw subject track (pure NumPy; no video needed)."""
    timer = timer or StageTimer()
    t0 = time.perf_counter()
    sm = config.smoothing
    smoother = make_smoother(sm.kind, cutoff_hz=sm.cutoff_hz, max_gap_s=sm.max_gap_s)
    track = prepare_track(raw, smoother, min_visibility=config.pose.min_visibility)
    structure = prepare_track(  # pixels only: where the hips and feet are
        raw, smoother, min_visibility=min(config.measure.structure_min_visibility, config.pose.min_visibility),
        world=False,
    )
    metrics = compute_metrics(
        track, width=info.width, height=info.height, min_visibility=config.pose.min_visibility, raw=raw,
        structure=structure, min_thigh_fraction=config.measure.min_thigh_fraction,
        hip_ir_max_error_deg=config.measure.hip_ir_max_error_deg,
    )
    timer.add("metrics", time.perf_counter() - t0)
    return track, metrics


class Session:
    """One subject followed through a stream of frames; one engine for every driver.

    Args:
        config: settings. In ``mode="causal"`` the smoothing kind is forced to causal.
        info: the video (or camera) the frames come from.
        estimator: the pose estimator (the caller owns and closes it); None when the caller runs
            the model itself and feeds :meth:`update_poses` (parallel segments).
        mode: ``"offline"`` (recorded video: score at :meth:`finish`) or ``"causal"`` (live:
            score each rep as it ends).
        exercise: force the exercise instead of recognising it.
        baseline: standing values from a calibration clip (a ``ClipResult.baseline``).
    """

    def __init__(self, config: Config, info: VideoInfo, estimator: PoseEstimator | None, *, mode: Mode = "offline",
                 exercise: str | None = None, baseline: Mapping[str, float] | None = None) -> None:
        if mode not in ("offline", "causal"):
            raise ValueError(f"mode must be 'offline' or 'causal', got {mode!r}")
        if mode == "causal" and config.smoothing.kind != "causal":
            config = override(config, "smoothing", kind="causal")
        self.config, self.info, self.mode = config, info, mode
        self.estimator = estimator
        self.exercise = exercise
        self.baseline = dict(baseline) if baseline else None
        self.selector = SubjectSelector()
        self.timer = StageTimer()
        self._frames = TrackBuilder()  # every frame fed: media time, index, subject, people count
        self.live = LiveScorer(config, info, exercise=exercise, baseline=self.baseline) if mode == "causal" else None

    def __len__(self) -> int:
        return len(self._frames)

    def update(self, frame: Frame) -> FrameUpdate:
        """Feed one frame (media time ``frame.t`` must increase)."""
        if self.estimator is None:
            raise ValueError("this Session has no estimator: feed update_poses()")
        t1 = time.perf_counter()
        poses = self.estimator(frame.image, frame.t, frame.index, (self.info.width, self.info.height))
        t2 = time.perf_counter()
        self.timer.add("pose_model", t2 - t1)
        return self.update_poses(frame.index, frame.t, poses)

    def update_poses(self, index: int, t: float, poses: object) -> FrameUpdate:
        """Feed one frame's pose-model output (:class:`valgus.types.FramePoses`) directly."""
        t2 = time.perf_counter()
        subject = self.selector.select(poses)  # type: ignore[arg-type]
        n_people = len(poses.people)  # type: ignore[attr-defined]
        self._frames.append(t, index, subject, n_people)
        if self.live is None:
            xy = subject.xy if subject is not None else np.full((33, 2), np.nan)
            upd = FrameUpdate(index, t, n_people, subject, xy, {})
        else:
            xy, row, rep = self.live.update(index, t, subject, n_people)
            upd = FrameUpdate(index, t, n_people, subject, xy, row, rep)
        self.timer.add("select" if self.live is None else "select_measure_score", time.perf_counter() - t2)
        return upd

    def load_raw(self, raw: PoseTrack, *, frames_with_several: int = 0) -> None:
        """Take a whole raw subject track at once (offline mode), e.g. from ``landmarks.npz``."""
        if self.live is not None or len(self._frames):
            raise ValueError("load_raw needs an empty offline session")
        det = raw.detected
        for i in range(len(raw)):
            person = PersonPose(raw.xy[i], raw.visibility[i], raw.presence[i], raw.world[i]) if det[i] else None
            self._frames.append(float(raw.t[i]), int(raw.frame[i]), person, int(raw.n_people[i]))
        self.selector.frames_with_several = frames_with_several

    def raw_track(self) -> PoseTrack:
        return self._frames.build()

    def finish(self, *, source: str = "", decode: DecodeStats | None = None) -> Analysis:
        """The clip result. Offline: zero-phase smoothing, metrics and scoring over the whole
        track. Causal: the metrics and reps measured frame by frame, plus the clip's camera check
        and verdict.

        Raises:
            VideoError: no frame was fed. NoPersonError: nobody was found in any frame.
        """
        src = source or (str(self.info.path) if self.info.path else "camera")
        raw = self.raw_track()
        if len(raw) == 0:
            raise VideoError(f"{src}: no frames could be decoded")
        if not raw.detected.any():
            raise NoPersonError(f"{src}: no person found in any of {len(raw)} frames")
        decode = decode or DecodeStats(decoded=len(raw))
        if self.live is None:
            track, metrics = analyze_track(raw, self.info, self.config, timer=self.timer)
            t1 = time.perf_counter()
            result = score_clip(track, metrics, self.info, self.config,
                                frames_with_several=self.selector.frames_with_several,
                                exercise=self.exercise, baseline=self.baseline)
        else:
            t1 = time.perf_counter()  # measured frame by frame: what is left is the clip's verdict
            track, metrics, result = self.live.finish(raw, frames_with_several=self.selector.frames_with_several)
        self.timer.add("scoring", time.perf_counter() - t1)
        notices: list[Finding] = []
        if decode.lost:
            notices.append(finding("damaged_stream", lost=decode.lost, decoded=decode.decoded))
        return Analysis(
            source=src, info=self.info, config=self.config, track_raw=raw, track=track, metrics=metrics,
            result=result, decode=decode, frames_with_several_people=self.selector.frames_with_several,
            subject_relocks=self.selector.switches, notices=tuple(notices), timings=dict(self.timer.seconds),
        )


def analyze_landmarks(path: str | Path, config: Config | None = None, *, exercise: str | None = None,
                      baseline: Mapping[str, float] | None = None, video: str | Path | None = None) -> Analysis:
    """Re-analyse a clip from its ``landmarks.npz`` (``valgus analyze --landmarks``) without the
    pose model: smoothing, metrics and scoring as for the video (the same numbers, in a fraction
    of a second). For maintainers tuning a rule on a benchmark grid, and for studies. ``video``:
    the clip the landmarks came from (the analysis's source, for pictures drawn from it)."""
    from valgus.io.sinks import read_landmarks

    raw, info, several = read_landmarks(path)
    config = config or Config()
    session = Session(config, info, _NoEstimator(), exercise=exercise, baseline=baseline)
    session.load_raw(raw, frames_with_several=several)
    return session.finish(source=str(video or path), decode=DecodeStats(decoded=len(raw)))


class _NoEstimator:
    def __call__(self, *a: object, **k: object) -> object:  # pragma: no cover - never called
        raise RuntimeError("no pose model in a re-analysis from landmarks")

    def close(self) -> None:
        pass


def run_session(session: Session, frames: Iterable[Frame]) -> None:
    """Feed every frame of ``frames`` to ``session`` (timing the wait for the decoder)."""
    it: Iterator[Frame] = iter(frames)
    while True:
        t0 = time.perf_counter()
        frame = next(it, None)
        session.timer.add("decode_wait", time.perf_counter() - t0)
        if frame is None:
            return
        session.update(frame)


def analyze_video(
    path: str | Path,
    config: Config | None = None,
    *,
    estimator: PoseEstimator | None = None,
    allow_download: bool = False,
    progress: bool = False,
    exercise: str | None = None,
    baseline: Mapping[str, float] | None = None,
    threads: int | None = None,
    decode_threads: int | None = None,
    on_open: Callable[[VideoInfo], None] | None = None,
) -> Analysis:
    """Analyse a recorded video end to end.

    Long clips are cut into segments (``config.pose.segment_s``; :func:`plan_segments`), each
    analysed by a fresh pose model; segments run in parallel threads, then the subject is followed
    through the joined frames in time order, as in one pass. The result does not depend on
    ``threads`` (docs/speed.md).

    Args:
        path: the video file.
        config: settings (default :class:`Config()`).
        estimator: a pose estimator to use instead of MediaPipe (tests pass fakes); one pass.
        allow_download: allow fetching a named model that is not bundled.
        progress: show a progress bar on stderr.
        exercise: force the exercise ("squat", "single_leg_squat", "step_up").
        baseline: standing values from a calibration clip (``analyze_video(calib).result.baseline``).
        threads: segments analysed at once (None = :data:`DEFAULT_THREADS`, at most one per core; 1 = one after the other).
            Frames skipped by ``video.stride``/``max_fps`` depend on the frames before, so those
            run in one thread.
        decode_threads: FFmpeg threads per decoder (None = automatic, see
            :data:`valgus.io.video.ONE_THREAD_MAX_PIXELS`; 0 = FFmpeg's choice).
        on_open: called with the video's header once it is open and its first frame decoded,
            before any analysis (``valgus analyze`` prepares its output folder there: a file that
            is not a video fails before the folder is touched, and the file is opened once).

    Raises:
        VideoError: the file cannot be read as a video.
        NoPersonError: nobody was found in any frame.
    """
    config = config or Config()
    t_start = time.perf_counter()
    vc = config.video
    own = estimator is None
    limit_malloc_arenas()
    if own:  # MediaPipe's import runs while the video is opened and indexed
        _warm_pose_api()
    # valgus's own pose model reads RGBA (no row copy: POSE_PIXELS); an estimator given by the
    # caller gets RGB
    with VideoSource(path, stride=vc.stride, max_fps=vc.max_fps or None, max_side=config.pose.max_side or None,
                     threads=decode_threads, prefetch=2, pixels=POSE_PIXELS if own else "rgb24") as src:
        if on_open is not None:
            on_open(src.info)
        plan = plan_for(path, config, src.info) if own else []
        session = Session(config, src.info, estimator, exercise=exercise, baseline=baseline)
        bar = _progress_bar(src.info, vc.stride) if progress else None
        n_threads = 1
        try:
            if len(plan) > 1:
                frame_skipping = vc.stride != 1 or bool(vc.max_fps)
                n_threads = 1 if frame_skipping else max(1, min(threads or min(DEFAULT_THREADS, cpu_count()), len(plan)))
                people = open_people_checker(config, allow_download=allow_download)
                try:
                    stats = run_segments(session, src, plan, config, n_threads, open_estimator=open_estimator,
                                         allow_download=allow_download, decode_threads=decode_threads, bar=bar,
                                         people=people)
                finally:
                    if people is not None:
                        people.close()
            else:
                est = open_estimator(config, allow_download=allow_download) if own else estimator
                session.estimator = est
                try:
                    run_session(session, _counted(src, bar))
                finally:
                    if own:
                        est.close()  # type: ignore[union-attr]
                stats = src.stats
        finally:
            if bar is not None:
                bar.close()  # type: ignore[attr-defined]
    a = session.finish(source=str(path), decode=stats)
    timings = dict(a.timings)
    timings["segments"] = float(max(1, len(plan)))
    timings["threads"] = float(n_threads)
    timings["total"] = time.perf_counter() - t_start
    return _with_timings(a, timings)


def _warm_pose_api() -> None:
    """Import MediaPipe's pose landmarker in the background (it is needed once the video is open)."""
    import sys

    if "valgus.pose" in sys.modules and getattr(sys.modules["valgus.pose"], "_API", None) is not None:
        return
    from valgus.pose import _pose_api

    threading.Thread(target=_pose_api, name="valgus-import", daemon=True).start()


def _progress_bar(info: VideoInfo, stride: int) -> object | None:
    from tqdm import tqdm

    total = info.frame_count // stride if info.frame_count else None
    name = info.path.name if info.path else "video"
    return tqdm(total=total, unit="frame", desc=name, leave=False, dynamic_ncols=True, disable=None)


def _counted(frames: Iterable[Frame], bar: object | None) -> Iterator[Frame]:
    for f in frames:
        if bar is not None:
            bar.update(1)  # type: ignore[attr-defined]
        yield f


def _with_timings(a: Analysis, timings: Mapping[str, float]) -> Analysis:
    from dataclasses import replace

    return replace(a, timings=timings)

