"""Parallel inference inside one clip: the clip cut into segments at keyframes, each with its own
decoder and pose estimator in a thread (MediaPipe's calls release the GIL), the per-frame results
joined in time order and fed to the engine's session, so subject selection runs over the whole
clip as in one pass. Used by :func:`valgus.engine.analyze_video`; docs/speed.md says what changes
at a seam.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from valgus.config import Config
from valgus.errors import VideoError
from valgus.io.video import DecodeStats, StreamIndex, VideoSource, stream_index
from valgus.pose import CheckSchedule, PeopleChecker, PoseEstimator
from valgus.types import FramePoses, VideoInfo

log = logging.getLogger(__name__)


class _Session(Protocol):
    """What the segments feed (valgus.engine.Session)."""

    info: VideoInfo
    timer: Any

    def update_poses(self, index: int, t: float, poses: FramePoses) -> object: ...


# -------------------------------------------------------------------------------- segments, threads
#: the CPU cost of decoding a frame that is not analysed (before a segment that does not start on
#: a keyframe), relative to analysing one: a cut is moved to a nearby keyframe when that costs
#: less than decoding from the keyframe before it (720p: ~2 ms against ~23 ms; 1080x1920: ~10
#: against ~33).
_PREROLL_COST = 0.3


@dataclass(frozen=True)
class Segment:
    """A part of a clip analysed by a fresh pose model (tracking restarts at its first frame).

    ``start``/``end``: media time of its first frame and of the next segment's first frame (None:
    the clip's start / end). ``prev_t``: media time of the frame just before ``start`` (None for
    the first segment). ``frames``: how many frames it holds according to the stream's packets.
    ``origin``: media time of the clip's first frame (the grid of the bystander checks).
    ``seek_ts``: where a decoder starting at this segment seeks (the timestamps of the keyframe at
    or before ``start``, tried in turn: :meth:`StreamIndex.seek_point`).
    """

    start: float | None
    end: float | None
    prev_t: float | None
    frames: int
    origin: float | None = None
    seek_ts: tuple[int, ...] | None = None


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def plan_segments(index: StreamIndex, segment_s: float) -> list[Segment]:
    """Cut the frames listed in ``index`` into ``floor(duration / segment_s)`` segments of equal
    media time, each cut moved to a nearby keyframe when that is cheaper than decoding the frames
    from the keyframe before it (:data:`_PREROLL_COST`). Depends only on the file and
    ``segment_s``, never on the machine, so every run of a clip cuts it at the same frames.
    One segment when ``segment_s`` is 0, the clip is shorter than two segments, or the packets'
    timestamps cannot place every frame (``index.exact`` false)."""
    n = len(index.times)
    whole = [Segment(None, None, None, n, index.times[0] if n else None)]
    if segment_s <= 0 or not index.exact or n < 4 or not index.keyframes:
        return whole
    times = index.times
    dt = float(np.median(np.diff(times))) if n > 1 else 0.0
    duration = times[-1] - times[0] + dt
    k = int(duration // segment_s)
    if k < 2:
        return whole
    keys = list(index.keyframes)
    cuts: list[int] = []
    reach = n / k / 4  # a cut moves at most a quarter of a segment
    for i in range(1, k):
        target = int(np.searchsorted(times, times[0] + i * duration / k))
        lo = (cuts[-1] if cuts else 0) + 1
        best, best_cost = None, float("inf")
        for cand in sorted({target, *keys}):
            if not lo <= cand <= n - 1 or abs(cand - target) > reach:
                continue
            kf = max((x for x in keys if x <= cand), default=0)
            cost = abs(cand - target) + _PREROLL_COST * (cand - kf)
            if cost < best_cost:
                best, best_cost = cand, cost
        if best is not None:
            cuts.append(best)
    bounds = [0, *cuts, n]
    return [Segment(start=None if a == 0 else times[a], end=None if b == n else times[b],
                    prev_t=None if a == 0 else times[a - 1], frames=b - a, origin=times[0],
                    seek_ts=None if a == 0 else index.seek_point(a))
            for a, b in zip(bounds, bounds[1:])]


def plan_for(path: str | Path, config: Config, info: VideoInfo) -> list[Segment]:
    seg_s = config.pose.segment_s
    if seg_s <= 0 or (info.duration_s is not None and info.duration_s < 1.9 * seg_s):
        return []  # too short to cut (the header's duration; the index decides near the limit)
    t0 = time.perf_counter()
    index = stream_index(path)
    plan = plan_segments(index, seg_s)
    log.debug("%s: %d frames, %d keyframes, %d segment(s) %s (indexed in %.0f ms)", Path(path).name,
              len(index.times), len(index.keyframes), len(plan), [s.frames for s in plan],
              1000 * (time.perf_counter() - t0))
    return plan if len(plan) > 1 else []


_DONE = object()  # the end of a worker's results in its queue

#: Frames a segment's decoder may run ahead of its pose model when the spare thread decodes for it
#: (:class:`_Feed`): ~8 MB each at 1080x1920 (RGBA).
_AHEAD = 1


def _spare_core(running: int, cores: int) -> bool:
    """Whether the decoding helper of :func:`run_segments` may decode ahead: only while fewer
    segments run (each worker decoding its own) than there are cores. On two cores with two
    segments running, a helper decoding ahead beside them made the phone clip ~6 % slower
    (whole process, 10 alternating pairs: docs/speed.md, item 17); with one segment left, it
    gives that segment's decoding the core its finished worker left."""
    return running < cores


class _Feed:
    """A segment's decoded frames, decoded by the thread that runs its pose model or, up to
    :data:`_AHEAD` frames ahead of it, by the decoding helper of :func:`run_segments`. One
    decoder, one lock, frames taken in decoding order whoever decoded them: the frames, and so the
    results, are the same whichever thread decodes."""

    def __init__(self, source: VideoSource, frames: int, space: threading.Condition) -> None:
        self._it = iter(source)
        self._lock = threading.Lock()
        self._ahead: collections.deque[Any] = collections.deque()
        self._space = space
        self._done = False
        self._error: BaseException | None = None
        self.left = frames  # frames still to come (from the index: a guide for the helper)

    def next(self) -> Any:
        """The next frame (None at the end), in the caller's thread if none is decoded ahead."""
        with self._lock:
            if self._ahead:
                frame = self._ahead.popleft()
                with self._space:
                    self._space.notify()
            elif self._error is not None:
                raise self._error
            elif self._done:
                return None
            else:
                frame = next(self._it, None)
                self._done = frame is None
        self.left -= 1
        return frame

    def close(self) -> None:
        """No more decoding from this feed's source (before the source is closed)."""
        with self._lock:
            self._done = True
            self._ahead.clear()

    def help(self) -> bool:
        """Decode one frame ahead if there is room and the owner is not decoding now; False when
        there is nothing to do here."""
        if self._done or len(self._ahead) >= _AHEAD or not self._lock.acquire(blocking=False):
            return False
        try:
            if self._done or len(self._ahead) >= _AHEAD:
                return False
            try:
                frame = next(self._it, None)
            except BaseException as exc:  # raised in the owner's thread when it gets there
                self._error, self._done = exc, True
                return False
            if frame is None:
                self._done = True
            else:
                self._ahead.append(frame)
            return True
        finally:
            self._lock.release()


@dataclass
class _WorkerRun:
    """What one worker thread produced: its frames' pose results in ``queue`` (its source's frame
    indices, 0 = its first frame), then :data:`_DONE`."""

    queue: "queue.SimpleQueue[Any]" = field(default_factory=lambda: queue.SimpleQueue())
    stats: DecodeStats | None = None
    pose_s: float = 0.0
    wait_s: float = 0.0
    error: BaseException | None = None


def run_segments(session: _Session, src: VideoSource, plan: list[Segment], config: Config, threads: int, *,
                 open_estimator: Callable[..., PoseEstimator], allow_download: bool,
                 decode_threads: int | None, bar: object | None, people: PeopleChecker | None = None) -> DecodeStats:
    """Run the pose model over ``plan``: ``threads`` workers take the segments in order, the next
    one free taking the next segment, each segment with its own decoder (``src`` for the first;
    the others seek to their keyframe) and a fresh estimator (MediaPipe's calls release the GIL).
    The per-frame results are fed to ``session`` in time order as they come (a segment's once
    those before it are in), so subject selection runs over the whole clip as in one pass, and
    at most about ``threads + 1`` segments' results wait in memory whatever the clip's length.
    Every segment is decoded and analysed the same way whatever the number of threads, so the
    result does not depend on it. Each worker decodes its own segment; one more thread decodes
    frames ahead for the running segment with the most frames left (:class:`_Feed`) only while
    fewer segments run than this machine has cores (:func:`_spare_core`):
    at the end of a clip, or while a worker makes its next segment's model, the core left free
    decodes for the segment still running, so the last segment does not run on one core
    (the first segment once had a decoding thread of its own and ended ~4 s before the second
    on a 20-s phone clip). While every core runs a segment it stays idle: a third busy thread on
    two cores only took turns with the pose models (docs/speed.md, item 17).
    ``people``: one people counter for every segment's estimator (stateless, so its answers do
    not depend on which thread asks first). Returns the joined decoding statistics."""
    info = session.info
    size = (info.width, info.height)
    threads = max(1, min(threads, len(plan)))
    runs = [_WorkerRun() for _ in plan]
    stop = threading.Event()
    lock = threading.Lock()
    turn = threading.Condition(lock)
    state = {"next": 0, "fed": 0}  # the next segment to start; segments fed to the session
    vc = config.video
    src.prefetch = 0  # every segment's decoding is fed the same way (_Feed)
    space = threading.Condition()  # a helper's frame taken, a feed opened or the work ended
    feeds: dict[int, _Feed] = {}
    ended = threading.Event()

    def estimator_for(i: int) -> PoseEstimator:
        seg = plan[i]
        sched = CheckSchedule(origin=None if i == 0 else seg.origin, prev_t=seg.prev_t)
        if people is None:
            return open_estimator(config, allow_download=allow_download, schedule=sched)
        return open_estimator(config, allow_download=allow_download, schedule=sched, people=people)

    def run_one(i: int) -> None:
        seg, run = plan[i], runs[i]
        source: VideoSource | None = None
        est: PoseEstimator | None = None
        try:
            if i == 0:
                src.end = seg.end  # the open source decodes the first segment
                source = src
            else:
                # decoded in this thread and the helper's (no decoding thread per segment:
                # threads started and ended by the dozen give glibc's allocator arenas that
                # keep freed memory)
                source = VideoSource(src.path, stride=vc.stride, max_fps=vc.max_fps or None,
                                     max_side=config.pose.max_side or None, threads=decode_threads,
                                     start=seg.start, end=seg.end, seek_ts=seg.seek_ts, prefetch=0,
                                     pixels=src.pixels, info=src.info)  # the first frame is not decoded again
            est = estimator_for(i)
            feed = _Feed(source, seg.frames, space)
            with space:
                feeds[i] = feed
                space.notify()
            while not stop.is_set():
                t0 = time.perf_counter()
                frame = feed.next()
                t1 = time.perf_counter()
                run.wait_s += t1 - t0
                if frame is None:
                    break
                run.queue.put(est(frame.image, frame.t, frame.index, size))
                frame = None  # not held while the next one is decoded (8 MB at 1080x1920)
                run.pose_s += time.perf_counter() - t1
                if bar is not None:
                    with lock:
                        bar.update(1)  # type: ignore[attr-defined]
            run.stats = source.stats
        except BaseException as exc:  # handed to the caller's thread
            run.error = exc
            stop.set()
        finally:
            with space:
                feed_of = feeds.pop(i, None)
                space.notify()  # a core may be spare now: the helper looks again
            if feed_of is not None:
                feed_of.close()  # waits for a frame the helper is decoding from its source
            try:
                if est is not None:
                    est.close()  # type: ignore[attr-defined]
                if source is not None:
                    # the clip's own source too, once its segment is done: its decoder's frame
                    # pool (~18 MB at 1080x1920) is not kept to the end of the clip (closing
                    # twice is harmless; its header and statistics stay)
                    source.close()
            finally:
                run.queue.put(_DONE)

    def work() -> None:
        while True:
            with turn:
                # start a segment only a few ahead of the one being fed (bounded memory)
                while not stop.is_set() and state["next"] < len(plan) and state["next"] > state["fed"] + threads:
                    turn.wait(0.5)
                if stop.is_set() or state["next"] >= len(plan):
                    return
                i = state["next"]
                state["next"] += 1
            run_one(i)

    n_cores = cpu_count()

    def decode_ahead() -> None:
        while not stop.is_set() and not ended.is_set():
            with space:
                running = sorted(feeds.values(), key=lambda f: -f.left) if _spare_core(len(feeds), n_cores) else []
            if not any(f.help() for f in running):
                with space:
                    space.wait(0.05)

    workers = [threading.Thread(target=work, name=f"valgus-pose-{g}", daemon=True) for g in range(threads)]
    helper = threading.Thread(target=decode_ahead, name="valgus-decode-ahead", daemon=True)
    for th in [*workers, helper]:
        th.start()
    if people is not None and hasattr(people, "warm"):
        # the people counter's model is made while the segments' are (every segment checks its
        # first frame: made by the first check, it held both threads for ~0.35 s)
        threading.Thread(target=people.warm, name="valgus-people-warm", daemon=True).start()
    offset = 0
    last_t = -float("inf")
    try:
        for k, (seg, run) in enumerate(zip(plan, runs)):
            first = True
            while True:
                fp = run.queue.get()
                if fp is _DONE:
                    break
                if stop.is_set():
                    continue  # a worker failed: drain, then raise its error below
                if first and seg.start is not None and fp.t != seg.start:
                    log.debug("the part from %.3f s begins at %.3f s (its first frames did not decode)",
                              seg.start, fp.t)
                first = False
                if not fp.t > last_t:  # never expected: the index found every timestamp unique
                    raise VideoError(f"{src.path}: frames out of order where two parts meet ({fp.t:.3f} s)")
                last_t = fp.t
                i = offset + fp.index
                session.update_poses(i, fp.t, FramePoses(index=i, t=fp.t, people=fp.people))
            if run.error is not None:
                break
            offset += run.stats.decoded if run.stats is not None else 0
            with turn:
                state["fed"] = k + 1
                turn.notify_all()
    except BaseException:
        stop.set()
        raise
    finally:
        with turn:
            turn.notify_all()
        for th in workers:
            th.join()
        ended.set()
        with space:
            space.notify_all()
        helper.join()
    for run in runs:
        if run.error is not None:
            raise run.error
    session.timer.add("pose_model", sum(r.pose_s for r in runs))
    session.timer.add("decode_wait", sum(r.wait_s for r in runs))
    parts = [r.stats for r in runs if r.stats is not None]
    return _joined_stats(src.stats, parts, plan) if len(plan) > 1 else src.stats


def _joined_stats(first: DecodeStats, parts: list[DecodeStats], plan: list[Segment]) -> DecodeStats:
    """One clip's decoding statistics from its workers' (packets from the index: each worker's
    decoder also reads packets on either side of its part)."""
    return DecodeStats(
        decoded=sum(p.decoded for p in parts), packets=sum(s.frames for s in plan),
        errors=sum(p.errors for p in parts), expected=first.expected, fps=first.fps, start_t=first.start_t,
        container_start_t=first.container_start_t, first_t=parts[0].first_t if parts else None,
        last_t=parts[-1].last_t if parts else None,
    )


