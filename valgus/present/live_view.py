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
    return max(0.6, max(w, h) / 1100.0)


class LiveView:
    """Compose one window image. ``mirrored``: flip the picture like a mirror (a selfie view);
    ``fit``: the largest window (width, height) in pixels; a larger picture is scaled down first
    (text is drawn after, at the window's size, so it stays sharp; a 720x1280 phone picture
    would not fit a laptop screen, and drawing and showing fewer pixels costs less)."""

    font = cv2.FONT_HERSHEY_SIMPLEX

    def __init__(self, *, mirrored: bool = True, fit: tuple[int, int] = (1280, 760)) -> None:
        self.mirrored = mirrored
        self.fit = fit
        self._wrapped: dict[tuple[str, float, int, int], list[str]] = {}

    def _text(self, img: np.ndarray, s: str, org: tuple[int, int], scale: float, colour: RGB, th: int,
              outline: bool = True) -> None:
        if outline:
            cv2.putText(img, s, org, self.font, scale, (0, 0, 0), th + 2, cv2.LINE_AA)
        cv2.putText(img, s, org, self.font, scale, colour, th, cv2.LINE_AA)

    def _wrap(self, text: str, scale: float, th: int, width: int) -> list[str]:
        """``text`` broken at spaces into lines at most ``width`` pixels wide (remembered: the
        same lines come back frame after frame)."""
        key = (text, scale, th, width)
        got = self._wrapped.get(key)
        if got is None:
            if len(self._wrapped) > 256:
                self._wrapped.clear()
            got = self._wrapped[key] = self._wrap_now(text, scale, th, width)
        return got

    def _wrap_now(self, text: str, scale: float, th: int, width: int) -> list[str]:
        out: list[str] = []
        line = ""
        for word in text.split():
            cand = f"{line} {word}" if line else word
            if line and cv2.getTextSize(cand, self.font, scale, th)[0][0] > width:
                out.append(line)
                line = word
            else:
                line = cand
        return out + ([line] if line else [])

    def _panel(self, img: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: RGB, alpha: float = 0.75) -> None:
        """Blend a ``colour`` rectangle over ``img`` in place (OpenCV: ~10x faster than NumPy floats)."""
        h, w = img.shape[:2]
        x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            return
        roi = img[y0:y1, x0:x1]
        cv2.addWeighted(roi, 1.0 - alpha, roi, 0.0, 0.0, dst=roi)
        cv2.add(roi, (colour[0] * alpha, colour[1] * alpha, colour[2] * alpha, 0.0), dst=roi)

    def render(self, rgb: np.ndarray, xy: np.ndarray, frame: LiveFrame) -> np.ndarray:
        """The window image for camera picture ``rgb`` (not modified) and landmarks ``xy``
        ``(33, 2)`` in the camera's own pixel coordinates."""
        h, w = rgb.shape[:2]
        k = min(1.0, self.fit[0] / w, self.fit[1] / h)
        if k < 1.0:
            size = (max(2, int(round(w * k))), max(2, int(round(h * k))))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            xy = np.asarray(xy, dtype=float) * k
        img = cv2.flip(rgb, 1) if self.mirrored else rgb.copy()  # cv2.flip: 50x faster than a NumPy copy
        h, w = img.shape[:2]
        s = _scale(img)
        th = max(1, int(round(2 * s)))
        Annotator(thickness=3, mirrored=self.mirrored).annotate(img, xy, frame.knees, [])
        line_h = int(34 * s)
        fs = 0.8 * s
        pad = int(16 * s)
        top = 0
        if frame.banner is not None:
            b = frame.banner
            lines = [x for i, line in enumerate(b.lines)
                     for x in self._wrap(line, fs * (1.15 if i == 0 else 1.0), th, w - 2 * pad)]
            big_h = int(90 * s) if b.big else 0
            top = int(14 * s) + line_h * len(lines) + big_h
            self._panel(img, 0, 0, w, top, b.colour)
            y = int(8 * s) + line_h
            for i, line in enumerate(lines):
                self._text(img, line, (pad, y), fs * (1.15 if i == 0 else 1.0), WHITE, th, outline=False)
                y += line_h
            if b.big:
                big_scale = 2.6 * s
                (tw, tht), _ = cv2.getTextSize(b.big, self.font, big_scale, th * 3)
                self._text(img, b.big, ((w - tw) // 2, y - line_h + int(12 * s) + tht), big_scale, WHITE, th * 3,
                           outline=False)
        if frame.corner:
            cw = int(200 * s)
            row = int(26 * s)
            self._panel(img, w - cw, top, w, top + int(10 * s) + row * len(frame.corner), GREY, 0.6)
            y = top + int(28 * s)
            for line in frame.corner:
                self._text(img, line, (w - cw + int(10 * s), y), 0.65 * s, WHITE, max(1, th - 1), outline=False)
                y += row
        cue = self._wrap(frame.cue, fs, th, w - 2 * pad) if frame.cue else []
        status = [x for line in frame.status for x in self._wrap(line, fs, th, w - 2 * pad)]
        keys = self._wrap(frame.keys, 0.6 * s, 1, w - 2 * pad) if frame.keys else []
        small_h = int(26 * s)
        block = line_h * (len(cue) + len(status)) + small_h * len(keys) + (int(10 * s) if cue else 0)
        y0 = h - block - int(10 * s)
        if cue:
            col = CATEGORY_COLOUR.get(frame.cue_level, WHITE) if frame.cue_level != "none" else (120, 220, 120)
            self._panel(img, 0, y0, w, y0 + line_h * len(cue) + int(10 * s), (20, 20, 20), 0.8)
            y = y0 + line_h - int(6 * s)
            for line in cue:
                self._text(img, line, (pad, y), fs, col, th, outline=False)
                y += line_h
            y0 += line_h * len(cue) + int(10 * s)
        if status or keys:
            self._panel(img, 0, y0, w, h, GREY, 0.6)
        y = y0 + line_h - int(6 * s)
        for line in status:
            self._text(img, line, (pad, y), fs, WHITE, th, outline=False)
            y += line_h
        y -= line_h - small_h
        for line in keys:
            self._text(img, line, (pad, y), 0.6 * s, (210, 210, 210), 1, outline=False)
            y += small_h
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
