"""Draw the skeleton, each knee's valgus category and status lines onto frames.

OpenCV drawing only, no domain logic: the caller says which category each knee is in (from
:func:`valgus.scoring.flags.knee_category`, the same rule as the rep flags).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from valgus.landmarks import LM, SKELETON_EDGES

#: RGB colour per valgus category.
CATEGORY_COLOUR = {"none": (60, 200, 60), "borderline": (240, 200, 40), "mild": (255, 140, 0), "marked": (230, 40, 40)}
LEFT_COLOUR = (80, 160, 255)  # the subject's left side (RGB)
RIGHT_COLOUR = (255, 120, 200)
NEUTRAL = (230, 230, 230)


@dataclass(frozen=True)
class KneeMark:
    """How to draw one knee: its category (colour) and a short label (e.g. ``"L +12"``)."""

    category: str = "none"
    label: str = ""


@dataclass
class Annotator:
    """Draws on an RGB frame in place. Style in the constructor, no domain logic.

    ``mirrored=True``: the image has been flipped left-right for display (a selfie view); the
    landmarks (in the camera's own coordinates) are flipped to match and the text is drawn after
    the flip, so it reads normally.
    """

    thickness: int = 2
    mirrored: bool = False

    def _pt(self, p: np.ndarray, w: int) -> tuple[int, int]:
        x = (w - 1 - p[0]) if self.mirrored else p[0]
        return int(x), int(p[1])

    def text(self, image: np.ndarray, line: str, org: tuple[int, int], scale: float, colour: tuple[int, int, int],
             th: int) -> None:
        cv2.putText(image, line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, (0, 0, 0), th + 2, cv2.LINE_AA)
        cv2.putText(image, line, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, colour, th, cv2.LINE_AA)

    def _scale(self, shape: tuple[int, ...]) -> tuple[float, int]:
        """Text scale and line thickness for a picture of ``shape``."""
        s = max(1.0, max(shape[0], shape[1]) / 900.0)
        return s, max(1, int(round(self.thickness * s)))

    def knee_label_right(self, shape: tuple[int, ...], knee: np.ndarray, label: str) -> int:
        """The column where :meth:`annotate` ends ``label`` (outline included), drawn beside a
        knee at ``knee`` (x, y) on a picture of ``shape``: a crop must reach it to show it whole."""
        s, th = self._scale(shape)
        (tw, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, th + 2)
        x, _ = self._pt(knee, shape[1])
        return int(x + 8 * s) + tw + th + 2

    def annotate(self, image: np.ndarray, xy: np.ndarray, knees: dict[str, KneeMark], lines: list[str]) -> np.ndarray:
        h, w = image.shape[:2]
        s, th = self._scale(image.shape)
        for a, b in SKELETON_EDGES:
            pa, pb = xy[a], xy[b]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                name = LM(a).name
                col = LEFT_COLOUR if name.startswith("LEFT") else RIGHT_COLOUR if name.startswith("RIGHT") else NEUTRAL
                cv2.line(image, self._pt(pa, w), self._pt(pb, w), col, th, cv2.LINE_AA)
        for side, knee in (("left", LM.LEFT_KNEE), ("right", LM.RIGHT_KNEE)):
            p = xy[knee]
            mark = knees.get(side, KneeMark())
            if np.isfinite(p).all():
                col = CATEGORY_COLOUR.get(mark.category, NEUTRAL)
                x, y = self._pt(p, w)
                cv2.circle(image, (x, y), int(6 * s), col, -1, cv2.LINE_AA)
                if mark.label:
                    self.text(image, mark.label, (int(x + 8 * s), y), s, col, th)
        y = int(24 * s)
        for line in lines:
            self.text(image, line, (int(10 * s), y), s, (255, 255, 255), th)
            y += int(24 * s)
        return image
