"""Video sources and sinks.

Decoding uses PyAV (threaded FFmpeg): it reads what phones record (full-range ``yuvj420p``
H.264/HEVC) several times faster than the current OpenCV wheels, decodes AV1, honours rotation
metadata and writes H.264 that browsers play (RESEARCH.md, "Speed"). Frames are decoded in a
background thread ahead of the consumer (:class:`VideoSource` with ``prefetch > 0``) so decoding
overlaps with inference.

Media time (the frame's presentation timestamp) is the only clock used downstream.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from itertools import chain
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import numpy as np

from valgus.errors import VideoError
from valgus.types import VideoInfo

log = logging.getLogger(__name__)

try:  # PyAV is a hard dependency; the import guard only gives a clear message if it is broken.
    import av
    import av.error
except ImportError as exc:  # pragma: no cover
    raise ImportError("valgus needs PyAV: pip install av") from exc



from valgus.io.container import (  # noqa: E402 - re-exported: the video I/O API in one place
    DecodeStats, Frame, _info, _open_container, _upright, _upright_i420,
)


_SENTINEL = object()

SCALER_THREADS = 1
"""FFmpeg's scaler (YUV -> RGB / I420) threads per frame. FFmpeg's default (automatic: one per core)
spent about twice the CPU on a 1080x1920 phone frame (4.3-5.2 ms against 2.1-2.4 ms, same pixels
bit for bit) and the decoders already run in their own threads beside the pose model."""

POSE_PIXELS = "rgba"
"""The pixels valgus's own pose model is fed: RGB with an alpha byte: a 4-byte pixel
makes a 1080- or 720-wide row (4320 or 2880 bytes) a multiple of FFmpeg's 32-byte row alignment,
so the frame comes out contiguous and is handed to MediaPipe as it is, where a 3-byte RGB row
(3240 bytes in a 3264-byte stride) had to be copied row by row first (``mediapipe.Image`` ignores
strides). MediaPipe reads it as SRGBA and drops the alpha: the landmarks are the RGB ones bit for
bit (``tests/integration/test_pose_pixels.py``). Converting to RGBA costs ~0.2 ms more than RGB and the
copy it saves ~1 ms per 1080x1920 frame; the frames held at once are a third larger."""

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
        pixels: ``"rgb24"``; ``"rgba"``: the same RGB with a fourth byte per pixel (alpha 255),
            what valgus's own pose model reads (:data:`POSE_PIXELS`: see there); or ``"i420"``: planar YUV 4:2:0 in
            limited range as one ``(H * 3 / 2, W)`` array (Y, then U, then V; even sizes), what
            an H.264 encoder takes and OpenCV converts (``COLOR_YUV2RGB_I420``). FFmpeg's scaler
            makes I420 from a phone clip's full-range YUV in about half the CPU time of RGB.
        start, end: media time (seconds): only frames with ``start <= t < end`` are yielded (a
            segment of the clip; None = from the first / to the last frame). The demuxer seeks to
            the keyframe at or before ``start`` and the frames before ``start`` are decoded
            (their pictures are needed) but neither converted nor counted. ``index`` then
            counts the segment's own frames from 0. ``seek_ts``: the timestamps (stream time
            base) to seek to for the keyframe to start decoding at, tried in turn
            (:meth:`StreamIndex.seek_point`: its presentation, then its decoding timestamp; an
            empty tuple: the clip's first keyframe, decoded without seeking); without it the
            demuxer seeks one second before ``start``. Demuxers differ in which timestamp they
            seek by (MP4/MOV by presentation time, some MP4s by decoding time) and some land on a
            frame that is not a keyframe; whenever the frames decoded after a seek do not reach
            back to ``start``, the next timestamp is tried, and then decoding starts again from
            the top.
        only: if set, yield only the frames with these indices (the others are still decoded,
            as later frames need them, but not converted to RGB); used for the report's stills.
        info: the clip's header as another source of the same file found it (:attr:`info`, its
            first frame decoded there for the rotation): this source then decodes nothing before
            it seeks (a segment or a still: ~36 ms of CPU less at 1080x1920).

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
        seek_ts: int | Sequence[int] | None = None,
        pixels: str = "rgb24",
        deblock: bool = True,
        info: VideoInfo | None = None,
    ) -> None:
        if stride < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if pixels not in ("rgb24", "rgba", "i420"):
            raise ValueError(f"pixels must be 'rgb24', 'rgba' or 'i420', got {pixels!r}")
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
        self._seek_tries = []
        if info is None:
            self._peek()
        else:
            self.info = info
            self._raw, self._first = self._raw_frames(), None
        if start is not None:
            self._seek(start, seek_ts)

    def _seek(self, start: float, seek_ts: int | Sequence[int] | None) -> None:
        """Position the demuxer before media time ``start`` (the first frame, decoded by
        :meth:`_peek` for its rotation, is dropped unless ``seek_ts`` is empty: decoding from
        the top)."""
        if seek_ts is not None and not isinstance(seek_ts, int):
            tries = [int(x) for x in seek_ts]
            if not tries:  # the segment's keyframe is the clip's first: decode on from the peek
                self._seek_tries: list[int] = []
                self._seek_checked = False
                self._reached_start = False
                return
            self._seek_tries = tries[1:]
            self._seek_to(start, tries[0])
            return
        self._seek_tries = []
        tb = self._stream.time_base or Fraction(1, 1000)
        self._seek_to(start, seek_ts if seek_ts is not None else int(np.floor((start - 1.0) / float(tb))))

    def _seek_to(self, start: float, target: int) -> None:
        self._first = None
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
        # Drop the decoder's generators and frames before the container: each holds the codec's
        # frame pool (~18 MB at 1080x1920), and without this a closed source kept it alive (a
        # source per 10-s segment grew a 10-minute clip's memory by ~1 GB).
        raw, self._raw, self._first = getattr(self, "_raw", None), None, None
        if raw is not None:
            raw.close()
        self._container.close()

    # -- decoding --------------------------------------------------------------------------------
    def _raw_frames(self, wanted: Callable[[float], bool] | None = None) -> Iterator["av.VideoFrame"]:
        """Decoded FFmpeg frames; corrupt packets are skipped and counted. ``wanted``: only the
        frames whose packet's media time it accepts are needed, with the references the decoder
        needs to reach them (the decoder skips the other non-reference frames: 46 % of a phone
        clip's frames, a third of its decoding time)."""
        packets = self._container.demux(self._stream)
        ctx = self._stream.codec_context
        tb = self._stream.time_base or Fraction(1, 1000)
        skipping = False
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
            if wanted is not None:
                skip = packet.pts is not None and not wanted(float(packet.pts * tb))
                if skip != skipping:
                    ctx.skip_frame = "NONREF" if skip else "DEFAULT"
                    skipping = skip
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
                    if t > self.start and self._seek_again(f"landed at {t:.3f} s"):  # the seek overshot
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
                img = fr.to_ndarray(format=self.pixels, width=self._out_size[0], height=self._out_size[1],
                                    threads=SCALER_THREADS)
            else:
                img = fr.to_ndarray(format=self.pixels, threads=SCALER_THREADS)
            yield Frame(n, t, _upright(img, self.info.rotation))
        if self.start is not None and not self._reached_start and self._seek_again("decoded nothing of the segment"):
            # the seek landed past every decodable frame of the segment (e.g. on a frame that is
            # not a keyframe, with no keyframe after it)
            yield from self._decode()

    def _seek_again(self, why: str) -> bool:
        """After a seek that did not reach back to ``start``: seek to the next timestamp to try,
        else decode from the top; False when decoding already started from the top."""
        if self._restarted:
            return False
        if self._seek_tries:
            log.debug("seek to %.3f s %s; seeking to the next timestamp", self.start, why)
            self._seek_to(self.start, self._seek_tries.pop(0))  # type: ignore[arg-type]
        else:
            log.debug("seek to %.3f s %s; decoding from the start", self.start, why)
            self._restart()
        return True

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


from valgus.io.seek import StreamIndex, read_frames_at, stream_index  # noqa: E402
from valgus.io.writer import VideoWriter  # noqa: E402

__all__ = ["DecodeStats", "Frame", "StreamIndex", "VideoSource", "VideoWriter", "probe", "read_frames_at",
           "stream_index"]
