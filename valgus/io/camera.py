"""Frames from a webcam, a stream, or a video file replayed as if live.

A camera or stream is read with OpenCV; its media time is the capture time (seconds since the
session started). A file is decoded with PyAV exactly as ``analyze`` decodes it (same frames,
same pixels, same media time), so a replay through ``live`` can be compared with ``analyze``;
:class:`valgus.io.capture.Capture` paces it at its frame rate when asked (``--realtime``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

from valgus.errors import CameraError
from valgus.io.video import Frame, VideoSource
from valgus.types import VideoInfo

log = logging.getLogger(__name__)


class CameraSource:
    """Frames from a webcam (index), a stream URL/device path, or a video file.

    Attributes:
        info: the frames' size and nominal rate (``source="camera"`` for a device or stream).
        is_file: a recording (finite; media time is the file's own clock).

    Raises:
        CameraError: a missing file, a camera index that does not open (the message lists the
            indices that do), a stream that cannot be opened; while iterating, a camera that
            stops delivering frames (unplugged).
    """

    def __init__(self, spec: str, width: int = 1280, height: int = 720, *, max_failures: int = 30) -> None:
        self.spec = spec
        path = Path(spec)
        self.is_file = path.is_file()
        self.max_failures = max_failures
        self._video: VideoSource | None = None
        self.cap = None
        if self.is_file:
            try:
                self._video = VideoSource(path, prefetch=2)
            except Exception as exc:  # VideoError and friends: one line naming the file
                raise CameraError(f"{spec}: cannot be replayed ({exc})") from exc
            self.info = self._video.info
            self.fps = self.info.fps
            return
        if not spec.isdigit() and "://" not in spec and not spec.startswith("/dev/"):
            if path.exists():
                raise CameraError(f"{spec}: not a video file (a folder?)")
            raise CameraError(f"{spec}: no such file, and not a camera index, device or stream URL")
        import cv2

        self._cv2 = cv2
        _quiet_opencv(cv2)
        dev: int | str = int(spec) if spec.isdigit() else spec
        self.cap = cv2.VideoCapture(dev)
        if not self.cap.isOpened():
            self.cap.release()
            if spec.isdigit():
                ok = available_cameras(exclude=int(spec))
                hint = f"cameras that open: {', '.join(map(str, ok))}" if ok else "no camera opens on this machine"
                raise CameraError(f"camera {spec} cannot be opened ({hint})")
            raise CameraError(f"{spec}: cannot be opened as a camera or stream")
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 30.0) or 30.0
        w = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH)) or width
        h = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) or height
        self.info = VideoInfo(None, w, h, self.fps, None, None, "camera", source="camera")

    def __iter__(self) -> Iterator[Frame]:
        if self._video is not None:
            yield from self._video
            return
        cv2 = self._cv2
        t0: float | None = None
        fails = 0
        i = 0
        while True:
            ok, bgr = self.cap.read()
            now = time.monotonic()
            if not ok or bgr is None:
                fails += 1
                if fails >= self.max_failures:
                    raise CameraError(f"camera {self.spec!r} stopped delivering frames (unplugged?)")
                time.sleep(0.01)
                continue
            fails = 0
            if t0 is None:
                t0 = now
            # live media time = capture time since the first frame
            yield Frame(i, now - t0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            i += 1

    def close(self) -> None:
        if self._video is not None:
            self._video.close()
        if self.cap is not None:
            self.cap.release()

    def __enter__(self) -> "CameraSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quiet_opencv(cv2: object) -> None:
    """OpenCV prints multi-line probe warnings for a missing camera; our error says it once."""
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover
        pass


def available_cameras(max_index: int = 6, exclude: int | None = None) -> list[int]:
    """Camera indices that open (probes 0..max_index-1)."""
    import cv2

    _quiet_opencv(cv2)
    out = []
    for k in range(max_index):
        if k == exclude:
            continue
        cap = cv2.VideoCapture(k)
        if cap.isOpened():
            out.append(k)
        cap.release()
    return out
