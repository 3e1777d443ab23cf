"""Scoring: from per-frame metrics to scored reps and a verdict (pure NumPy; no words).

Rooms, each deciding one thing:

- :mod:`~valgus.scoring.results`: the result types (flags, findings, reps, camera check, clip).
- :mod:`~valgus.scoring.signals`: the clip's depth signals, shared by the rooms below.
- :mod:`~valgus.scoring.exercise`: which exercise each rep is and which leg works.
- :mod:`~valgus.scoring.baseline`: the person's standing values.
- :mod:`~valgus.scoring.camera`: whether the view supports a frontal-plane verdict.
- :mod:`~valgus.scoring.flags`: per-rep values and flag categories (and the knee colour rule).
- :mod:`~valgus.scoring.verdict`: the verdict and the findings behind it.
"""

from __future__ import annotations

import numpy as np

from valgus.config import Config
from valgus.scoring.baseline import BASELINE_KEYS, ONE_LEG, standing_baseline
from valgus.scoring.camera import camera_check
from valgus.scoring.exercise import find_reps, other_movements
from valgus.scoring.flags import knee_category, score_rep
from valgus.scoring.results import (
    EXERCISES,
    CameraCheck,
    ClipResult,
    Finding,
    Flag,
    LegSummary,
    RepScore,
    leg_summaries,
    left_right_fppa,
)
from valgus.scoring.signals import depth_signals
from valgus.scoring.verdict import Verdict, asymmetry, other_movement_finding, verdict
from valgus.types import PoseTrack, VideoInfo

__all__ = [
    "BASELINE_KEYS", "EXERCISES", "ONE_LEG", "CameraCheck", "ClipResult", "Finding", "Flag", "LegSummary",
    "RepScore", "Verdict", "knee_category", "left_right_fppa", "score_clip", "verdict",
]


def score_clip(
    track: PoseTrack, metrics: dict[str, np.ndarray], info: VideoInfo, config: Config, *,
    frames_with_several: int = 0, exercise: str | None = None, baseline: dict[str, float] | None = None,
) -> ClipResult:
    """Recognise the exercise, segment and score reps, check the camera and give the verdict.

    Args:
        track: the subject's (smoothed) landmark track; metrics: its per-frame metrics.
        info: the video; config: settings.
        frames_with_several: frames in which more than one person was seen.
        exercise: force the exercise instead of recognising it.
        baseline: standing values from a calibration clip (its ``ClipResult.baseline``); its
            finite values replace this clip's own.
    """
    t = metrics["time_s"]
    sig = depth_signals(metrics, config.recognition)
    named = find_reps(t, metrics, config, exercise, signals=sig)
    reps = [r for r, _, _ in named]
    base = standing_baseline(metrics, reps, sig, config.recognition)
    if baseline:
        base.update({k: float(v) for k, v in baseline.items() if k in base and np.isfinite(v)})
    cam = camera_check(track, metrics, info, config, reps=named, signals=sig, frames_with_several=frames_with_several)
    # values stay reported, but no flag is raised from a view that cannot support it
    scored = [score_rep(k + 1, rep, ex, side, metrics, base, config, assessed=cam.ok,
                        depth=sig.rise if ex == "step_up" else sig.drop)
              for k, (rep, ex, side) in enumerate(named)]
    exs = sorted({r.exercise for r in scored})
    ex_name = exercise or ("+".join(exs) if exs else "unknown")
    v = verdict(scored, cam, config.thresholds)
    legs = leg_summaries(scored)
    findings = v.findings + (tuple(asymmetry(legs, config.thresholds)) if v.kind != "cannot assess" else ())
    other = other_movement_finding(other_movements(t, metrics, config, sig)) if exercise is None else None
    findings += (other,) if other is not None else ()
    return ClipResult(ex_name, tuple(scored), cam, base, v.kind, findings, v.plan_recommended, tuple(legs))
