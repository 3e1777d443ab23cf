"""The real pose model on the bundled rendered sample videos, checked against their truth files.

Each clip is analysed once per test session (``sample_analyses``, shared with other tests).
Tolerances come from the pipeline's measured error on rendered bodies (RESEARCH.md: MediaPipe FPPA within 1-4 deg of the
surface-keypoint FPPA on average) plus margin; they are not fitted to these clips' outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sample_analyses import analysed, truth

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
TRUTHS = sorted(SAMPLES.glob("*.truth.json"))

pytestmark = pytest.mark.slow


def _frontal(t: dict) -> bool:
    return abs(float(t["generator"]["camera"].get("yaw_deg", 0.0))) < 1.0


def _skip_step_up_labels(t: dict) -> None:
    """The rendered step-up's valgus is labelled from the joint-centre FPPA (peak ~17 deg for
    ~0.4 s), but its surface-keypoint FPPA (what a clinician marks, and what MediaPipe tracks)
    peaks at ~6 deg, below the published step-up thresholds; the pipeline reads ~8 (borderline).
    The label is checked against the per-frame accuracy test instead."""
    if any(r["exercise"] == "step_up" for r in t["reps"]):
        pytest.skip("step-up valgus label is from joint-centre truth below surface thresholds (see docstring)")


@pytest.fixture(params=TRUTHS, ids=[p.name.replace(".truth.json", "") for p in TRUTHS])
def clip(request):
    t = truth(request.param)
    if not (SAMPLES / t["clip"]).exists():
        pytest.skip(f"{t['clip']} missing; regenerate with scripts/make_sample_videos.py")
    return t


def test_there_are_sample_videos_with_truth():
    assert len(TRUTHS) >= 3, "sample_videos/ must hold rendered clips with truth files"


def test_every_frame_detected(clip):
    a = analysed(clip["clip"])
    assert a.n_frames == clip["n_frames"]
    assert a.n_detected == a.n_frames


def test_fppa_matches_surface_truth(clip):
    """Per-frame FPPA against the truth from surface keypoints (what a clinician would mark), for
    the working leg(s) over each true rep (a free leg's FPPA means nothing; a clip may switch legs)."""
    a = analysed(clip["clip"])
    if not _frontal(clip):
        pytest.skip("camera yaw clip: FPPA is expected to be off (it shows what yaw does)")
    errs: dict[str, list[np.ndarray]] = {"left": [], "right": []}
    n_ok = n_all = 0
    for r in clip["reps"]:
        sl = slice(r["start_frame"], r["end_frame"] + 1)
        for side in (("left", "right") if r["working_leg"] == "both" else (r["working_leg"],)):
            est = a.metrics[f"{side}_fppa_deg"][sl]
            ref = np.array([np.nan if v is None else v for v in clip["frames"][f"{side}_fppa_surface_deg"][sl]], float)
            ok = np.isfinite(est) & np.isfinite(ref)
            n_ok, n_all = n_ok + ok.sum(), n_all + len(ok)
            errs[side].append(est[ok] - ref[ok])
    assert n_ok / n_all > 0.85  # knees passing close in a collapse can hide a landmark briefly
    for side, parts in errs.items():
        if not parts:
            continue
        err = np.concatenate(parts)
        # RESEARCH.md: 1-4 deg mean agreement with surface FPPA on rendered bodies; 1 deg margin
        assert np.mean(np.abs(err)) < 5.0, f"{side}: mean abs FPPA error {np.mean(np.abs(err)):.1f}"
        assert abs(np.mean(err)) < 5.0, f"{side}: FPPA bias {np.mean(err):.1f}"


def test_reps_exercise_and_side(clip):
    """Every rep found (count exact), each named with the right exercise and working leg."""
    a = analysed(clip["clip"])
    fps = clip["fps"]
    reps = [r for r in a.result.reps if not r.partial]
    assert len(reps) == len(clip["reps"]), [(r.exercise, r.t_deepest) for r in reps]
    for r, tr in zip(reps, clip["reps"]):
        assert r.exercise == tr["exercise"]
        assert r.working_leg == tr["working_leg"]
        # deepest frame within the true rep, and near the true deepest frame
        assert tr["start_frame"] <= r.frame_deepest <= tr["end_frame"]
        assert abs(r.t_deepest - tr["deepest_frame"] / fps) < 0.5


def test_valgus_flags_match_labels(clip):
    """A 'valgus <leg>' label <-> a mild-or-worse valgus flag on that leg; 'good' reps unflagged."""
    a = analysed(clip["clip"])
    if not _frontal(clip):
        pytest.skip("camera yaw clip")
    _skip_step_up_labels(clip)
    reps = [r for r in a.result.reps if not r.partial]
    for r, tr in zip(reps, clip["reps"]):
        for leg in ("left", "right"):
            expected = f"valgus {leg}" in tr["labels"]
            got = r.worst("dynamic_knee_valgus", leg) in ("mild", "marked")
            if r.working_leg not in ("both", leg):
                continue
            assert got == expected, f"rep {r.number} {leg}: flagged={got}, labels={tr['labels']}"


def test_verdict(clip):
    a = analysed(clip["clip"])
    if not _frontal(clip):
        pytest.skip("camera yaw clip")
    _skip_step_up_labels(clip)
    any_valgus = any(lbl.startswith("valgus") for tr in clip["reps"] for lbl in tr["labels"])
    if any_valgus:
        assert a.result.verdict.startswith("knee valgus")
    else:
        assert a.result.verdict == "no valgus"


def test_same_numbers_from_cli_and_batch(tmp_path):
    """analyze (CLI) and batch write the same numbers the library returns."""
    from valgus.cli.main import main
    from valgus.io.sinks import read_frames_csv

    name = "squat_valgus.mp4"
    if not (SAMPLES / name).exists():
        pytest.skip(f"{name} missing")
    lib = analysed(name)
    assert main(["analyze", str(SAMPLES / name), "-o", str(tmp_path / "a"), "-q", "--no-video"]) == 0
    m = read_frames_csv(tmp_path / "a" / "frames.csv")
    np.testing.assert_allclose(m["left_fppa_deg"], lib.metrics["left_fppa_deg"], atol=1e-3, equal_nan=True)
    reps = json.loads((tmp_path / "a" / "reps.json").read_text())
    assert reps["verdict"] == lib.result.verdict
    assert [r["frame_deepest"] for r in reps["reps"]] == [r.frame_deepest for r in lib.result.reps]
    for f in ("summary.json", "report.txt", "config.toml"):
        assert (tmp_path / "a" / f).stat().st_size > 0
    assert main(["batch", str(SAMPLES / name), "-o", str(tmp_path / "b"), "-q"]) == 0
    import csv

    with (tmp_path / "b" / "summary.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["verdict"] == lib.result.verdict
    assert int(rows[0]["n_reps"]) == len([r for r in lib.result.reps if not r.partial])
    # a re-run resumes (nothing to redo); other settings are refused, never mixed in
    before = (tmp_path / "b" / "summary.jsonl").read_text()
    assert main(["batch", str(SAMPLES / name), "-o", str(tmp_path / "b"), "-q"]) == 0
    assert (tmp_path / "b" / "summary.jsonl").read_text() == before
    assert main(["batch", str(SAMPLES / name), "-o", str(tmp_path / "b"), "-q", "--sex", "female"]) == 3


def test_hip_rotation_is_withheld_because_its_error_exceeds_the_effect(clip):
    """Issue 16: no hip internal rotation value is reported, frames.csv says how large the
    estimate's typical error is (> 5 deg everywhere), and on this rendered clip the estimate,
    if it were shown, would indeed be off by more than 5 deg on most of the working legs' frames
    in the reps: the reason for withholding holds here too. (If the estimate ever got good
    enough, this test fails and the value should be reported.)"""
    from valgus.config import override
    from valgus.engine import analyze_track

    a = analysed(clip["clip"])
    m = a.metrics
    for s in ("left", "right"):
        assert np.isnan(m[f"{s}_hip_internal_rotation_deg"]).all()
        err = m[f"{s}_hip_ir_error_deg"]
        assert np.isfinite(err).any() and (err[np.isfinite(err)] > 5.0).all()
    cfg = override(a.config, "measure", hip_ir_max_error_deg=90.0)
    _, m2 = analyze_track(a.track_raw, a.info, cfg)
    f = clip["frames"]
    idx = np.searchsorted(np.asarray(f["frame"]), m2["frame"])
    errors = []
    for r in clip["reps"]:
        legs = ("left", "right") if r["working_leg"] == "both" else (r["working_leg"],)
        rows = (m2["frame"] >= r["start_frame"]) & (m2["frame"] <= r["end_frame"])
        for s in legs:
            est = m2[f"{s}_hip_internal_rotation_deg"][rows]
            tru = np.asarray(f[f"{s}_hip_internal_rotation_deg"], float)[idx[rows]]
            ok = np.isfinite(est) & np.isfinite(tru)
            errors.extend(np.abs(est - tru)[ok])
    if len(errors) < 10:
        pytest.skip("too few frames with a hip rotation estimate")
    assert np.median(errors) > 5.0, f"median error {np.median(errors):.1f} deg: the estimate may be reportable"
