"""Writing H.264 MP4 that browsers play (annotated.mp4, live recordings), with PyAV."""

from __future__ import annotations

import logging
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
