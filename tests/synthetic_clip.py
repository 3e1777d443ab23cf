"""A synthetic squatting clip analysed without the pose model (for the report and history tests).

A tiny H.264 video (the pictures do not matter) and a fake pose estimator that returns the
frontal stick figure of ``conftest.frontal_xy`` squatting: two squats, the second with both knees
coming in. ``analyze_video`` runs the real metrics, reps and scoring on it in well under a second.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from conftest import frontal_xy, make_person, standing_world, write_video
from valgus.types import FramePoses

FPS = 30.0
N_FRAMES = 150  # 5 s
WIDTH, HEIGHT = 160, 240
#: (start, end) frame of each squat, and how far each knee comes in at the bottom (px)
SQUATS = ((25, 70, 0.0), (90, 135, 9.0))
LEG = 80.0  # px, hip to ankle standing
DROP = 26.0  # px the hips drop at the bottom (0.33 leg lengths)


def figure_xy(i: int) -> np.ndarray:
    """The figure in frame ``i``: standing, or in a squat (hips down, knees in on the 2nd)."""
    depth, knee_in = 0.0, 0.0
    for a, b, k in SQUATS:
        if a <= i <= b:
            s = math.sin(math.pi * (i - a) / (b - a))
            depth, knee_in = DROP * s, k * s
    hip_y = 70.0 + depth
    leg = LEG - depth  # ankles stay on the floor
    return frontal_xy(cx=WIDTH / 2, hip_y=hip_y, hip_half=14.0, thigh=leg / 2, shank=leg / 2,
                      knee_in_left=knee_in, knee_in_right=knee_in, trunk_height=50.0, shoulder_half=18.0)


class SquatEstimator:
    """A fake pose estimator: the squatting figure, and nobody in frames ``missing``."""

    def __init__(self, missing: tuple[int, ...] = ()) -> None:
        self.missing = set(missing)

    def __call__(self, image: np.ndarray, t: float, index: int, size: tuple[int, int] | None = None) -> FramePoses:
        if index in self.missing:
            return FramePoses(index=index, t=t, people=())
        return FramePoses(index=index, t=t, people=(make_person(figure_xy(index), 0.95, standing_world()),))

    def close(self) -> None:
        pass


def frame_picture(i: int) -> np.ndarray:
    """A grey picture with the figure's legs drawn as white dots (so stills show something)."""
    img = np.full((HEIGHT, WIDTH, 3), 60, dtype=np.uint8)
    xy = figure_xy(i)
    for p in xy:
        x, y = int(round(p[0])), int(round(p[1]))
        if 0 <= x < WIDTH and 0 <= y < HEIGHT:
            img[max(0, y - 1): y + 2, max(0, x - 1): x + 2] = 255
    return img


def squat_video(folder: Path, name: str = "squat.mp4") -> Path:
    return write_video(folder / name, n=N_FRAMES, width=WIDTH, height=HEIGHT, fps=FPS, frame_fn=frame_picture)


def squat_analysis(folder: Path, missing: tuple[int, ...] = ()):  # -> valgus.Analysis
    from valgus.engine import analyze_video

    return analyze_video(squat_video(folder), estimator=SquatEstimator(missing))
