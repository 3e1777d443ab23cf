"""Opening a video with PyAV: checks, facts (:func:`probe`), rotation, and the frame types.

Media time (the frame's presentation timestamp) is the only clock used downstream.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

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


def contiguous(img: np.ndarray) -> np.ndarray:
    """``img`` as a C-contiguous array (itself when it is one).

    A picture whose rows are padded (FFmpeg aligns each row: a 1080-wide RGB row of 3240 bytes
    sits in a 3264-byte stride) is copied row by row: NumPy copies such a ``(H, W, 3)`` view
    pixel by pixel, 5-9 ms for a 1080x1920 frame, against ~1 ms row by row (the same bytes)."""
    if img.flags.c_contiguous:
        return img
    if img.ndim == 3 and img.strides[1:] == (img.shape[2] * img.itemsize, img.itemsize):
        h, w, c = img.shape
        rows = np.lib.stride_tricks.as_strided(img, shape=(h, w * c), strides=(img.strides[0], img.itemsize))
        return np.ascontiguousarray(rows).reshape(h, w, c)
    return np.ascontiguousarray(img)


def _upright(img: np.ndarray, rot: int) -> np.ndarray:
    """Turn ``img`` upright; the result is always C-contiguous.

    FFmpeg pads each picture row to an aligned stride, so ``to_ndarray`` returns a strided view
    whenever ``3 * width`` is not a multiple of the alignment (1080-wide phone clips: rows of 3240
    bytes in a 3264-byte stride). ``mediapipe.Image`` ignores numpy strides and reads such a view
    as a sheared, unrecognisable picture, so the copy here is required, not cosmetic. A turn is
    OpenCV's (``cv2.rotate`` reads the padded rows as they are): ~5 ms for a 1080x1920 frame,
    against ~23 ms for NumPy's ``rot90`` made contiguous.
    """
    if rot == 0:
        return contiguous(img)
    import cv2  # only for clips that carry a rotation

    # rot is the clockwise rotation needed
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rot % 360]
    return cv2.rotate(img, code)


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


