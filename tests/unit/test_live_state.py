"""The live view's phases (set-up guide -> calibration -> exercise) on made-up media time, and the
live wording. No window, no model."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import frontal_xy
from valgus.present import live_words as lw
from valgus.present.live_state import LiveState, LiveTiming, posture
from valgus.scoring.results import Flag, RepScore

FPS = 30.0
STILL = posture(frontal_xy())


def feed(state: LiveState, t0: float, seconds: float, problems=(), pose=STILL, row0: int = 0):
    """Feed ``seconds`` of frames at 30 fps; returns the steps."""
    steps = []
    for k in range(int(round(seconds * FPS))):
        steps.append(state.update(t0 + k / FPS, row0 + k, problems, pose))
    return steps


def test_posture_is_in_leg_lengths():
    xy = frontal_xy()  # legs of 200 px
    a = posture(xy)
    assert a.shape == (6, 2) and np.isfinite(a).all()
    assert np.allclose(posture(2.0 * xy), a)  # scale-free
    assert a[2, 1] - a[0, 1] == pytest.approx(0.5)  # left knee half a leg below the left hip
    nan = np.full_like(xy, np.nan)
    assert np.isnan(posture(nan)).all()


def test_guide_until_the_view_is_right_then_countdown_then_calibrated():
    s = LiveState(LiveTiming(settle_s=0.5, hold_s=3.0))
    steps = feed(s, 0.0, 2.0, problems=("out_of_view",))
    assert {x.phase for x in steps} == {"guide"}
    assert steps[0].entered == "guide" and steps[-1].problems == ("out_of_view",)
    steps = feed(s, 2.0, 0.4, row0=60)  # fine, but not yet for settle_s
    assert steps[-1].phase == "guide"
    steps = feed(s, 2.4, 0.2, row0=72)
    assert steps[-1].phase == "calibrate"
    assert [x.entered for x in steps].count("calibrate") == 1
    start = next(x for x in steps if x.entered == "calibrate")
    assert start.countdown == pytest.approx(3.0)
    steps = feed(s, 2.6, 3.2, row0=78)
    done = [x for x in steps if x.calibrate is not None]
    assert len(done) == 1 and done[0].phase == "exercise" and done[0].entered == "exercise" and done[0].calibrated
    a, b = done[0].calibrate
    assert b - a == pytest.approx(3.0 * FPS + 1, abs=2)  # the hold's frames, the last one included
    countdowns = [x.countdown for x in steps if x.phase == "calibrate"]
    assert countdowns == sorted(countdowns, reverse=True) and countdowns[-1] < 0.1


def test_moving_restarts_the_countdown_and_a_problem_returns_to_the_guide():
    s = LiveState(LiveTiming(settle_s=0.0, hold_s=2.0, still_tol=0.05))
    feed(s, 0.0, 1.5)
    assert s.phase == "calibrate"
    moved = posture(frontal_xy(knee_in_left=30.0))  # 30 px of a 200 px leg: 0.15 leg lengths
    step = s.update(1.5, 45, (), moved)
    assert step.moved and step.countdown == pytest.approx(2.0)
    step = s.update(1.6, 46, ("view",), moved)
    assert step.phase == "guide" and step.entered == "guide" and step.countdown is None


def test_a_rep_during_the_set_up_moves_to_exercise_uncalibrated():
    s = LiveState()
    feed(s, 0.0, 1.0, problems=("too_small",))
    step = s.update(1.0, 30, ("too_small",), STILL, rep_ended=True)
    assert step.phase == "exercise" and step.entered == "exercise" and not step.calibrated
    assert step.calibrate is None
    # problems while exercising do not send the person back to the guide
    assert feed(s, 1.1, 1.0, problems=("out_of_view",))[-1].phase == "exercise"


def test_keys_recalibrate_and_reset():
    s = LiveState(LiveTiming(settle_s=0.0, hold_s=1.0))
    feed(s, 0.0, 1.5)
    assert s.phase == "exercise" and s.calibrated
    s.recalibrate()
    step = s.update(2.0, 60, (), STILL)
    assert step.phase == "calibrate" and step.entered == "calibrate" and step.calibrated  # old baseline until then
    s.reset()
    step = s.update(2.1, 63, ("no_person",), None)
    assert step.phase == "guide" and not step.calibrated


def test_nan_pose_is_never_still():
    s = LiveState(LiveTiming(settle_s=0.0, hold_s=0.5))
    nan = np.full((6, 2), np.nan)
    steps = feed(s, 0.0, 2.0, pose=nan)
    assert all(x.calibrate is None for x in steps) and steps[-1].phase == "calibrate"


@pytest.mark.parametrize("timing", [dict(hold_s=0), dict(still_tol=0), dict(settle_s=-1)])
def test_bad_timing_is_rejected(timing):
    with pytest.raises(ValueError):
        LiveTiming(**timing)


# -- words -------------------------------------------------------------------------------------


def _rep(exercise: str, leg: str, flags: list[Flag], number: int = 3) -> RepScore:
    return RepScore(number, exercise, leg, 0.0, 1.0, 2.0, 0, 30, 60, False, 0.3, {}, flags)


def _flag(name: str, cat: str, value: float, leg: str, assessed: bool = True) -> Flag:
    return Flag(name, cat, value, 10.0, 3.0, "src", "basis", leg, assessed)


@pytest.mark.parametrize("rep, text, level", [
    # single-leg squat, working knee caved in 14 deg
    (_rep("single_leg_squat", "left", [_flag("dynamic_knee_valgus", "mild", 14.2, "left")]),
     "Rep 3, left knee caved in 14 deg: push the knee out over the little toe", "mild"),
    # a good rep
    (_rep("single_leg_squat", "right", [_flag("dynamic_knee_valgus", "none", 2.0, "right")]),
     "Rep 3, right leg: knees in line", "none"),
    # a hip sign without valgus
    (_rep("step_up", "right", [_flag("dynamic_knee_valgus", "none", 2.0, "right"),
                               _flag("pelvic_drop", "mild", 6.0, "right")]),
     "Rep 3, right leg: knees in line; keep the hips level", "none"),
    # squat: the worse knee's FPPA change wins over the knee width
    (_rep("squat", "both", [_flag("dynamic_knee_valgus", "mild", 12.0, "left"),
                            _flag("dynamic_knee_valgus", "marked", 19.6, "right"),
                            _flag("dynamic_knee_valgus", "mild", 0.7, "both")]),
     "Rep 3, right knee caved in 20 deg: push the knee out over the little toe", "marked"),
    # squat: only the knee width
    (_rep("squat", "both", [_flag("dynamic_knee_valgus", "none", 2.0, "left"),
                            _flag("dynamic_knee_valgus", "mild", 0.72, "both")]),
     "Rep 3, knees came 28% closer than standing: push both knees out over the toes", "mild"),
    # a view that cannot support a verdict
    (_rep("squat", "both", [_flag("dynamic_knee_valgus", "mild", 12.0, "left", assessed=False)]),
     "Rep 3: not judged (camera view)", "none"),
])
def test_rep_cue(rep, text, level):
    cue = lw.rep_cue(rep)
    assert cue.text == text and cue.level == level and cue.spoken.startswith("Rep 3")


def test_guide_words_put_the_first_thing_to_fix_first():
    assert lw.guide_lines(("view", "out_of_view")) == ["Step back: feet out of view", "Turn to face the camera"]
    assert lw.guide_lines(()) == [lw.GUIDE_OK]
    assert lw.spoken_guide(()) is None and lw.spoken_guide(("too_small",)) == "Come closer"
    assert [lw.countdown_text(x) for x in (3.0, 2.01, 0.2, 0.0)] == ["Hold still: 3", "Hold still: 3",
                                                                    "Hold still: 1", "Hold still: 1"]


def test_reps_line_counts_per_leg():
    reps = [_rep("single_leg_squat", "left", [_flag("dynamic_knee_valgus", "mild", 12, "left")]),
            _rep("single_leg_squat", "left", []), _rep("single_leg_squat", "right", [])]
    assert lw.reps_line(reps) == "Reps: left leg 2 (1 caved in), right leg 1"
    assert lw.reps_line([]) == "Reps: none yet"
