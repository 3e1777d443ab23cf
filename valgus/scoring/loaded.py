"""The loaded phase of a rep, and the worst value of a valgus measure over it.

Published 2D protocols read FPPA at the frame of peak knee flexion of a single-leg squat (Willson
& Davis 2008; Munro, Herrington & Carolan 2012) or at a fixed flexion such as 45 or 60 deg. A
knee can cave on the way down or up and be back over the foot at the bottom (RESEARCH.md, "When
to read the angle": a real front-view squat judged at its deepest frame alone missed it), so
valgus reads each measure's worst value over the whole loaded phase, and keeps the
deepest-frame value beside it (``thresholds.valgus_phase = "deepest"`` restores the published
single-frame protocol).

Loaded phase of a leg in a rep: the rep's frames where that knee is flexed at least
``thresholds.loaded_min_knee_flexion_deg`` (3D knee flexion from the world landmarks; standing
and the first/last degrees of a rep say nothing about control under load), where the measure
is defined (FPPA and hip adduction are empty when the thigh points at the camera); for a
step-up, also with the trailing foot off the floor (the lead leg carries the body). Without 3D
knee flexion, the frames where the rep is at least half as deep as at its deepest frame.

Worst value: the largest (or, for knee width, smallest) value of the 3-frame running median
over the loaded frames, so one frame's landmark jitter cannot make a peak.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from valgus.config import Config
from valgus.scoring.results import other_side
from valgus.temporal.reps import Rep


@dataclass(frozen=True)
class Peak:
    """The worst value of a measure over a loaded phase: value, frame index (into the clip's
    rows), media time and the knee flexion there."""

    value: float
    index: int
    t: float
    knee_flexion_deg: float


NO_PEAK = Peak(float("nan"), -1, float("nan"), float("nan"))


def loaded_mask(rep: Rep, exercise: str, leg: str, metrics: dict[str, np.ndarray], depth: np.ndarray | None,
                config: Config) -> np.ndarray:
    """Boolean mask over the rep's frames ``rep.start .. rep.end`` (see the module docstring)."""
    sl = slice(rep.start, rep.end + 1)
    flex = metrics[f"{leg}_knee_flexion_deg"][sl]
    with np.errstate(invalid="ignore"):
        if np.isfinite(flex).any():
            mask = flex >= config.thresholds.loaded_min_knee_flexion_deg
        elif depth is not None and np.isfinite(rep.depth):
            mask = depth[sl] >= 0.5 * rep.depth
        else:
            mask = np.zeros(rep.end + 1 - rep.start, dtype=bool)
            mask[rep.deepest - rep.start] = True
        if exercise == "step_up":
            trail = metrics[f"{other_side(leg)}_foot_raise"][sl]
            mask &= trail > config.recognition.foot_lift
    return mask


def _running_median3(x: np.ndarray) -> np.ndarray:
    """3-frame running median (NaN-aware; the ends use what they have)."""
    if x.size < 3:
        return x.copy()
    stack = np.vstack([np.r_[x[:1], x[:-1]], x, np.r_[x[1:], x[-1:]]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        return np.nanmedian(stack, axis=0)


def worst(col: np.ndarray, rep: Rep, mask: np.ndarray, metrics: dict[str, np.ndarray], leg: str, *,
          smaller_is_worse: bool = False, offset: float = 0.0) -> Peak:
    """The worst value of ``col - offset`` over the masked frames of ``rep``."""
    sl = slice(rep.start, rep.end + 1)
    v = _running_median3(col[sl] - offset)
    v = np.where(mask & np.isfinite(col[sl]), v, np.nan)
    if not np.isfinite(v).any():
        return NO_PEAK
    k = int(np.nanargmin(v) if smaller_is_worse else np.nanargmax(v))
    i = rep.start + k
    return Peak(float(v[k]), i, float(metrics["time_s"][i]), float(metrics[f"{leg}_knee_flexion_deg"][i]))
