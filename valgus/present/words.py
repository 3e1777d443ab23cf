"""All the product's sentences: findings, camera advice, notices and the strength plan in words.

Scoring decides (codes and numbers, :mod:`valgus.scoring.results`); this module only says it.
"""

from __future__ import annotations

from typing import Any

from valgus.scoring.results import CameraCheck, ClipResult, Finding

#: The hip-strengthening plan recommended when the valgus comes with hip signs.
STRENGTH_PLAN: dict[str, Any] = {
    "activation": ["clamshells 2x15 each side", "side-lying hip abduction 2x15 each side"],
    "strength": ["single-leg deadlift 3x10 each leg", "hip thrusts 3x12"],
    "function": ["lateral band walks 2x20 steps each way", "step-ups 3x10 each leg"],
    "note": (
        "This is a movement screen, not a diagnosis. See a physiotherapist or doctor if you have "
        "knee or hip pain, swelling, giving way, or if the pattern does not improve after 6-8 "
        "weeks of training."
    ),
}
PLAN_STAGES = ("activation", "strength", "function")

#: Why no hip internal rotation value is reported (issue 16; docs/hip_rotation.md).
HIP_ROTATION_WITHHELD = (
    "hip internal rotation: not measurable from one camera in this view. Against rendered 3D "
    "truth the one-camera estimate was off by 7-14 deg on average at every knee flexion (single "
    "clips by 25-30 deg), while people with and without patellofemoral pain differ by a few "
    "degrees; a femur turning about its own axis does not move the landmarks at all. The 2D hip adduction is "
    "reported instead: its change from standing followed the true 3D adduction within about 2 deg "
    "in squats and single-leg squats (r 0.79-0.93).")

#: What to change, per camera problem.
CAMERA_FIX = {
    "no_person": "stand in front of the camera",
    "view": "face the camera squarely (camera straight in front, at knee to hip height)",
    "out_of_view": "step back or tilt the camera so your whole body, feet included, is in view",
    "too_small": "move the camera closer so your body fills most of the frame height",
}


def plan(result: ClipResult) -> dict[str, Any] | None:
    """The strength plan when the result recommends it, else None."""
    return dict(STRENGTH_PLAN) if result.plan_recommended else None


def plan_line(result: ClipResult) -> str | None:
    p = plan(result)
    return "; ".join(x for k in PLAN_STAGES for x in p[k]) if p else None


def camera_problem(f: Finding) -> str:
    """The sentence for a camera problem (why the view cannot support a verdict)."""
    if f.code == "no_person":
        return "no person in view"
    if f.code == "view":
        se = f.get("yaw_se")
        pm = f" +- {se:.0f}" if se is not None and se == se and se >= 0.5 else ""
        return f"the camera sees the subject from the {f.get('view')} (about {f.value:.0f}{pm} degrees from frontal)"
    if f.code == "out_of_view":
        return f"feet or knees out of view in {f.value:.0%} {'of the rep frames' if f.get('in_reps') else 'of frames'}"
    if f.code == "too_small":
        return f"the subject is small in the picture (leg {f.value:.0f} px of {f.get('height')} px)"
    raise ValueError(f"unknown camera problem {f.code!r}")


def notice(f: Finding) -> str:
    """A note worth telling that does not change the verdict."""
    if f.code == "low_fps":
        return f"only {f.value:.1f} frames per second: the deepest point of fast reps may be missed"
    if f.code == "several_people":
        return (f"several people in {f.value:.0f} of {f.get('frames')} frames; "
                "followed the one whose legs are most fully in view")
    if f.code == "damaged_stream":
        return (f"damaged stream: {f.get('lost')} frame(s) could not be decoded; "
                f"analysed the {f.get('decoded')} that could")
    raise ValueError(f"unknown notice {f.code!r}")


def camera_reasons(cam: CameraCheck) -> list[str]:
    return [camera_problem(f) for f in cam.problems]


def camera_fixes(cam: CameraCheck) -> list[str]:
    return [CAMERA_FIX[f.code] for f in cam.problems]


def _rep_count(f: Finding) -> str:
    """'3 complete rep(s) (1 partial rep(s) at the clip's edges not judged)' or '1 rep(s), all partial'."""
    judged, total = f.get("judged"), f.get("total")
    if f.get("all_partial"):
        return f"{judged} rep(s), all partial (cut by the clip's start or end)"
    left_out = total - judged
    return f"{judged} complete rep(s)" + (f" ({left_out} partial rep(s) at the clip's edges not judged)" if left_out else "")


def _nums(reps: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in reps)


def reason(f: Finding) -> list[str]:
    """The sentence(s) for one verdict finding."""
    c = f.code
    if c in CAMERA_FIX:
        return [camera_problem(f)]
    if c == "no_reps":
        return ["no squat, single-leg squat or step-up reps were found"]
    if c == "other_movement":
        what = {"split_stance": "feet split front-back with the weight between them: a lunge or split squat",
                "seated": "the trunk upright again at the bottom: sitting down and standing up"}
        kinds = "; ".join(what[k] for k in f.get("kinds"))
        times = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in f.get("times"))
        return [f"{int(f.value)} movement(s) that are none of the three, not judged ({kinds}) at {times}"]
    if c == "no_valgus":
        return [f"no rep of {_rep_count(f)} showed knee valgus beyond the threshold"]
    if c == "shallow":
        return [f"depth: rep(s) {_nums(f.reps)} were shallow (hips dropped {f.value:.2f}-{f.get('max_depth'):.2f} "
                "leg lengths; thighs parallel is about 0.55)"]
    if c == "borderline":
        return [f"borderline on rep(s) {_nums(f.reps)} (within the measurement uncertainty)"]
    if c == "valgus_reps":
        items = ", ".join(f"{n} ({leg}, {cat})" for n, leg, cat in zip(f.reps, f.get("legs"), f.get("categories")))
        return [f"knee valgus on rep(s) {items} of {_rep_count(f)}"]
    if c == "hip_flag":
        return [f"rep {f.reps[0]}: {f.get('flag').replace('_', ' ')} {f.value:+.1f} (threshold {f.threshold})"]
    if c == "hip_adduction":
        return [f"rep {f.reps[0]}: {f.leg} hip adducts {f.value:+.1f} deg from standing (the femur drives the knee in)"]
    if c == "heel_lift":
        return [f"rep {f.reps[0]}: {f.leg} heel lifts ({f.value:.2f} leg lengths)"]
    if c == "foot_not_hip":
        return ["foot signs without hip signs: the valgus may come from the foot or ankle up"]
    if c == "foot_also":
        return ["foot signs are present too: check ankle mobility and foot posture as well"]
    if c == "hip_pattern":
        return ["this pattern is consistent with weak hip abductors / external rotators (Crossley et al. 2011)"]
    if c == "hip_unclear":
        return ["no pelvic drop, trunk lean or hip adduction beyond thresholds: the hip is not clearly the cause"]
    if c == "foot_posture_unjudged":
        return ["foot posture (pronation) cannot be judged from one front camera; have it checked by eye"]
    if c == "asymmetry":
        ex = f.get("exercise").replace("_", " ")
        return [f"{ex}: the {f.leg} knee caves more (mean FPPA left {f.get('left'):+.1f}, right {f.get('right'):+.1f} "
                f"deg; a {f.value:.1f}-deg difference is beyond the {f.threshold:g}-deg smallest detectable "
                "difference, Munro 2012)"]
    raise ValueError(f"unknown finding {c!r}")


def reasons(result: ClipResult) -> list[str]:
    """Why the verdict is what it is, in plain words (with the fix when it cannot assess)."""
    out = [s for f in result.findings for s in reason(f)]
    if result.verdict == "cannot assess":
        if any(f.code == "no_reps" for f in result.findings):
            out.append("fix: do at least 3 slow reps, starting and ending upright")
        out += [f"fix: {x}" for x in camera_fixes(result.camera)]
    return out
