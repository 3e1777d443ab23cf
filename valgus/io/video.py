"""Video sources and sinks.

Decoding uses PyAV (threaded FFmpeg): it reads what phones record (full-range ``yuvj420p``
H.264/HEVC) several times faster than the current OpenCV wheels, decodes AV1, honours rotation
metadata and writes H.264 that browsers play (RESEARCH.md, "Speed"). Frames are decoded in a
background thread ahead of the consumer (:class:`VideoSource` with ``prefetch > 0``) so decoding
overlaps with inference.

Media time (the frame's presentation timestamp) is the only clock used downstream.
"""

from __future__ import annotations

import bisect
import logging
import queue
import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from valgus.errors import VideoError
from valgus.types import VideoInfo

log = logging.getLogger(__name__)

try:  # PyAV is a hard dependency; the import guard only gives a clear message if it is broken.
    import av
    import av.error
except ImportError as exc:  # pragma: no cover
    raise ImportError("valgus needs PyAV: pip install av") from exc


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``index`` counts decoded frames, ``t`` is media time in seconds."""

    index: int
    t: float
    image: np.ndarray  # (H, W, 3) uint8, RGB, upright, C-contiguous (I420: (H * 3 / 2, W), see VideoSource)


@dataclass
class DecodeStats:
    """How decoding went; filled in while iterating."""

    decoded: int = 0
    packets: int = 0  # compressed video packets read (one per frame for video codecs)
    errors: int = 0
    expected: int | None = None  # from the container header
    fps: float = 0.0
    start_t: float = 0.0  # the stream's declared start time
    container_start_t: float = 0.0  # the container's start time (earliest stream)
    first_t: float | None = None
    last_t: float | None = None

    @property
    def lost(self) -> int:
        """Frames missing: the largest of (packets read - frames decoded), (header count - decoded)
        and the gaps in the timestamps."""
        by_packets = self.packets - self.decoded
        by_header = (self.expected or 0) - self.decoded
        by_time = 0
        if self.last_t is not None and self.fps > 0:
            start = min(self.start_t, self.first_t or 0.0, self.container_start_t)
            by_time = int(round((self.last_t - start) * self.fps)) + 1 - self.decoded
        lost = max(by_packets, by_header, by_time)
        return lost if lost > 1 else 0  # one frame of slack: GIF trailers, rounding of timestamps


def _check_path(path: Path) -> None:
    if not path.exists():
        raise VideoError(f"{path}: no such file")
    if path.is_dir():
        raise VideoError(f"{path}: is a directory, not a video file (use `valgus batch` for folders)")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise VideoError(f"{path}: cannot read file ({exc.strerror})") from exc
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: file is empty")


def _rotation_of(stream: "av.video.stream.VideoStream") -> int:
    """Clockwise rotation (0/90/180/270) needed to show the stream upright."""
    rot = 0
    try:
        # PyAV >= 13 exposes the display matrix through the codec context's frames; the stream's
        # metadata 'rotate' tag is the older convention.
        tag = stream.metadata.get("rotate")
        if tag is not None:
            rot = int(tag)
    except (TypeError, ValueError):
        rot = 0
    return rot % 360


def _open_container(path: Path) -> "av.container.InputContainer":
    _check_path(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        raise VideoError(f"{path}: cannot be read as a video (not a video, or truncated/corrupt)") from exc
    except av.error.FFmpegError as exc:
        raise VideoError(f"{path}: cannot open as video ({exc})") from exc
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: not a video file (no video stream found)")
    if container.streams.video[0].codec_context is None:  # a codec FFmpeg does not know at all
        container.close()
        raise VideoError(f"{path}: unsupported video codec (this FFmpeg build has no decoder for it)")
    return container


def probe(path: str | Path) -> VideoInfo:
    """Read a video's header and first frame: size (upright), fps, frame count, codec, rotation.

    The first frame is decoded because FFmpeg >= 6 reports a phone clip's display-matrix rotation
    only on decoded frames; it also proves the codec can be decoded.

    Raises:
        VideoError: missing file, a directory, not a video, a codec FFmpeg cannot decode, or no
            decodable frame.
    """
    with VideoSource(path, prefetch=0) as src:
        return src.info


def _info(container: "av.container.InputContainer", path: Path) -> VideoInfo:
    stream = container.streams.video[0]
    ctx = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000
    frames = stream.frames or None
    if frames is None and duration is not None and fps > 0:
        frames = int(round(duration * fps))
    width, height = ctx.width, ctx.height
    rot = _rotation_of(stream)
    if rot in (90, 270):
        width, height = height, width
    if width <= 0 or height <= 0:
        raise VideoError(f"{path}: video stream has no picture size (damaged header?)")
    if fps <= 0:
        fps = 30.0
        log.warning("%s: frame rate unknown; assuming 30 fps for timing", path)
    return VideoInfo(
        path=path, width=width, height=height, fps=fps, frame_count=frames, duration_s=duration,
        codec=ctx.name, rotation=rot,
    )


def _upright(img: np.ndarray, rot: int) -> np.ndarray:
    """Turn ``img`` upright; the result is always C-contiguous.

    FFmpeg pads each picture row to an aligned stride, so ``to_ndarray`` returns a strided view
    whenever ``3 * width`` is not a multiple of the alignment (1080-wide phone clips: rows of 3240
    bytes in a 3264-byte stride). ``mediapipe.Image`` ignores numpy strides and reads such a view
    as a sheared, unrecognisable picture, so the copy here is required, not cosmetic.
    """
    if rot == 0:
        return img if img.flags.c_contiguous else np.ascontiguousarray(img)
    # rot is the clockwise rotation needed; np.rot90 turns counter-clockwise for k > 0
    return np.ascontiguousarray(np.rot90(img, k=-(rot // 90)))


def _upright_i420(yuv: np.ndarray, w: int, h: int, rot: int) -> np.ndarray:
    """Turn an I420 picture (``(h * 3 / 2, w)``: Y, U, V planes) upright, plane by plane."""
    if rot == 0:
        return yuv if yuv.flags.c_contiguous else np.ascontiguousarray(yuv)
    k = -(rot // 90)
    y = np.rot90(yuv[:h], k=k)
    u = np.rot90(yuv[h:h + h // 4].reshape(h // 2, w // 2), k=k)
    v = np.rot90(yuv[h + h // 4:].reshape(h // 2, w // 2), k=k)
    hh, ww = y.shape
    return np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)]).reshape(hh * 3 // 2, ww)


_SENTINEL = object()

SCALER_THREADS = 1
"""FFmpeg's scaler (YUV -> RGB / I420) threads per frame. FFmpeg's default (automatic: one per core)
spent about twice the CPU on a 1080x1920 phone frame (4.3-5.2 ms against 2.1-2.4 ms, same pixels
bit for bit) and the decoders already run in their own threads beside the pose model."""

ONE_THREAD_MAX_PIXELS = 1920 * 1088
"""Automatic decoder threads: one thread up to 1080p, FFmpeg's choice above. Decoding runs in its
own thread ahead of the pose model, and one FFmpeg thread keeps ahead of it up to 1080p (phone
clips, 1080x1920 H.264: 10-13 ms per frame against the model's 21-25); more threads only take
the second core from the model: on 2 cores the analysis loop of the five phone clips ran a
median 23 % (13-33 %) behind the model alone with FFmpeg's choice, 13 % (10-32 %) with one thread."""


class VideoSource:
    """Iterate the frames of a video file as upright RGB arrays with media timestamps.

    Use as a context manager::

        with VideoSource("clip.mp4") as src:
            for frame in src:
                ...

    Args:
        path: the video file.
        prefetch: frames decoded ahead in a background thread (0 = decode in the caller's thread).
        stride: keep every ``stride``-th decoded frame (1 = all).
        max_fps: if set, drop frames so that at most this many per second of media time are kept.
        max_side: if set, frames whose longer side exceeds it are scaled down by FFmpeg while
            converting to RGB (landmarks are still reported in original-frame pixels by the
            pose adapter, which scales by ``VideoInfo`` size).
        threads: FFmpeg decoder threads (None = automatic: see :data:`ONE_THREAD_MAX_PIXELS`;
            0 = FFmpeg's choice, one per core plus one; n = n threads).
        deblock: False skips H.264/HEVC's in-loop deblocking filter while decoding (about a
            quarter less decoding CPU; faint block edges in the picture): for pictures a person
            looks at (annotated.mp4), never for the pose model's input.
        pixels: ``"rgb24"`` (what the pose model reads) or ``"i420"``: planar YUV 4:2:0 in
            limited range as one ``(H * 3 / 2, W)`` array (Y, then U, then V; even sizes), what
            an H.264 encoder takes and OpenCV converts (``COLOR_YUV2RGB_I420``). FFmpeg's scaler
            makes I420 from a phone clip's full-range YUV in about half the CPU time of RGB.
        start, end: media time (seconds): only frames with ``start <= t < end`` are yielded (a
            segment of the clip; None = from the first / to the last frame). The demuxer seeks to
            the keyframe at or before ``start`` and the frames before ``start`` are decoded
            (their pictures are needed) but neither converted nor counted. ``index`` then
            counts the segment's own frames from 0. ``seek_ts``: the decoding timestamp (stream
            time base) of the keyframe to start decoding at (:meth:`StreamIndex.seek_point`);
            without it the demuxer seeks one second before ``start``. Demuxers seek by decoding
            time and some land on a frame that is not a keyframe; whenever the frames decoded
            after a seek do not reach back to ``start``, decoding starts again from the top.
        only: if set, yield only the frames with these indices (the others are still decoded,
            as later frames need them, but not converted to RGB); used for the report's stills.

    Damaged streams are decoded as far as possible: undecodable packets are skipped and counted
    in :attr:`stats`; media time keeps the true timestamps, so gaps show as gaps.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        prefetch: int = 4,
        stride: int = 1,
        max_fps: float | None = None,
        max_side: int | None = None,
        threads: int | None = None,
        only: Collection[int] | None = None,
        start: float | None = None,
        end: float | None = None,
        seek_ts: int | None = None,
        pixels: str = "rgb24",
        deblock: bool = True,
    ) -> None:
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if pixels not in ("rgb24", "i420"):
            raise ValueError(f"pixels must be 'rgb24' or 'i420', got {pixels!r}")
        self.pixels = pixels
        if max_fps is not None and max_fps <= 0:
            raise ValueError(f"max_fps must be > 0, got {max_fps}")
        self.path = Path(path)
        self._container = _open_container(self.path)
        self.info = _info(self._container, self.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        if threads is None:
            threads = 1 if self.info.width * self.info.height <= ONE_THREAD_MAX_PIXELS else 0
        if threads:
            self._stream.codec_context.thread_count = threads
        if not deblock:
            self._stream.codec_context.options = {"skip_loop_filter": "all"}
        self.prefetch = prefetch
        self.stride = stride
        self.max_fps = max_fps
        self.max_side = max_side
        self.only = frozenset(only) if only is not None else None
        st = self._stream
        start_t = float(st.start_time * st.time_base) if st.start_time is not None and st.time_base else 0.0
        c_start = self._container.start_time / 1_000_000 if self._container.start_time is not None else start_t
        self.stats = DecodeStats(
            expected=st.frames or None, fps=self.info.fps, start_t=start_t, container_start_t=min(c_start, start_t)
        )
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, prefetch))
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._out_size = self._scaled_size()
        self.start, self.end = start, end
        self._restarted = False
        self._reached_start = False
        self._peek()
        if start is not None:
            self._seek(start, seek_ts)

    def _seek(self, start: float, seek_ts: int | None) -> None:
        """Position the demuxer before media time ``start`` (the first frame, decoded by
        :meth:`_peek` for its rotation, is dropped)."""
        self._first = None
        tb = self._stream.time_base or Fraction(1, 1000)
        target = seek_ts if seek_ts is not None else int(np.floor((start - 1.0) / float(tb)))
        try:
            self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
        except av.error.FFmpegError as exc:  # no index to seek with: read from the beginning
            log.debug("seek to %.3f s failed (%s); decoding from the start", start, exc)
            self._container.seek(0, stream=self._stream, backward=True, any_frame=False)
        self._raw = self._raw_frames()
        self._seek_checked = False
        self._reached_start = False

    def _scaled_size(self) -> tuple[int, int] | None:
        if not self.max_side:
            return None
        w, h = self._stream.codec_context.width, self._stream.codec_context.height
        longer = max(w, h)
        if longer <= self.max_side:
            return None
        s = self.max_side / longer
        return max(2, int(round(w * s / 2)) * 2), max(2, int(round(h * s / 2)) * 2)

    def _i420(self, fr: "av.VideoFrame") -> np.ndarray:
        """The frame as upright limited-range I420 of even size (scaled to ``max_side``)."""
        w, h = self._out_size or (fr.width - fr.width % 2, fr.height - fr.height % 2)
        yuv = fr.to_ndarray(format="yuv420p", width=w, height=h, dst_color_range="MPEG", threads=SCALER_THREADS)
        return _upright_i420(yuv, w, h, self.info.rotation)

    # -- context manager -------------------------------------------------------------------------
    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                try:  # unblock a producer waiting on a full queue
                    self._queue.get_nowait()
                except queue.Empty:
                    pass
                self._thread.join(timeout=0.05)
            self._thread = None
        self._container.close()

    # -- decoding --------------------------------------------------------------------------------
    def _raw_frames(self) -> Iterator["av.VideoFrame"]:
        """Decoded FFmpeg frames; corrupt packets are skipped and counted."""
        packets = self._container.demux(self._stream)
        while not self._stop.is_set():
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self.stats.errors += 1
                log.debug("demux error: %s", exc)
                break
            if packet.size:
                self.stats.packets += 1
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:  # corrupt packet: skip it, keep going
                self.stats.errors += 1
                log.debug("decode error at packet pts=%s: %s", packet.pts, exc)
                continue
            yield from frames

    def _peek(self) -> None:
        """Decode the first frame now: it carries the display-matrix rotation (phone clips)."""
        self._raw = self._raw_frames()
        self._first = next(self._raw, None)
        if self._first is None:
            self._container.close()
            raise VideoError(f"{self.path}: no decodable frames (empty or damaged video, codec {self.info.codec})")
        rot = getattr(self._first, "rotation", 0) or 0
        # PyAV reports the display matrix's counter-clockwise angle; we store the clockwise turn.
        cw = (-int(round(rot))) % 360
        if cw and not self.info.rotation:
            w, h = self.info.width, self.info.height
            if cw in (90, 270):
                w, h = h, w
            self.info = replace(self.info, width=w, height=h, rotation=cw)

    def _decode(self) -> Iterator[Frame]:
        tb = self._stream.time_base or Fraction(1, 1000)
        min_dt = 1.0 / self.max_fps if self.max_fps else 0.0
        last_kept_t = -np.inf
        last_t = -np.inf
        fallback_dt = 1.0 / self.info.fps
        first, self._first = self._first, None
        raw = self._raw if first is None else chain([first], self._raw)
        n = -1
        for fr in raw:
            if self.start is not None or self.end is not None:
                if fr.pts is None:
                    raise VideoError(f"{self.path}: a frame without a timestamp; cannot decode a segment")
                t = float(fr.pts * tb)
                if self.start is not None and not self._seek_checked:
                    self._seek_checked = True
                    if t > self.start and not self._restarted:  # the seek overshot: start again from the top
                        log.debug("seek to %.3f s landed at %.3f s; decoding from the start", self.start, t)
                        self._restart()
                        yield from self._decode()
                        return
                if self.start is not None and t < self.start:
                    continue  # before the segment: decoded only as a reference for what follows
                if self.end is not None and t >= self.end:
                    break
                self._reached_start = True
            n += 1
            if fr.pts is not None:
                t = float(fr.pts * tb)
            else:
                t = last_t + fallback_dt if np.isfinite(last_t) else 0.0
            if t <= last_t:  # non-monotonic timestamps (broken muxing): nudge forward
                t = last_t + 1e-3
            if n == 0:
                self.stats.first_t = t
            last_t = t
            self.stats.last_t = t
            self.stats.decoded += 1
            if n % self.stride:
                continue
            if min_dt and t - last_kept_t < min_dt - 1e-6:
                continue
            last_kept_t = t
            if self.only is not None and n not in self.only:
                continue
            if self.pixels == "i420":
                yield Frame(n, t, self._i420(fr))
                continue
            if self._out_size is not None:
                img = fr.to_ndarray(format="rgb24", width=self._out_size[0], height=self._out_size[1],
                                    threads=SCALER_THREADS)
            else:
                img = fr.to_ndarray(format="rgb24", threads=SCALER_THREADS)
            yield Frame(n, t, _upright(img, self.info.rotation))
        if self.start is not None and not self._reached_start and not self._restarted:
            # the seek landed past every decodable frame of the segment (e.g. on a frame that is
            # not a keyframe, with no keyframe after it): decode from the top instead
            log.debug("nothing decoded from %.3f s after seeking; decoding from the start", self.start)
            self._restart()
            yield from self._decode()

    def _restart(self) -> None:
        self._restarted = True
        self._seek_checked = True
        self._container.seek(0, stream=self._stream, backward=True, any_frame=False)
        self._raw = self._raw_frames()

    def _producer(self) -> None:
        try:
            for f in self._decode():
                while not self._stop.is_set():
                    try:
                        self._queue.put(f, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer thread
            self._error = exc
        finally:
            while not self._stop.is_set():
                try:
                    self._queue.put(_SENTINEL, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def __iter__(self) -> Iterator[Frame]:
        if self.prefetch <= 0:
            yield from self._decode()
            return
        self._thread = threading.Thread(target=self._producer, name="valgus-decode", daemon=True)
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is _SENTINEL:
                break
            yield item  # type: ignore[misc]
        if self._error is not None:
            raise VideoError(f"{self.path}: decoding failed ({self._error})") from self._error


def _keyframe_times(container: "av.container.InputContainer", stream: Any) -> list[float]:
    """Media times of the stream's keyframes, from its packets (demuxing only, no decoding)."""
    tb = stream.time_base or Fraction(1, 1000)
    out = []
    try:
        for packet in container.demux(stream):
            if packet.is_keyframe and packet.pts is not None:
                out.append(float(packet.pts * tb))
    except av.error.FFmpegError as exc:
        log.debug("keyframe scan stopped: %s", exc)
    return sorted(out)


def read_frames_at(path: str | Path, times: Iterable[float]) -> dict[float, np.ndarray]:
    """The frames shown at media times ``times`` (seconds, the ``t`` of :class:`Frame` and
    ``time_s`` of frames.csv), as upright RGB arrays, without decoding the whole clip.

    The keyframes are listed from the packets first (no decoding); then for each time the decoder
    jumps to the last keyframe before it, unless decoding on from where it is would get there
    sooner, so this never decodes more than reading from the start would. A time with no frame
    within half a frame period is left out, so a caller can fall back to :class:`VideoSource`
    (e.g. a stream with broken timestamps).
    """
    out: dict[float, np.ndarray] = {}
    targets = sorted({float(t) for t in times})
    if not targets:
        return out
    with VideoSource(path, prefetch=0) as src:
        container, stream = src._container, src._stream
        tb = stream.time_base or Fraction(1, 1000)
        half = 0.5 / src.info.fps
        keys = _keyframe_times(container, stream)
        frames: Iterator[Any] | None = None
        cur = -np.inf  # media time of the last frame decoded
        for t in targets:
            k = bisect.bisect_right(keys, t + half) - 1
            key_t = keys[k] if k >= 0 else -np.inf
            if frames is None or key_t > cur + half or t < cur - half:
                try:
                    container.seek(max(0, int(max(key_t, 0.0) / tb)), stream=stream, backward=True, any_frame=False)
                except av.error.FFmpegError as exc:
                    log.debug("%s: cannot seek to %.3f s (%s)", src.path, t, exc)
                    frames = None
                    continue
                frames = src._raw_frames()
                cur = -np.inf
            for fr in frames:
                if fr.pts is None:
                    continue
                cur = float(fr.pts * tb)
                if cur >= t - half:
                    if cur <= t + half:
                        out[t] = _upright(fr.to_ndarray(format="rgb24"), src.info.rotation)
                    break
    return out


@dataclass(frozen=True)
class StreamIndex:
    """A video stream's frames as listed by its packets (read without decoding): the plan for
    cutting a clip into segments (:func:`valgus.engine.plan_segments`)."""

    times: tuple[float, ...]  # media time of each frame in presentation order, as VideoSource computes it
    keyframes: tuple[int, ...]  # positions in ``times`` of the keyframes (where a decoder can start)
    exact: bool  # every packet has its own timestamp: frames can be assigned to segments by time
    keyframe_dts: tuple[int, ...] = ()  # each keyframe's decoding timestamp (stream time base): where to seek

    def seek_point(self, position: int) -> int | None:
        """The decoding timestamp to seek to for decoding frame ``position``: that of the last
        keyframe at or before it (None: no keyframe before it)."""
        best = None
        for k, dts in zip(self.keyframes, self.keyframe_dts):
            if k <= position:
                best = dts
        return best


def stream_index(path: str | Path) -> StreamIndex:
    """List the video stream's packets (timestamps and keyframe flags) without decoding them: a
    few milliseconds per hundred frames."""
    container = _open_container(Path(path))
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
                       keyframe_dts=tuple(key[order[i]] for i in keyframes))


def _cv2() -> Any:
    import cv2

    return cv2


class VideoWriter:
    """Write RGB frames to an H.264 MP4 (yuv420p, plays in browsers) with PyAV.

    Frames are timed from ``fps``; use as a context manager.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: float, *, crf: int = 23,
                 preset: str = "veryfast") -> None:
        self.path = Path(path)
        self._container = av.open(str(self.path), mode="w")
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width = width - width % 2
        self._stream.height = height - height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": preset}

    def write(self, rgb: np.ndarray) -> None:
        h, w = self._stream.height, self._stream.width
        # RGB -> I420 with OpenCV (BT.601 limited range, as FFmpeg's swscale would do): about ten
        # times faster than letting the encoder's swscale convert rgb24 (no SIMD path for it).
        yuv = _cv2().cvtColor(np.ascontiguousarray(rgb[:h, :w]), _cv2().COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
