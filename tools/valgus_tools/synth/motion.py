"""Parametric exercise motions: double-leg squat, single-leg squat and step-up, and two
movements that are none of them (forward lunge, sit-to-stand) for checking that they are refused.

A motion is a function of time that gives a :class:`~valgus_tools.synth.kinematics.BodyPose` per frame,
plus the rep timeline. Dynamic valgus is produced as it happens in people: with the foot planted
the knee swings medially about the hip-ankle axis (``valgus_*_deg`` is that swing at the deepest
point of a rep, scaled by depth), so hip adduction and internal rotation rise together.
Femoral rotation on its own (``hip_ir_*_deg``) turns the thigh about its long axis with the hip,
knee and ankle centres where they are (the tibia stays with the planted foot), so hip internal
rotation can vary independently of the knee swing, the pelvic drop and the trunk lean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from valgus_tools.synth.body import BodyModel
from valgus_tools.synth.kinematics import (
    ARM_PRESETS,
    ArmAngles,
    SIDES,
    BodyPose,
    LegTarget,
    Rig,
    rx,
    ry,
    rz,
    side_sign,
)
from valgus_tools.synth.render import Box

F64 = NDArray[np.float64]
Exercise = Literal["squat", "single_leg_squat", "step_up", "lunge", "sit_to_stand"]
Side = Literal["left", "right"]
#: The exercises valgus judges.
EXERCISES: tuple[str, ...] = ("squat", "single_leg_squat", "step_up")
#: Movements that are none of them: the product must refuse them, not force them into one.
OTHER_MOVEMENTS: tuple[str, ...] = ("lunge", "sit_to_stand")
FREE_LEG: tuple[str, ...] = ("behind", "front", "side")
VALGUS_TIMING: tuple[str, ...] = ("bottom", "descent", "ascent", "descent_ascent")

#: Fields added after the first sample clips were made. They are left out of a truth file's
#: ``generator.motion`` while they hold their defaults, so every earlier clip stays byte-identical.
LATER_FIELDS: dict[str, object] = {
    "free_leg": "behind", "valgus_timing": "bottom", "hip_ir_left_deg": 0.0,
    "hip_ir_right_deg": 0.0, "lead_stays_on_box": False, "start_s": 0.0, "end_s": None,
}


@dataclass(frozen=True)
class MotionParams:
    """Parameters of one exercise set. Angles in degrees, lengths in metres, times in seconds.

    ``side`` is the working leg: the stance leg of a single-leg squat, the lead leg of a step-up
    (ignored for the double-leg squat). ``valgus_left_deg`` / ``valgus_right_deg``: medial knee
    swing about the hip-ankle axis at the deepest point. ``pelvic_drop_deg``: contralateral
    pelvic drop (the free side drops) at depth in single-leg stance. ``trunk_lean_deg``: lateral
    trunk lean toward the stance leg at depth (for the squat: toward ``side``). These faults
    are applied on the reps listed in ``fault_reps`` (1-based; ``None`` = every rep).

    Timing: a rep lasts ``descent_s + pause_bottom_s + ascent_s + pause_top_s`` after a
    ``lead_in_s`` of standing. A step-up uses only that total: lead foot onto the box (18 %),
    rise onto it (30 %), stand (8 %), lower (27 %), lead foot back down (15 %). ``depth_deg`` is
    the working knee's peak flexion for the squats; for the step-up the box height sets it.

    Variants (defaults give the original motions exactly):

    * ``free_leg`` (single-leg squat): ``"behind"`` (knee bent, foot behind), ``"front"`` (hip
      and knee flexed, foot in front and off the floor) or ``"side"`` (hip abducted, foot out to
      the side and off the floor).
    * ``valgus_timing``: when the knee swing happens within a rep: ``"bottom"`` (rises with
      depth, peak at the deepest point), ``"descent"`` (peak half-way down, knees back over the
      feet at the bottom and on the way up), ``"ascent"`` (only on the way up, peak half-way up)
      or ``"descent_ascent"`` (half-way down and half-way up, back over the feet at the bottom).
      Step-ups use ``"bottom"`` only.
    * ``hip_ir_left_deg`` / ``hip_ir_right_deg``: femoral internal (+) / external (-) rotation
      about the thigh's long axis at the deepest point, scaled by depth like the valgus swing and
      applied on ``fault_reps``; the hip, knee and ankle centres do not move (the tibia keeps its
      orientation with the planted foot), so it is independent of the knee swing.
    * ``lead_stays_on_box`` (step-up): the lead foot goes onto the box in the first rep and
      stays there until the last rep ends; between reps the trailing foot touches the floor.
    * ``start_s`` / ``end_s``: the clip shows only this stretch of the motion (a clip that
      starts and/or ends mid-rep); ``end_s=None`` = to the end.
    * ``exercise="lunge"``: forward lunge, ``side`` steps forward; ``"sit_to_stand"``: sit down
      on a seat behind and stand up again (``depth_deg`` = knee flexion when seated).
    """

    exercise: Exercise = "squat"
    side: Side = "left"
    reps: int = 3
    depth_deg: float = 90.0
    descent_s: float = 1.2
    ascent_s: float = 1.0
    pause_bottom_s: float = 0.2
    pause_top_s: float = 0.5
    lead_in_s: float = 0.7
    stance_width: float = 0.34
    toe_out_deg: float = 5.0
    valgus_left_deg: float = 0.0
    valgus_right_deg: float = 0.0
    fault_reps: tuple[int, ...] | None = None
    pelvic_drop_deg: float = 0.0
    trunk_lean_deg: float = 0.0
    trunk_flexion_deg: float = 30.0
    arms: str = "crossed"
    box_height: float = 0.25
    free_leg: str = "behind"
    valgus_timing: str = "bottom"
    hip_ir_left_deg: float = 0.0
    hip_ir_right_deg: float = 0.0
    lead_stays_on_box: bool = False
    start_s: float = 0.0
    end_s: float | None = None

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES + OTHER_MOVEMENTS:
            raise ValueError(f"exercise must be one of {EXERCISES + OTHER_MOVEMENTS}, got {self.exercise!r}")
        if self.free_leg not in FREE_LEG:
            raise ValueError(f"free_leg must be one of {FREE_LEG}, got {self.free_leg!r}")
        if self.valgus_timing not in VALGUS_TIMING:
            raise ValueError(f"valgus_timing must be one of {VALGUS_TIMING}, got {self.valgus_timing!r}")
        if self.exercise == "step_up" and self.valgus_timing != "bottom":
            raise ValueError("step-ups support valgus_timing='bottom' only")
        for name in ("hip_ir_left_deg", "hip_ir_right_deg"):
            if not -30 <= getattr(self, name) <= 30:
                raise ValueError(f"{name} must be in [-30, 30], got {getattr(self, name)}")
        end = self.duration if self.end_s is None else self.end_s
        if not 0 <= self.start_s < end <= self.duration + 1e-9:
            raise ValueError(f"need 0 <= start_s < end_s <= duration ({self.duration:.2f} s), "
                             f"got start_s={self.start_s}, end_s={self.end_s}")
        if self.side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', got {self.side!r}")
        if not 1 <= self.reps <= 50:
            raise ValueError(f"reps must be in [1, 50], got {self.reps}")
        if not 10 <= self.depth_deg <= 130:
            raise ValueError(f"depth_deg must be in [10, 130], got {self.depth_deg}")
        if self.arms not in ARM_PRESETS:
            raise ValueError(f"arms must be one of {sorted(ARM_PRESETS)}, got {self.arms!r}")
        for name in ("valgus_left_deg", "valgus_right_deg"):
            if not -20 <= getattr(self, name) <= 35:
                raise ValueError(f"{name} must be in [-20, 35], got {getattr(self, name)}")
        if not 0.1 <= self.box_height <= 0.5:
            raise ValueError(f"box_height must be in [0.1, 0.5] m, got {self.box_height}")

    @property
    def rep_duration(self) -> float:
        return self.descent_s + self.pause_bottom_s + self.ascent_s + self.pause_top_s

    @property
    def duration(self) -> float:
        """The whole motion, seconds (the clip may show only part of it: ``start_s``/``end_s``)."""
        return self.lead_in_s + self.reps * self.rep_duration

    def frame_range(self, fps: float) -> tuple[int, int]:
        """(first motion frame, number of frames) that the clip shows at ``fps``."""
        j0 = int(round(self.start_s * fps))
        j1 = int(round((self.duration if self.end_s is None else self.end_s) * fps))
        return j0, j1 - j0

    def faults_on(self, rep: int) -> bool:
        """Whether rep ``rep`` (1-based) has the faults (valgus, pelvic drop, trunk lean)."""
        return rep > 0 and (self.fault_reps is None or rep in self.fault_reps)

    def box(self) -> Box | None:
        if self.exercise == "sit_to_stand":
            return Box(centre_x=0.0, centre_z=-0.50, width=0.50, depth=0.42, height=self.box_height)
        if self.exercise != "step_up":
            return None
        return Box(centre_x=side_sign(self.side) * 0.13, centre_z=0.36, height=self.box_height)


@dataclass
class FrameState:
    """What the motion intends at one instant (beside the pose itself)."""

    rep: int  # 1-based rep number, 0 before the first rep starts
    phase: float  # position within the rep in [0, 1)
    loaded: float  # 1 = working leg bears the load (single-leg stance), 0 = not
    swing: dict[str, float] = field(default_factory=dict)


def _smooth(u: F64 | float) -> F64 | float:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def _ramp(u: float, a: float, b: float) -> float:
    return float(_smooth((u - a) / (b - a)))


class Motion:
    """Poses of ``body`` over time for ``params``."""

    def __init__(self, body: BodyModel, params: MotionParams) -> None:
        self.body = body
        self.p = params
        self.rig = Rig.of(body)

    # --- timeline -------------------------------------------------------------------------
    def rep_at(self, t: float) -> tuple[int, float]:
        """(1-based rep, phase in [0, 1)) at time ``t``; rep 0 during the lead-in."""
        p = self.p
        if t < p.lead_in_s:
            return 0, 0.0
        k = (t - p.lead_in_s) / p.rep_duration
        rep = min(int(k), p.reps - 1)
        return rep + 1, min(k - rep, 1.0)

    def depth_at(self, phase: float) -> float:
        """Squat depth profile in [0, 1] within a rep (0 standing, 1 deepest)."""
        p = self.p
        t = phase * p.rep_duration
        if t < p.descent_s:
            return float(_smooth(t / p.descent_s))
        t -= p.descent_s
        if t < p.pause_bottom_s:
            return 1.0
        t -= p.pause_bottom_s
        if t < p.ascent_s:
            return float(1 - _smooth(t / p.ascent_s))
        return 0.0

    # --- helpers --------------------------------------------------------------------------
    def _pelvis_height(self, side: str, ankle: F64, rot: F64, xz: F64, flex_deg: float) -> float:
        """Pelvis-centre height that gives ``side``'s knee ``flex_deg`` with its ankle at
        ``ankle`` and the pelvis centre at horizontal position ``xz`` = (x, z)."""
        r = self.rig
        lt, ls = r.thigh_length[side], r.shank_length[side]
        d = np.sqrt(lt**2 + ls**2 + 2 * lt * ls * np.cos(np.radians(flex_deg)))
        off = rot @ r.hip_offset[side]
        dx = xz[0] + off[0] - ankle[0]
        dz = xz[1] + off[2] - ankle[2]
        return float(ankle[1] - off[1] + np.sqrt(max(d**2 - dx**2 - dz**2, 0.0)))

    def _free_ankle(self, side: str, pelvis_pos: F64, rot: F64, hip_flex: float, knee_flex: float,
                    abduction: float = 0.0) -> F64:
        r = self.rig
        hip_rot = rx(-hip_flex) if abduction == 0.0 else rz(side_sign(side) * abduction) @ rx(-hip_flex)
        thigh = hip_rot @ np.array([0.0, -1.0, 0.0])
        shank = hip_rot @ rx(knee_flex) @ np.array([0.0, -1.0, 0.0])
        hip = pelvis_pos + rot @ r.hip_offset[side]
        return hip + rot @ (r.thigh_length[side] * thigh + r.shank_length[side] * shank)

    @staticmethod
    def _ahead(rot: F64) -> F64:
        """Horizontal forward direction of a pelvis rotation: a healthy knee tracks straight
        ahead (swing 0); the valgus swing is measured from there."""
        f = rot @ np.array([0.0, 0.0, 1.0])
        f[1] = 0.0
        return f / np.linalg.norm(f)

    def _foot(self, side: str) -> F64:
        return ry(side_sign(side) * self.p.toe_out_deg)

    def _swing(self, side: str, rep: int, amount: float) -> float:
        v = self.p.valgus_left_deg if side == "left" else self.p.valgus_right_deg
        return v * amount if self.p.faults_on(rep) else 0.0

    def _hip_ir(self, side: str, rep: int, amount: float) -> float:
        v = self.p.hip_ir_left_deg if side == "left" else self.p.hip_ir_right_deg
        return v * amount if self.p.faults_on(rep) else 0.0

    def swing_amount(self, phase: float) -> float:
        """Share of the valgus swing at ``phase`` of a rep for ``valgus_timing`` (squats)."""
        p = self.p
        if p.valgus_timing == "bottom":
            return self.depth_at(phase)
        t = phase * p.rep_duration
        down = float(np.sin(np.pi * t / p.descent_s)) if t < p.descent_s else 0.0
        t_up = t - p.descent_s - p.pause_bottom_s
        up = float(np.sin(np.pi * t_up / p.ascent_s)) if 0 <= t_up < p.ascent_s else 0.0
        if p.valgus_timing == "descent":
            return down
        if p.valgus_timing == "ascent":
            return up
        return down + up

    # --- poses ----------------------------------------------------------------------------
    def pose_at(self, t: float) -> tuple[BodyPose, FrameState]:
        rep, phase = self.rep_at(t)
        if self.p.exercise == "squat":
            return self._squat(rep, phase)
        if self.p.exercise == "single_leg_squat":
            return self._single_leg(rep, phase)
        if self.p.exercise == "lunge":
            return self._lunge(rep, phase)
        if self.p.exercise == "sit_to_stand":
            return self._sit_to_stand(rep, phase)
        return self._step_up(rep, phase)

    def _arms(self) -> dict[str, ArmAngles]:
        return {s: ARM_PRESETS[self.p.arms] for s in SIDES}

    def _squat(self, rep: int, phase: float) -> tuple[BodyPose, FrameState]:
        p, r = self.p, self.rig
        s = self.depth_at(phase) if rep else 0.0
        flex = 3.0 + s * (p.depth_deg - 3.0)
        ankles = {
            side: np.array([side_sign(side) * p.stance_width / 2, r.ankle_height, 0.0])
            for side in SIDES
        }
        depth_frac = p.depth_deg / 90.0
        rot = rx(10.0 * s * depth_frac)
        xz = np.array([0.0, -0.42 * r.thigh_length["left"] * s * depth_frac])
        y = min(self._pelvis_height(sd, ankles[sd], rot, xz, flex) for sd in SIDES)
        f = float(p.faults_on(rep))
        lean = side_sign(p.side) * p.trunk_lean_deg * s * f
        trunk = rz(-lean) @ rx(p.trunk_flexion_deg * s * depth_frac)
        amount = self.swing_amount(phase) if rep else 0.0
        swing = {sd: self._swing(sd, rep, amount) for sd in SIDES}
        legs = {
            sd: LegTarget(ankle=ankles[sd], swing_deg=swing[sd], foot_rotation=self._foot(sd),
                          knee_forward=self._ahead(rot), thigh_rotation_deg=self._hip_ir(sd, rep, s))
            for sd in SIDES
        }
        pose = BodyPose(np.array([xz[0], y, xz[1]]), rot, trunk, legs, self._arms())
        return pose, FrameState(rep, phase, 0.0, swing)

    def _single_leg(self, rep: int, phase: float) -> tuple[BodyPose, FrameState]:
        p, r = self.p, self.rig
        st = p.side
        fr = "right" if st == "left" else "left"
        sg = side_sign(st)
        s = self.depth_at(phase) if rep else 0.0
        flex = 4.0 + s * (p.depth_deg - 4.0)
        ankle = np.array([sg * 0.10, r.ankle_height, 0.0])
        f = float(p.faults_on(rep))
        rot = rz(sg * p.pelvic_drop_deg * s * f) @ rx(8.0 * s)
        xz = np.array([sg * 0.075, -0.30 * r.thigh_length[st] * s * p.depth_deg / 90.0])
        y = self._pelvis_height(st, ankle, rot, xz, flex)
        pos = np.array([xz[0], y, xz[1]])
        # The shoulders stay nearly level when the pelvis drops (0.7 of the drop is taken back).
        lean = p.trunk_lean_deg + 0.7 * p.pelvic_drop_deg
        trunk = rz(-sg * lean * s * f) @ rx(p.trunk_flexion_deg * 0.8 * s)
        amount = self.swing_amount(phase) if rep else 0.0
        swing = {st: self._swing(st, rep, amount), fr: 0.0}
        if p.free_leg == "behind":
            free_ankle = self._free_ankle(fr, pos, rot, 20.0 + 20.0 * s, 90.0 + 15.0 * s)
        elif p.free_leg == "front":
            free_ankle = self._free_ankle(fr, pos, rot, 45.0 + 30.0 * s, 45.0 - 25.0 * s)
        else:
            free_ankle = self._free_ankle(fr, pos, rot, 10.0 + 15.0 * s, 25.0 + 20.0 * s,
                                          abduction=25.0 + 10.0 * s)
        if p.free_leg != "behind":
            # Held clear of the floor: never lower than 5 cm above standing height.
            free_ankle[1] = max(free_ankle[1], r.ankle_height + 0.05)
        legs = {
            st: LegTarget(ankle=ankle, swing_deg=swing[st], foot_rotation=self._foot(st),
                          knee_forward=self._ahead(rot), thigh_rotation_deg=self._hip_ir(st, rep, s)),
            fr: LegTarget(ankle=free_ankle, knee_forward=rot @ np.array([0.0, 0.0, 1.0])),
        }
        pose = BodyPose(pos, rot, trunk, legs, self._arms())
        return pose, FrameState(rep, phase, 1.0, swing)

    def _step_up(self, rep: int, phase: float) -> tuple[BodyPose, FrameState]:
        """Lead foot onto the box, rise onto it (trailing foot lifts), lower, step back down."""
        p, r = self.p, self.rig
        ld = p.side
        tr = "right" if ld == "left" else "left"
        sg = side_sign(ld)
        box = p.box()
        assert box is not None
        floor = {sd: np.array([side_sign(sd) * 0.13, r.ankle_height, 0.0]) for sd in SIDES}
        on_box = np.array([sg * 0.13, box.height + r.ankle_height, box.centre_z - 0.02])
        u = phase if rep else 0.0
        # With lead_stays_on_box the foot is already up (after rep 1) and stays up (before the last).
        stay_up = p.lead_stays_on_box and rep > 1
        stay_on = p.lead_stays_on_box and 0 < rep < p.reps
        # Lead foot: up in [0, .18], on the box until .85, back down in [.85, 1].
        if (u < 0.18 and stay_up) or (u >= 0.85 and stay_on):
            lead = on_box
        elif u < 0.18:
            k = _ramp(u, 0.0, 0.18)
            lead = floor[ld] + k * (on_box - floor[ld])
            lead = lead + np.array([0.0, 0.12 * np.sin(np.pi * k), 0.0])
        elif u < 0.85:
            lead = on_box
        else:
            k = _ramp(u, 0.85, 1.0)
            lead = on_box + k * (floor[ld] - on_box)
            lead = lead + np.array([0.0, 0.12 * np.sin(np.pi * k), 0.0])
        # Rise v: 0 standing on the floor, 1 standing on the box.
        if u < 0.2:
            v = 0.0
        elif u < 0.5:
            v = _ramp(u, 0.2, 0.5)
        elif u < 0.58:
            v = 1.0
        elif u < 0.85:
            v = 1.0 - _ramp(u, 0.58, 0.85)
        else:
            v = 0.0
        # Single-leg load on the lead leg while the trailing foot is off the floor.
        loaded = _ramp(v, 0.0, 0.08) if 0.2 <= u < 0.85 else 0.0
        f = float(p.faults_on(rep))
        drop = sg * p.pelvic_drop_deg * loaded * f
        rot = rz(drop) @ rx(12.0 * np.sin(np.pi * v))
        stand_y = self._pelvis_height(ld, floor[ld], np.eye(3), np.zeros(2), 3.0)
        top_xz = np.array([sg * 0.06, on_box[2] - 0.02])
        top_y = self._pelvis_height(ld, on_box, rot, top_xz, 4.0)
        xz = v * top_xz
        y = (1 - v) * stand_y + v * top_y
        # Keep the lead leg within reach with its knee bent at least a little.
        y = min(y, self._pelvis_height(ld, lead, rot, xz, 4.0))
        pos = np.array([xz[0], y, xz[1]])
        lean = p.trunk_lean_deg + 0.7 * p.pelvic_drop_deg
        trunk = rz(-sg * lean * loaded * f) @ rx(25.0 * np.sin(np.pi * v))
        free = self._free_ankle(tr, pos, rot, 25.0, 70.0)
        lift = _ramp(v, 0.05, 0.6)
        trail = (1 - lift) * floor[tr] + lift * free
        trail[1] = max(trail[1], r.ankle_height)
        # The valgus swing is full while the lead knee is deeply bent and fades on the way up.
        lead_flex_frac = float(np.clip((1.0 - v) / 0.6, 0.0, 1.0))
        swing = {ld: self._swing(ld, rep, loaded * lead_flex_frac), tr: 0.0}
        legs = {
            ld: LegTarget(ankle=lead, swing_deg=swing[ld], foot_rotation=self._foot(ld),
                          knee_forward=self._ahead(rot),
                          thigh_rotation_deg=self._hip_ir(ld, rep, loaded * lead_flex_frac)),
            tr: LegTarget(
                ankle=trail,
                foot_rotation=self._foot(tr) @ rx(45.0 * lift),
                knee_forward=rot @ np.array([0.0, 0.0, 1.0]),
            ),
        }
        pose = BodyPose(pos, rot, trunk, legs, self._arms())
        return pose, FrameState(rep, phase, loaded, swing)

    def _lunge(self, rep: int, phase: float) -> tuple[BodyPose, FrameState]:
        """Forward lunge: ``side`` steps forward (0-20 % of the rep), both knees bend
        (20-50 %), hold, rise (55-80 %), and the lead foot steps back (80-100 %).
        ``depth_deg`` is the lead knee's peak flexion. Not one of the judged exercises."""
        p, r = self.p, self.rig
        ld = p.side
        tr = "right" if ld == "left" else "left"
        leg_len = r.thigh_length[ld] + r.shank_length[ld]
        floor = {sd: np.array([side_sign(sd) * 0.11, r.ankle_height, 0.0]) for sd in SIDES}
        fwd = floor[ld] + np.array([0.0, 0.0, 0.80 * leg_len])
        u = phase if rep else 0.0
        if u < 0.2:
            k = _ramp(u, 0.0, 0.2)
        elif u < 0.8:
            k = 1.0
        else:
            k = 1.0 - _ramp(u, 0.8, 1.0)
        lead = floor[ld] + k * (fwd - floor[ld])
        if u < 0.2 or u >= 0.8:
            lead = lead + np.array([0.0, 0.08 * np.sin(np.pi * k), 0.0])
        if u < 0.2:
            d = 0.0
        elif u < 0.5:
            d = _ramp(u, 0.2, 0.5)
        elif u < 0.55:
            d = 1.0
        elif u < 0.8:
            d = 1.0 - _ramp(u, 0.55, 0.8)
        else:
            d = 0.0
        # The trailing heel rises as the body goes down: ankle up and the foot pitched.
        trail = floor[tr] + np.array([0.0, 0.07 * d, -0.05 * d])
        rot = rx(6.0 * d)
        xz = np.array([0.0, 0.45 * (lead[2] - floor[tr][2]) - 0.04 * d])
        flex = 4.0 + d * (p.depth_deg - 4.0)
        y = min(self._pelvis_height(ld, lead, rot, xz, flex),
                self._pelvis_height(tr, trail, rot, xz, 4.0))
        pos = np.array([xz[0], y, xz[1]])
        trunk = rx(8.0 * d)
        legs = {
            ld: LegTarget(ankle=lead, foot_rotation=self._foot(ld), knee_forward=self._ahead(rot)),
            tr: LegTarget(ankle=trail, foot_rotation=self._foot(tr) @ rx(35.0 * d),
                          knee_forward=self._ahead(rot)),
        }
        pose = BodyPose(pos, rot, trunk, legs, self._arms())
        return pose, FrameState(rep, phase, 0.0, {ld: 0.0, tr: 0.0})

    def _sit_to_stand(self, rep: int, phase: float) -> tuple[BodyPose, FrameState]:
        """Sit down on the seat behind (``box_height`` high) and stand up again; the trunk leans
        forward most while the hips leave or reach the seat. ``depth_deg`` = knee flexion when
        seated. Not one of the judged exercises."""
        p, r = self.p, self.rig
        s = self.depth_at(phase) if rep else 0.0
        ankles = {sd: np.array([side_sign(sd) * 0.13, r.ankle_height, 0.0]) for sd in SIDES}
        rot = rx(12.0 * s)
        # Seated, the hips sit about a thigh length behind the knees, which are over the toes.
        xz = np.array([0.0, -0.95 * r.thigh_length["left"] * s])
        flex = 3.0 + s * (p.depth_deg - 3.0)
        y = min(self._pelvis_height(sd, ankles[sd], rot, xz, flex) for sd in SIDES)
        lean = 45.0 * np.sin(np.pi * min(s, 0.999)) + 10.0 * s
        trunk = rx(lean)
        legs = {sd: LegTarget(ankle=ankles[sd], foot_rotation=self._foot(sd),
                              knee_forward=self._ahead(rot)) for sd in SIDES}
        pose = BodyPose(np.array([xz[0], y, xz[1]]), rot, trunk, legs, self._arms())
        return pose, FrameState(rep, phase, 0.0, {sd: 0.0 for sd in SIDES})
