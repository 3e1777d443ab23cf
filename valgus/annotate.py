"""Draw the skeleton, per-leg FPPA and rep status onto frames (OpenCV drawing only, no logic)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from valgus.landmarks import LM, SKELETON_EDGES

_COL = {"ok": (60, 200, 60), "borderline": (240, 200, 40), "mild": (255, 140, 0), "marked": (230, 40, 40)}
_LEFT = (80, 160, 255)  # RGB
_RIGHT = (255, 120, 200)


def fppa_colour(v: float) -> tuple[int, int, int]:
    if not np.isfinite(v) or v < 6:
        return _COL["ok"]
    if v < 10:
        return _COL["borderline"]
    if v < 16.8:
        return _COL["mild"]
    return _COL["marked"]


@dataclass
class Annotator:
    """Draws on an RGB frame in place. Style in the constructor, no domain logic."""

    thickness: int = 2

    def annotate(self, image: np.ndarray, xy: np.ndarray, values: dict[str, float], lines: list[str]) -> np.ndarray:
        h, w = image.shape[:2]
        s = max(1.0, max(h, w) / 900.0)
        th = max(1, int(round(self.thickness * s)))
        pts = xy
        for a, b in SKELETON_EDGES:
            pa, pb = pts[a], pts[b]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                name = LM(a).name
                col = _LEFT if name.startswith("LEFT") else _RIGHT if name.startswith("RIGHT") else (230, 230, 230)
                cv2.line(image, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), col, th, cv2.LINE_AA)
        for side, knee in (("left", LM.LEFT_KNEE), ("right", LM.RIGHT_KNEE)):
            p = pts[knee]
            v = values.get(f"{side}_fppa_deg", float("nan"))
            if np.isfinite(p).all():
                cv2.circle(image, (int(p[0]), int(p[1])), int(6 * s), fppa_colour(v), -1, cv2.LINE_AA)
                if np.isfinite(v):
                    label = f"{side[0].upper()} {v:+.0f}"
                    org = (int(p[0] + 8 * s), int(p[1]))
                    cv2.putText(image, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, (0, 0, 0), th + 2, cv2.LINE_AA)
                    cv2.putText(image, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, fppa_colour(v), th, cv2.LINE_AA)
        y = int(24 * s)
        for line in lines:
            cv2.putText(image, line, (int(10 * s), y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, (0, 0, 0), th + 2, cv2.LINE_AA)
            cv2.putText(image, line, (int(10 * s), y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s, (255, 255, 255), th, cv2.LINE_AA)
            y += int(24 * s)
        return image
