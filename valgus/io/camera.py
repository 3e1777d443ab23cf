"""Frames from a webcam, a stream, or a video file replayed as if live."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from valgus.errors import CameraError
from valgus.io.video import Frame


class CameraSource:
    """Frames from a webcam (index), a stream URL/device path, or a video file played as if live.

    Media time is the capture time for cameras and streams; for a file it is the file's own
    frame clock, so a recording replayed through ``live`` gives the same reps at any speed.
    """

    def __init__(self, spec: str, width: int = 1280, height: int = 720, *, max_failures: int = 30) -> None:
        import cv2

        self._cv2 = cv2
        try:  # OpenCV prints multi-line probe warnings for a missing camera; our error says it once
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        except AttributeError:  # pragma: no cover
            pass
        self.spec = spec
        self.is_file = Path(spec).is_file()
        if not spec.isdigit() and not self.is_file and "://" not in spec and not spec.startswith("/dev/"):
            raise CameraError(f"{spec}: no such file or camera")
        dev: int | str = int(spec) if spec.isdigit() else spec
        self.cap = cv2.VideoCapture(dev)
        if not self.cap.isOpened():
            if spec.isdigit():
                ok = available_cameras(exclude=int(spec))
                hint = f"cameras that open: {', '.join(map(str, ok))}" if ok else "no camera opens on this machine"
                raise CameraError(f"camera {spec} cannot be opened ({hint})")
            raise CameraError(f"{spec}: cannot be opened as a video or stream")
        if not self.is_file:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.max_failures = max_failures
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 30.0) or 30.0

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        fails = 0
        i = 0
        while True:
            ok, bgr = self.cap.read()
            if (not ok or bgr is None) and self.is_file:
                return  # end of the recording
            if not ok or bgr is None:
                fails += 1
                if fails >= self.max_failures:
                    raise CameraError(f"camera {self.spec!r} stopped delivering frames (unplugged?)")
                time.sleep(0.01)
                continue
            fails = 0
            if self.is_file:  # the file's frame clock (constant frame rate, as analyze decodes it)
                t = i / self.fps
            else:  # live media time = capture time since the start of the session
                t = time.monotonic() - t0
            yield Frame(i, t, self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB))
            i += 1

    def close(self) -> None:
        self.cap.release()


def available_cameras(max_index: int = 6, exclude: int | None = None) -> list[int]:
    """Camera indices that open (probes 0..max_index-1)."""
    import cv2

    out = []
    for k in range(max_index):
        if k == exclude:
            continue
        cap = cv2.VideoCapture(k)
        if cap.isOpened():
            out.append(k)
        cap.release()
    return out
