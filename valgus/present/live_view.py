"""Draw the live window: the picture (mirrored or not), skeleton and knee colours, the guide or
countdown banner, the last rep's cue, reps per leg, performance in a corner and the keys.

OpenCV drawing only, no decisions: the driver passes the lines (from
:mod:`valgus.present.live_words`) and the knee categories (from
:func:`valgus.present.overlay.knee_marks`). Text is drawn after the picture is flipped, so it
reads normally in the mirrored view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from valgus.present.annotate import CATEGORY_COLOUR, Annotator, KneeMark

RGB = tuple[int, int, int]
GREEN: RGB = (40, 170, 70)
AMBER: RGB = (230, 150, 20)
RED: RGB = (200, 45, 45)
GREY: RGB = (40, 40, 40)
WHITE: RGB = (255, 255, 255)


@dataclass(frozen=True)
class Banner:
    """The top banner: a title, a few lines and a background colour."""

    lines: tuple[str, ...]
    colour: RGB = GREY
    big: str = ""  # a large centred text (the countdown number)


@dataclass(frozen=True)
class LiveFrame:
    """Everything one frame of the window shows besides the picture and the skeleton."""

    banner: Banner | None = None
    cue: str = ""
    cue_level: str = "none"
    status: tuple[str, ...] = ()  # bottom-left (reps per leg, a warning)
    corner: tuple[str, ...] = ()  # top-right (fps, latency, dropped)
    keys: str = ""
    knees: dict[str, KneeMark] = field(default_factory=dict)


def _scale(image: np.ndarray) -> float:
    h, w = image.shape[:2]
    return max(0.6, min(w, h * 16 / 9) / 1100.0)


class LiveView:
    """Compose one window image. ``mirrored``: flip the picture like a mirror (a selfie view)."""

    font = cv2.FONT_HERSHEY_SIMPLEX

    def __init__(self, *, mirrored: bool = True) -> None:
        self.mirrored = mirrored

    def _text(self, img: np.ndarray, s: str, org: tuple[int, int], scale: float, colour: RGB, th: int,
              outline: bool = True) -> None:
        if outline:
            cv2.putText(img, s, org, self.font, scale, (0, 0, 0), th + 2, cv2.LINE_AA)
        cv2.putText(img, s, org, self.font, scale, colour, th, cv2.LINE_AA)

    def _panel(self, img: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: RGB, alpha: float = 0.75) -> None:
        h, w = img.shape[:2]
        x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            return
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi * (1 - alpha) + np.array(colour, dtype=np.float32) * alpha).astype(np.uint8)

    def render(self, rgb: np.ndarray, xy: np.ndarray, frame: LiveFrame) -> np.ndarray:
        """The window image for camera picture ``rgb`` (not modified) and landmarks ``xy``
        ``(33, 2)`` in the camera's own pixel coordinates."""
        img = np.ascontiguousarray(rgb[:, ::-1]) if self.mirrored else rgb.copy()
        h, w = img.shape[:2]
        s = _scale(img)
        th = max(1, int(round(2 * s)))
        Annotator(thickness=3, mirrored=self.mirrored).annotate(img, xy, frame.knees, [])
        line_h = int(34 * s)
        fs = 0.8 * s
        if frame.banner is not None:
            b = frame.banner
            n = len(b.lines)
            bottom = int(14 * s) + line_h * n + (int(90 * s) if b.big else 0)
            self._panel(img, 0, 0, w, bottom, b.colour)
            y = int(8 * s) + line_h
            for i, line in enumerate(b.lines):
                self._text(img, line, (int(16 * s), y), fs * (1.15 if i == 0 else 1.0), WHITE, th, outline=False)
                y += line_h
            if b.big:
                big_scale = 2.6 * s
                (tw, tht), _ = cv2.getTextSize(b.big, self.font, big_scale, th * 3)
                self._text(img, b.big, ((w - tw) // 2, y + tht), big_scale, WHITE, th * 3, outline=False)
        if frame.corner:
            cw = int(200 * s)
            top = (int(14 * s) + line_h * (len(frame.banner.lines) + (2.6 if frame.banner.big else 0))
                   if frame.banner else 0)
            top = int(top)
            self._panel(img, w - cw, top, w, top + int(10 * s) + int(26 * s) * len(frame.corner), GREY, 0.6)
            y = top + int(28 * s)
            for line in frame.corner:
                self._text(img, line, (w - cw + int(10 * s), y), 0.65 * s, WHITE, max(1, th - 1), outline=False)
                y += int(26 * s)
        bottom_lines = [*frame.status] + ([frame.keys] if frame.keys else [])
        y = h - int(12 * s) - line_h * (len(bottom_lines) - 1) - (line_h + int(10 * s) if frame.cue else 0)
        if frame.cue:
            col = CATEGORY_COLOUR.get(frame.cue_level, WHITE) if frame.cue_level != "none" else (120, 220, 120)
            self._panel(img, 0, y - line_h, w, y + int(12 * s), GREY, 0.7)
            self._text(img, frame.cue, (int(16 * s), y), fs, col, th)
            y += line_h + int(10 * s)
        if bottom_lines:
            self._panel(img, 0, y - line_h + int(4 * s), w, h, GREY, 0.55)
        for i, line in enumerate(bottom_lines):
            small = frame.keys and i == len(bottom_lines) - 1
            self._text(img, line, (int(16 * s), y), (0.6 if small else 0.8) * s,
                       (200, 200, 200) if small else WHITE, max(1, th - 1) if small else th, outline=False)
            y += line_h
        return img

    def paused(self, image: np.ndarray, text: str) -> np.ndarray:
        """``image`` (a rendered window image, not modified) with ``text`` across its middle."""
        img = image.copy()
        h, w = img.shape[:2]
        s = _scale(img)
        self._panel(img, 0, h // 2 - int(50 * s), w, h // 2 + int(30 * s), GREY, 0.7)
        self._text(img, text, (int(20 * s), h // 2), 1.3 * s, WHITE, max(2, int(3 * s)))
        return img


__all__ = ["AMBER", "Banner", "GREEN", "GREY", "LiveFrame", "LiveView", "RED"]
