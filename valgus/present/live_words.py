"""Every sentence of the live view: set-up guide, countdown, rep cues, status lines and keys.

Decisions come from scoring (codes, flags and numbers); this module only says them, on screen
(short lines that fit a 640-pixel-wide window) and aloud (shorter still).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from valgus.scoring.results import RepScore, at_least

#: What to change, per camera-check code, in the order the guide asks for it (the first matters most).
GUIDE_FIX: dict[str, str] = {
    "no_person": "Step into the picture, whole body in view",
    "out_of_view": "Step back: feet out of view",
    "too_close": "Step back: too close",
    "too_small": "Come closer",
    "view": "Turn to face the camera",
}
GUIDE_ORDER = tuple(GUIDE_FIX)

KEYS_LINE = "q quit | space pause | c recalibrate | r reset | m mirror"
GUIDE_TITLE = "Set-up"
GUIDE_OK = "Good: whole body in view, facing the camera"
HOLD_STILL = "Stand tall on both feet and hold still"
MOVED = "You moved: counting again"
CALIBRATED = "Calibrated. Start your reps"
UNCALIBRATED = "Reps started before calibration: standing values from before the first rep"
RECALIBRATE = "Recalibrating: stand tall and hold still"
RESET = "Reset: reps and baseline cleared"
PAUSED = "Paused (space to go on)"

#: What to say aloud when a phase starts.
SPOKEN_PHASE = {
    "calibrate": "Good. Stand tall and hold still.",
    "exercise": "Calibrated. Start your reps.",
}


def guide_lines(problems: Sequence[str]) -> list[str]:
    """The guide's advice for the camera-check codes ``problems``, most important first."""
    known = [c for c in GUIDE_ORDER if c in problems]
    return [GUIDE_FIX[c] for c in known] or [GUIDE_OK]


def spoken_guide(problems: Sequence[str]) -> str | None:
    """The first piece of advice, to say aloud (None when all is well)."""
    known = [c for c in GUIDE_ORDER if c in problems]
    return GUIDE_FIX[known[0]] if known else None


def countdown_text(seconds_left: float) -> str:
    """``"Hold still: 3"`` (whole seconds, rounded up; never 0 while counting)."""
    return f"Hold still: {max(1, int(np.ceil(seconds_left - 1e-9)))}"


# -- rep cues -------------------------------------------------------------------------------------

_FIX = {
    "dynamic_knee_valgus": "push the knee out over the little toe",
    "knee_width": "push both knees out over the toes",
    "knee_medial_to_foot": "keep the knee over the middle of the foot",
    "pelvic_drop": "keep the hips level",
    "trunk_lean": "keep the trunk upright",
}


@dataclass(frozen=True)
class RepCue:
    """One rep's result in words: ``text`` for the screen, ``spoken`` for the voice and ``level``
    (the worst valgus category of the rep: none, borderline, mild, marked) for its colour."""

    text: str
    spoken: str
    level: str


def _leg_name(leg: str) -> str:
    return f"{leg} knee" if leg in ("left", "right") else "knees"


def rep_cue(rep: RepScore, number: int | None = None) -> RepCue:
    """What one rep showed, and what to change, e.g. ``"Rep 3, left knee caved in 14 deg: push
    the knee out over the little toe"``.

    The valgus flags decide (the same as the rep table's): for a single-leg squat or step-up the
    working knee's FPPA; for a squat the worse knee's FPPA change from standing, or the knee width
    against standing. Then a hip sign (pelvic drop, trunk lean) if one was flagged.
    """
    n = rep.number if number is None else number
    head = f"Rep {n}"
    if rep.working_leg != "both":
        head += f", {rep.working_leg} leg"
    valgus = [f for f in rep.flags if f.name == "dynamic_knee_valgus" and f.assessed and np.isfinite(f.value)]
    if any(f.name == "dynamic_knee_valgus" and not f.assessed for f in rep.flags) and not valgus:
        return RepCue(f"{head}: not judged (camera view)", f"{head}. Not judged.", "none")
    bad = [f for f in valgus if at_least(f.category, "mild")]
    level = rep.worst("dynamic_knee_valgus")
    hip = [f for f in rep.flags if f.name in ("pelvic_drop", "trunk_lean") and f.assessed
           and at_least(f.category, "mild")]
    if not bad:
        extra = f"; {_FIX[hip[0].name]}" if hip else ""
        words = "knees in line" if level == "none" else "knees about in line (borderline)"
        return RepCue(f"{head}: {words}{extra}", f"{head}. Good." if not hip else f"{head}. {_FIX[hip[0].name]}.",
                      level)
    per_knee = [f for f in bad if f.leg in ("left", "right")]
    if per_knee:
        f = max(per_knee, key=lambda x: x.value)
        what = f"{_leg_name(f.leg)} caved in {f.value:.0f} deg"
        fix = _FIX["dynamic_knee_valgus"]
        spoken = f"{f.leg.capitalize()} knee in. Push it out."
    else:
        f = bad[0]
        what = f"knees came {100 * (1 - f.value):.0f}% closer than standing"
        fix = _FIX["knee_width"]
        spoken = "Knees in. Push them out."
    text = f"Rep {n}, {what}: {fix}"
    if hip:
        text += f"; {_FIX[hip[0].name]}"
    return RepCue(text, f"Rep {n}. {spoken}", level)


def reps_line(reps: Sequence[RepScore]) -> str:
    """``"Reps: left leg 2 (1 caved in), right leg 3, both legs 1"``: reps per leg (a squat works
    both), with how many showed knee valgus."""
    if not reps:
        return "Reps: none yet"
    parts = []
    for leg in ("left", "right", "both"):
        mine = [r for r in reps if r.working_leg == leg]
        if not mine:
            continue
        caved = sum(at_least(r.worst("dynamic_knee_valgus"), "mild") for r in mine)
        parts.append(f"{leg} {'legs' if leg == 'both' else 'leg'} {len(mine)}" + (f" ({caved} caved in)" if caved else ""))
    return "Reps: " + ", ".join(parts)


def stats_lines(fps: float, latency_ms: float, dropped: int) -> list[str]:
    """The corner's performance lines."""
    lat = f"{latency_ms:.0f} ms" if np.isfinite(latency_ms) else "-"
    return [f"{fps:4.1f} fps", f"latency {lat}", f"dropped {dropped}"]


def exercise_warning(problems: Sequence[str]) -> str | None:
    """A camera problem while exercising (reps under it are not judged)."""
    known = [c for c in GUIDE_ORDER if c in problems]
    return f"{GUIDE_FIX[known[0]]} (reps not judged like this)" if known else None


__all__ = [
    "CALIBRATED", "GUIDE_FIX", "GUIDE_OK", "GUIDE_TITLE", "HOLD_STILL", "KEYS_LINE", "MOVED", "PAUSED",
    "RECALIBRATE", "RESET", "RepCue", "SPOKEN_PHASE", "UNCALIBRATED", "countdown_text", "exercise_warning",
    "guide_lines", "rep_cue", "reps_line", "spoken_guide", "stats_lines",
]
