"""Result types of scoring: flags, findings, scored reps, the camera check and the clip result.

Decisions are data: every type here carries values, thresholds and codes, never sentences. The
presentation layer (:mod:`valgus.present.words`) turns them into words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from valgus.landmarks import SIDES

Exercise = Literal["squat", "single_leg_squat", "step_up"]
#: The exercises valgus recognises and judges, in one place.
EXERCISES: tuple[str, ...] = ("squat", "single_leg_squat", "step_up")
Category = Literal["none", "borderline", "mild", "marked"]
CATEGORY_ORDER: dict[str, int] = {"none": 0, "borderline": 1, "mild": 2, "marked": 3}
VerdictKind = Literal["knee valgus with hip signs", "knee valgus without hip signs", "no valgus", "cannot assess"]
VERDICTS: tuple[str, ...] = ("knee valgus with hip signs", "knee valgus without hip signs", "no valgus", "cannot assess")
Leg = Literal["left", "right", "both"]


def other_side(side: str) -> str:
    """The other leg: ``"left"`` <-> ``"right"``."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    return "right" if side == "left" else "left"


def at_least(category: str, level: str) -> bool:
    """True if ``category`` is ``level`` or worse (e.g. ``at_least("marked", "mild")``)."""
    return CATEGORY_ORDER[category] >= CATEGORY_ORDER[level]


@dataclass(frozen=True)
class Flag:
    """One finding on one rep and leg."""

    name: str  # dynamic_knee_valgus | knee_medial_to_foot | pelvic_drop | trunk_lean | shallow_depth
    category: Category
    value: float
    threshold: float  # the 'mild' threshold the value is compared with
    band: float  # +- uncertainty of the value
    source: str  # the literature source of the threshold (a citation, kept with the number)
    basis: str  # what the value is (e.g. "FPPA change from standing")
    leg: str = "both"  # the leg the finding is about: left, right or both
    # False when the camera view cannot support the finding, or the measurement did not pass
    # validation (pelvic drop, see ThresholdConfig.pelvic_drop_in_verdict): reported, not used.
    assessed: bool = True

    def __post_init__(self) -> None:
        if self.category not in CATEGORY_ORDER:
            raise ValueError(f"category must be one of {tuple(CATEGORY_ORDER)}, got {self.category!r}")
        if self.leg not in (*SIDES, "both"):
            raise ValueError(f"leg must be left, right or both, got {self.leg!r}")


@dataclass(frozen=True)
class Finding:
    """A structured fact behind a verdict or a camera check: a code and its numbers.

    ``code`` names the rule (see :mod:`valgus.present.words` for the sentence of each); ``reps``
    the rep numbers it is about; ``data`` any further values (degrees, counts, legs).
    """

    code: str
    reps: tuple[int, ...] = ()
    leg: str | None = None
    value: float = math.nan
    threshold: float = math.nan
    data: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.data).get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reps": list(self.reps), "leg": self.leg, "value": self.value,
                "threshold": self.threshold, **dict(self.data)}


def finding(code: str, *, reps: tuple[int, ...] | list[int] = (), leg: str | None = None, value: float = math.nan,
            threshold: float = math.nan, **data: Any) -> Finding:
    """Build a :class:`Finding` with keyword data."""
    return Finding(code, tuple(reps), leg, float(value), float(threshold), tuple(sorted(data.items())))


@dataclass(frozen=True)
class RepScore:
    """A scored rep."""

    number: int
    exercise: str
    working_leg: str  # "left", "right" or "both"
    t_start: float
    t_deepest: float
    t_end: float
    frame_start: int
    frame_deepest: int
    frame_end: int
    partial: bool
    depth: float  # leg lengths below standing at the deepest frame
    values: dict[str, dict[str, float]]  # leg -> metric -> value (at deepest, peak, raw, change)
    flags: list[Flag] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise ValueError(f"exercise must be one of {EXERCISES}, got {self.exercise!r}")
        if self.working_leg not in (*SIDES, "both"):
            raise ValueError(f"working_leg must be left, right or both, got {self.working_leg!r}")
        if not self.frame_start <= self.frame_deepest <= self.frame_end:
            raise ValueError(f"rep frames out of order: {self.frame_start}, {self.frame_deepest}, {self.frame_end}")

    @property
    def legs(self) -> tuple[str, ...]:
        """The leg(s) this rep works: both for a squat, else the working leg."""
        return tuple(SIDES) if self.working_leg == "both" else (self.working_leg,)

    def worst(self, name: str, leg: str | None = None) -> Category:
        """The worst category of flag ``name`` (for ``leg``, counting flags about both legs)."""
        cats = [f.category for f in self.flags
                if f.assessed and f.name == name and (leg is None or f.leg in (leg, "both"))]
        return max(cats, key=lambda c: CATEGORY_ORDER[c]) if cats else "none"

    def flagged_legs(self) -> str:
        """The leg(s) whose valgus flag is mild or worse: "left", "right" or "both"."""
        legs = {f.leg for f in self.flags if f.name == "dynamic_knee_valgus" and f.assessed
                and at_least(f.category, "mild")}
        if "both" in legs or legs == {"left", "right"}:
            return "both"
        return next(iter(legs)) if legs else self.working_leg


def complete_reps(reps: list[RepScore]) -> list[RepScore]:
    """The reps to judge: the complete ones, or all of them when every rep is partial."""
    full = [r for r in reps if not r.partial]
    return full or list(reps)


def n_complete(reps: list[RepScore]) -> int:
    return sum(not r.partial for r in reps)


@dataclass(frozen=True)
class CameraCheck:
    """Whether the view supports a frontal-plane verdict. ``problems`` make it fail; ``notes``
    are worth saying but do not (codes and numbers; words in :mod:`valgus.present.words`)."""

    view: str  # frontal | oblique | side | unknown
    yaw_deg: float
    problems: tuple[Finding, ...] = ()
    notes: tuple[Finding, ...] = ()
    yaw_se_deg: float = float("nan")  # standard error of the yaw estimate (its spread over time)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class LegSummary:
    """One leg's complete reps of one exercise, averaged (for left-right comparison)."""

    exercise: str
    leg: str  # "left" or "right"
    n_reps: int
    fppa_deg: float  # mean FPPA at the deepest frames
    fppa_deg_change: float  # mean change from standing
    knee_medial_offset: float  # mean knee offset from the foot, leg lengths
    valgus_reps: int  # reps with an assessed mild-or-worse valgus flag on this leg

    def __post_init__(self) -> None:
        if self.leg not in SIDES:
            raise ValueError(f"leg must be left or right, got {self.leg!r}")
        if self.n_reps < 1 or not 0 <= self.valgus_reps <= self.n_reps:
            raise ValueError(f"bad rep counts: {self.n_reps} reps, {self.valgus_reps} with valgus")


def leg_summaries(reps: list[RepScore]) -> list[LegSummary]:
    """Per exercise and leg, the mean of the complete reps' values (a bilateral squat counts for
    both legs; a single-leg squat or step-up for its working leg)."""
    groups: dict[tuple[str, str], list[RepScore]] = {}
    for r in reps:
        if r.partial:
            continue
        for leg in r.legs:
            groups.setdefault((r.exercise, leg), []).append(r)
    out = []
    for (ex, leg), rs in sorted(groups.items()):
        def mean(key: str) -> float:
            v = np.array([r.values[leg].get(key, np.nan) for r in rs], dtype=np.float64)
            return float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")

        n_valgus = sum(at_least(r.worst("dynamic_knee_valgus", leg), "mild") for r in rs)
        out.append(LegSummary(ex, leg, len(rs), mean("fppa_deg"), mean("fppa_deg_change"),
                              mean("knee_medial_offset"), n_valgus))
    return out


def left_right_fppa(legs: list[LegSummary]) -> dict[str, tuple[float, float]]:
    """Exercise -> (left, right) mean FPPA, for the single-leg exercises done on both legs.

    Single-leg tasks only: in a bilateral squat raw FPPA from MediaPipe's hip landmark is not the
    valgus measure (it reads far negative at depth on real clips, RESEARCH.md; knee width is).
    """
    by = {(x.exercise, x.leg): x.fppa_deg for x in legs}
    out = {}
    for ex in sorted({x.exercise for x in legs} - {"squat"}):
        lf, rt = by.get((ex, "left"), np.nan), by.get((ex, "right"), np.nan)
        if np.isfinite(lf) and np.isfinite(rt):
            out[ex] = (lf, rt)
    return out


@dataclass(frozen=True)
class ClipResult:
    """Reps, camera check and the verdict for one clip (all data; words come later)."""

    exercise: str  # the exercise(s) found, "+"-joined, or "unknown"
    reps: tuple[RepScore, ...]
    camera: CameraCheck
    baseline: dict[str, float]
    verdict: VerdictKind
    findings: tuple[Finding, ...]  # why: the verdict's rules that fired, in order
    plan_recommended: bool  # hip signs were found: the hip-strengthening plan applies
    legs: tuple[LegSummary, ...] = ()  # per exercise and leg, complete reps

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @property
    def n_reps(self) -> int:
        """Complete reps."""
        return n_complete(list(self.reps))
