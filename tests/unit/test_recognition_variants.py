"""Recognition of the movements the main grid never made (issue 12), on synthetic signals.

Each test builds the per-frame columns that rep finding reads (hip height above the floor line,
each foot's raise, balance, feet split, trunk flexion) for one movement, with values like those
measured on the rendered variants grid, and checks the rule that decides it. Lengths are in leg
lengths, angles in degrees, 30 frames a second. Expected answers follow from the construction.
"""

from __future__ import annotations

import numpy as np
import pytest

from valgus.config import Config, RecognitionConfig
from valgus.scoring.exercise import find_reps, lead_stepped_up, planted_lead, seated_bottom, split_stance
from valgus.scoring.signals import depth_signals, two_feet_down
from valgus.temporal.reps import Rep

FPS = 30.0
RC = RecognitionConfig()  # foot_lift 0.08, foot_on_step 0.12, single_leg_balance 0.35


def _metrics(H: np.ndarray, *, fl: np.ndarray, fr: np.ndarray, balance: np.ndarray,
             split: np.ndarray | None = None, trunk: np.ndarray | None = None) -> dict[str, np.ndarray]:
    n = len(H)
    m = {"time_s": np.arange(n) / FPS, "frame": np.arange(n), "hip_above_floor": H, "balance": balance,
         "left_foot_raise": fl, "right_foot_raise": fr,
         "feet_split": np.zeros(n) if split is None else split,
         "trunk_flexion_deg": np.full(n, 10.0) if trunk is None else trunk}
    for s in ("left", "right"):
        m[f"{s}_knee_flexion_2d_deg"] = np.full(n, np.nan)
    return m


def _dips(n_reps: int, depth: float, rest_s: float = 1.0, rep_s: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Standing 1.0 with cosine dips of ``depth``; also the dip's shape 0..1 (1 at each bottom)."""
    seg, shape = [np.ones(int(rest_s * FPS))], [np.zeros(int(rest_s * FPS))]
    for _ in range(n_reps):
        k = np.arange(int(rep_s * FPS))
        s = 0.5 * (1 - np.cos(2 * np.pi * k / len(k)))
        seg += [1.0 - depth * s, np.ones(int(rest_s * FPS))]
        shape += [s, np.zeros(int(rest_s * FPS))]
    return np.concatenate(seg), np.concatenate(shape)


def _named(m: dict[str, np.ndarray], exercise: str | None = None) -> list[tuple[str, str]]:
    return [(ex, leg) for _, ex, leg in find_reps(m["time_s"], m, Config(), exercise)]


# --- two feet down -------------------------------------------------------------------------------

@pytest.mark.parametrize("fl, fr, bal, expected", [
    (0.0, 0.0, 0.5, True),     # both feet on the floor line, trunk centred
    (0.0, 0.0, 0.1, True),     # both clearly down (under foot_lift): balance does not matter
    (0.0, 0.10, 0.5, True),    # right foot between lift and on-step heights, trunk centred: down
    (0.0, 0.10, 0.1, False),   # ... with the trunk over the left ankle: the right foot is free
    (0.10, 0.0, 0.9, False),   # mirror: left foot in between, trunk over the right ankle
    (0.10, 0.0, 0.1, True),    # left foot in between but the trunk is over it: it carries
    (0.0, 0.10, np.nan, True), # balance unknown (ankles close together): heights decide
    (0.0, 0.12, 0.5, False),   # at the on-step height: up whatever the balance
    (np.nan, 0.0, 0.5, False), # an unknown foot is not known to be down
])
def test_two_feet_down(fl, fr, bal, expected):
    got = two_feet_down(np.array([fl]), np.array([fr]), np.array([bal]), RC)
    assert bool(got[0]) is expected


def test_free_foot_low_to_the_side_gives_single_leg_squats():
    """Left stance (balance 0.08), free right foot out to the side reading 0.13 up when upright
    and 0.10 at each bottom (variants grid: 0.10-0.14). Without the balance test the bottoms
    are the only "two feet down" frames, standing height is set at the bottom and no rep is
    found; with it there are no two-feet frames, standing comes from the one-foot-down frames
    (1.0) and both dips (0.16 deep) are single-leg squats on the left."""
    H, s = _dips(2, 0.16)
    n = len(H)
    m = _metrics(H, fl=np.zeros(n), fr=0.13 - 0.03 * s, balance=np.full(n, 0.08))
    assert not two_feet_down(m["left_foot_raise"], m["right_foot_raise"], m["balance"], RC).any()
    assert depth_signals(m, RC).h0 == pytest.approx(1.0)
    assert _named(m) == [("single_leg_squat", "left")] * 2


# --- step-ups: the planted lead foot ----------------------------------------------------------

def _low_step(n_s: float = 6.0):
    """A 15-cm step-up, lead RIGHT: the right foot goes onto the step at 1.0 s and reads only
    0.09 up (perspective); the left (trailing) foot stays down until 1.5 s, then swings up with
    its knee bent to 0.25, above the lead foot, and is back down at 4.0 s; the hips rise 0.15
    between 1.5 and 2.5 s and come down by 4.0 s."""
    n = int(n_s * FPS)
    t = np.arange(n) / FPS
    fr = np.where((t >= 1.0) & (t < 4.2), 0.09, 0.0)
    fl = np.where((t >= 1.5) & (t < 4.0), 0.25 * np.clip((t - 1.5) / 0.5, 0, 1), 0.0)
    H = 1.0 + 0.15 * np.clip(np.minimum((t - 1.5) / 1.0, (4.0 - t) / 0.5), 0, 1)
    return t, _metrics(H, fl=fl, fr=fr, balance=np.full(n, 0.5))


def test_low_step_up_is_named_on_the_planted_lead_leg():
    t, m = _low_step()
    reps = find_reps(t, m, Config())
    assert [(ex, leg) for _, ex, leg in reps] == [("step_up", "right")]
    # loaded frame: the first after the trailing foot's push-off with the lead foot above
    # foot_lift (0.09 > 0.08) and the trailing foot above foot_lift: 0.25 * (t - 1.5) / 0.5 > 0.08
    # first at t > 1.66 s, frame 50 (t = 1.6667)
    assert reps[0][0].deepest == 50


def test_planted_lead_by_path_length():
    t, m = _low_step()
    rise = m["hip_above_floor"] - 1.0
    rep = Rep(int(1.5 * FPS), int(2.5 * FPS), int(4.0 * FPS), 1.5, 2.5, 4.0, 0.15)
    # over 1.5-2.5 s the left ankle travels 0.25 up, the right none: the right is planted
    assert planted_lead(m, rep, rise, RC) == "right"
    # both still (under stepup_planted_min_path 0.04): no decision from stillness
    still = dict(m, left_foot_raise=np.zeros(len(t)), right_foot_raise=np.full(len(t), 0.3))
    assert planted_lead(still, rep, rise, RC) is None
    # both moving alike (ratio under 1.5): no decision either
    alike = dict(m, right_foot_raise=m["left_foot_raise"] * 0.8)
    assert planted_lead(alike, rep, rise, RC) is None


# --- none of the three ---------------------------------------------------------------------------

def test_lunge_split_stance_gives_no_rep():
    """A lunge: hips dip 0.3 with the trunk centred (balance 0.5) while the feet split front-back
    (feet_split 0.0 standing, 0.7 at the bottom, as on the variants grid); the rear foot reads
    raised (0.3) through the dip, which alone would name a single-leg squat."""
    H, s = _dips(2, 0.3)
    n = len(H)
    m = _metrics(H, fl=np.zeros(n), fr=0.3 * (s > 0.2), balance=np.full(n, 0.5), split=0.7 * np.minimum(1, 2 * s))
    assert _named(m) == []
    # the same dips with the feet side by side: squats (the foot test names single-leg squats
    # here because the right foot reads up; the point is that they are found)
    side_by_side = dict(m, feet_split=np.zeros(n))
    assert len(_named(side_by_side)) == 2
    # split but the trunk over the left foot (a single-leg squat, free foot forward): kept
    sls = dict(m, balance=np.full(n, 0.15))
    assert _named(sls) == [("single_leg_squat", "left")] * 2
    # the user said squat: kept
    assert len(_named(m, "squat")) == 2


@pytest.mark.parametrize("p75, centred, expected", [
    (0.49, True, False),   # just under split_stance (0.5)
    (0.50, True, True),    # at it
    (0.70, False, False),  # split, trunk over one foot: single-leg, not a lunge
])
def test_split_stance_rule(p75, centred, expected):
    n = 40
    m = {"feet_split": np.full(n, -p75), "balance": np.full(n, 0.5 if centred else 0.2)}
    assert split_stance(m, slice(0, n), RC) is expected


def _sit(trunk_at_bottom: float):
    """Hips dip 0.35 (2-s rep); trunk flexion 0 standing, 40 mid-way down and up, and
    ``trunk_at_bottom`` at the bottom (the deepest frame, 1.0 s into the rep)."""
    H, s = _dips(1, 0.35)
    n = len(H)
    k = np.arange(n)
    mid = 30 + 30  # deepest frame: rest 30 + half the 60-frame rep
    trunk = np.where((k > 30) & (k < 90), 40.0, 0.0)
    trunk[mid - 5 : mid + 6] = trunk_at_bottom
    return _metrics(H, fl=np.zeros(n), fr=np.zeros(n), balance=np.full(n, 0.5), trunk=trunk), mid


def test_sit_to_stand_gives_no_rep_and_a_squat_stays():
    m, mid = _sit(trunk_at_bottom=0.0)  # upright once seated: 40 deg back from the peak
    assert _named(m) == []
    rep = Rep(31, mid, 89, 31 / FPS, mid / FPS, 89 / FPS, 0.35)
    assert seated_bottom(m, rep, RC)
    m_sq, _ = _sit(trunk_at_bottom=40.0)  # most flexed at the bottom: a squat
    assert _named(m_sq) == [("squat", "both")]
    m_edge, _ = _sit(trunk_at_bottom=20.5)  # back 19.5 deg, under seated_trunk_return_deg (20)
    assert _named(m_edge) == [("squat", "both")]
    assert _named(m, "squat") == [("squat", "both")]  # the user said squat: kept


def test_lunge_return_to_standing_is_not_a_step_up():
    """The lunge's other misreading: the front (left) foot, placed forward, sets the floor line;
    at standing both feet read 0.24 up. Standing 0-1 s (hips 1.13), split stance 1-4 s with the
    left foot at 0.0 (hips 1.0, a shallow dip), standing again 4-6 s. The return to standing
    rises 0.13 above the split-stance hips, onto the right foot, which never moved: its raise
    never exceeds its own lowest level (0.24) by stepup_min_lead_rise, so it is no step-up."""
    n = int(6 * FPS)
    t = np.arange(n) / FPS
    split = (t >= 1.0) & (t < 4.0)
    fl = np.where(split, 0.0, 0.24)
    fr = np.full(n, 0.24)
    H = np.where(split, 1.0 - 0.05 * np.sin(np.pi * np.clip(t - 1.0, 0, 3) / 3), 1.13)
    m = _metrics(H, fl=fl, fr=fr, balance=np.full(n, 0.5))
    assert not lead_stepped_up(m, "right", int(4.5 * FPS), RC)
    assert [ex for ex, _ in _named(m)].count("step_up") == 0
    # the lead foot of a real step-up, 0.09 above its own floor level: stepped up
    _, low = _low_step()
    assert lead_stepped_up(low, "right", int(2.0 * FPS), RC)


def test_other_movements_are_reported_not_judged():
    """The sit-to-stand of _sit (one dip, 1.0-3.0 s: the rep runs from where the hips pass 0.035
    down to where they come back through it) is left out of the reps and reported as one
    "seated" movement, in words; a squat gives none."""
    from valgus.present import words
    from valgus.scoring.exercise import other_movements
    from valgus.scoring.verdict import other_movement_finding

    m, _ = _sit(trunk_at_bottom=0.0)
    others = other_movements(m["time_s"], m, Config())
    assert [kind for _, kind in others] == ["seated"]
    f = other_movement_finding(others)
    assert f is not None and f.code == "other_movement" and f.value == 1 and f.get("kinds") == ("seated",)
    (text,) = words.reason(f)
    assert text.startswith("1 movement(s) that are none of the three, not judged (the trunk upright again")
    m_sq, _ = _sit(trunk_at_bottom=40.0)
    assert other_movements(m_sq["time_s"], m_sq, Config()) == []
    assert other_movement_finding([]) is None
