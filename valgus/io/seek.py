"""Reading chosen frames by seeking to the keyframe before each (report stills), and the
stream's keyframe index (segments for parallel inference)."""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Iterable, Iterator
from itertools import chain
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np


log = logging.getLogger(__name__)

try:  # PyAV is a hard dependency; the import guard only gives a clear message if it is broken.
    import av
    import av.error
except ImportError as exc:  # pragma: no cover
    raise ImportError("valgus needs PyAV: pip install av") from exc

from valgus.io.container import _open_container, _upright
from valgus.types import VideoInfo


def read_frames_at(path: str | Path, times: Iterable[float]) -> dict[float, np.ndarray]:
    """The frames shown at media times ``times`` (seconds, the ``t`` of :class:`Frame` and
    ``time_s`` of frames.csv), as upright RGB arrays, without decoding the whole clip
    (:func:`iter_frames_at`; all of them held at once: for a few frames)."""
    return dict(iter_frames_at(path, times))


def iter_frames_at(path: str | Path, times: Iterable[float], *, deblock: bool = True,
                   info: VideoInfo | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """``(t, frame)`` for each media time in ``times`` that has a frame, in time order, as
    upright RGB arrays, one at a time (a caller that reduces each frame, e.g. to a still, holds
    one full frame at most).

    The keyframes are listed from the packets first (no decoding); then for each time the decoder
    jumps to the last keyframe before it, unless decoding on from where it is would get there
    sooner, so this never decodes more than reading from the start would. A time with no frame
    within half a frame period is left out, so a caller can fall back to :class:`VideoSource`
    (e.g. a stream with broken timestamps). On the way, the decoder skips the frames that are
    neither asked for nor a reference for later frames (bit for bit the same pictures: a
    non-reference frame is never used to decode another). ``deblock=False`` skips the decoder's deblocking
    filter (:class:`VideoSource`): for pictures scaled down for a person to look at. ``info``:
    the clip's header as read before (:class:`VideoSource`: its first frame is not decoded again).
    """
    targets = sorted({float(t) for t in times})
    if not targets:
        return
    from valgus.io.video import VideoSource  # the source module imports this one

    index = stream_index(path)  # where each keyframe is and the timestamps to seek to it
    with VideoSource(path, prefetch=0, deblock=deblock, info=info) as src:
        container, stream = src._container, src._stream
        tb = stream.time_base or Fraction(1, 1000)
        half = 0.5 / src.info.fps
        keys = [index.times[k] for k in index.keyframes]

        def wanted(pt: float) -> bool:
            j = bisect.bisect_left(targets, pt - half)
            return j < len(targets) and targets[j] <= pt + half

        frames: Iterator[Any] | None = None
        cur = -np.inf  # media time of the last frame decoded
        for t in targets:
            k = bisect.bisect_right(keys, t + half) - 1
            key_t = keys[k] if k >= 0 else -np.inf
            if frames is None or key_t > cur + half or t < cur - half:
                frames = None
                # the keyframe's timestamps in turn (StreamIndex.seek_point); the top for none
                for ts in (index.seek_point(index.keyframes[k]) if k >= 0 else None) or (0,):
                    try:
                        container.seek(ts, stream=stream, backward=True, any_frame=False)
                    except av.error.FFmpegError as exc:
                        log.debug("%s: cannot seek to %.3f s (%s)", src.path, t, exc)
                        continue
                    raw = src._raw_frames(wanted)
                    first = next(raw, None)
                    if first is not None and first.pts is not None and float(first.pts * tb) <= t + half:
                        frames = chain([first], raw)  # the seek reached back to t
                        break
                if frames is None:
                    continue
                cur = -np.inf
            for fr in frames:
                if fr.pts is None:
                    continue
                cur = float(fr.pts * tb)
                if cur >= t - half:
                    if cur <= t + half:
                        yield t, _upright(fr.to_ndarray(format="rgb24"), src.info.rotation)
                    break


@dataclass(frozen=True)
class StreamIndex:
    """A video stream's frames as listed by its packets (read without decoding): the plan for
    cutting a clip into segments (:func:`valgus.segments.plan_segments`)."""

    times: tuple[float, ...]  # media time of each frame in presentation order, as VideoSource computes it
    keyframes: tuple[int, ...]  # positions in ``times`` of the keyframes (where a decoder can start)
    exact: bool  # every packet has its own timestamp: frames can be assigned to segments by time
    keyframe_dts: tuple[int, ...] = ()  # each keyframe's decoding timestamp (stream time base)
    keyframe_pts: tuple[int, ...] = ()  # each keyframe's presentation timestamp (stream time base)

    def seek_point(self, position: int) -> tuple[int, ...] | None:
        """The timestamps to seek to, in turn, for decoding frame ``position``: the exact
        presentation timestamp of the last keyframe at or before it, then its decoding timestamp
        (MP4/MOV demuxers seek by the first, and seeking a phone clip by the second lands a whole
        keyframe interval early; some MP4s need the second). An empty tuple when that keyframe is
        the clip's first frame (decode from the top, no seek); None when no keyframe is before it."""
        best: tuple[int, ...] | None = None
        for k, dts, pts in zip(self.keyframes, self.keyframe_dts, self.keyframe_pts or self.keyframe_dts):
            if k <= position:
                best = () if k == 0 else tuple(dict.fromkeys((pts, dts)))
        return best


def stream_index(path: str | Path) -> StreamIndex:
    """List the video stream's packets (timestamps and keyframe flags) without decoding them: a
    few milliseconds per hundred frames (~40 ms for a 20-s phone clip). The last few files'
    indexes are kept while the file is unchanged (size and modification time): the segments'
    plan and the report's stills read the same one."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return _stream_index(p)  # raises the one-line error for a missing or unreadable file
    return _cached_index(str(p.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _cached_index(path: str, size: int, mtime_ns: int) -> StreamIndex:
    return _stream_index(Path(path))


def _stream_index(path: Path) -> StreamIndex:
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 1000)
        pts: list[int] = []
        key: dict[int, int] = {}
        exact = True
        try:
            for packet in container.demux(stream):
                if not packet.size:
                    continue
                if packet.pts is None:
                    exact = False
                    continue
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    key[int(packet.pts)] = int(packet.dts if packet.dts is not None else packet.pts)
        except av.error.FFmpegError as exc:  # a damaged tail: what was read still plans segments
            log.debug("%s: demux error while indexing (%s)", path, exc)
    finally:
        container.close()
    order = sorted(pts)
    exact = exact and len(set(order)) == len(order)
    times = tuple(float(x * tb) for x in order)
    keyframes = tuple(i for i, x in enumerate(order) if x in key)
    return StreamIndex(times=times, keyframes=keyframes, exact=exact,
                       keyframe_dts=tuple(key[order[i]] for i in keyframes),
                       keyframe_pts=tuple(order[i] for i in keyframes))


