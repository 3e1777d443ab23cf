"""What the overlay says about each knee in one frame, by the same rule as the rep flags."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from valgus.config import ThresholdConfig
from valgus.landmarks import SIDES
from valgus.present.annotate import KneeMark
from valgus.scoring.baseline import standing_value
from valgus.scoring.flags import knee_category


def knee_marks(row: Mapping[str, float], exercise: str | None, baseline: Mapping[str, float] | None,
               th: ThresholdConfig) -> dict[str, KneeMark]:
    """Per knee: its valgus category in this frame (:func:`valgus.scoring.flags.knee_category`,
    sex-aware, knee width for squats) and a label with the value that category rests on."""
    base = dict(baseline or {})
    khsr0 = base.get("knee_hip_sep_ratio", float("nan"))
    khsr = float(row.get("knee_hip_sep_ratio", float("nan")))
    width = khsr / khsr0 if np.isfinite(khsr0) and khsr0 > 0 else float("nan")
    out = {}
    for s in SIDES:
        fppa = float(row.get(f"{s}_fppa_deg", float("nan")))
        change = fppa - standing_value(base, s, "fppa_deg", exercise or "single_leg_squat")
        cat = knee_category(exercise, th, fppa=fppa, fppa_change=change, knee_width_vs_standing=width)
        shown = change if exercise == "squat" else fppa
        label = f"{s[0].upper()} {round(shown) + 0.0:+.0f}" if np.isfinite(shown) else ""  # + 0.0: no "-0"
        out[s] = KneeMark(cat, label)
    return out
