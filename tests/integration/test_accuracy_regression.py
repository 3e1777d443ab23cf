"""Accuracy regression: the pipeline on rendered clips must not get worse than the committed
baseline (``benchmarks/accuracy.json``, section ``regression``) by more than the stated tolerance,
nor on two variant clips (a lunge, a 15-cm step-up; baseline
``benchmarks/accuracy_variants.json``) in exercise and working leg, valgus flag and view check.

Renders 4 + 2 short clips and runs ``python -m valgus analyze`` on each (2-4 minutes on 2 cores;
the two variant clips about 45 s of it).
Needs the optional renderer (moderngl + EGL); skipped with the reason when it is missing.
Regenerate the baseline with ``python scripts/benchmark_accuracy.py`` after an intended change.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from valgus_tools.synth.render import renderer_available

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "benchmarks" / "accuracy.json"
VARIANTS_BASELINE = REPO / "benchmarks" / "accuracy_variants.json"

_OK, _WHY = renderer_available()
pytestmark = [
    pytest.mark.synth,
    pytest.mark.slow,
    pytest.mark.skipif(not _OK, reason=f"renderer unavailable: {_WHY}"),
    pytest.mark.skipif(not BASELINE.exists(), reason="no committed baseline benchmarks/accuracy.json"),
]

#: Metric -> True if higher is better.
HIGHER_IS_BETTER = {
    "detection_rate": True,
    "fppa_joint_mae": False,
    "fppa_surface_mae": False,
    "deepest_mae_joint": False,
    "sign_agreement": True,
    "rep_count_exact": True,
    "exercise_side_correct": True,
    "view_correct": True,
    "valgus_flag_accuracy": True,
}


def _load_benchmark():
    # An installed module, so the benchmark's spawned worker processes can import it too.
    return importlib.import_module("valgus_tools.bench.accuracy")


@pytest.fixture(scope="module")
def fresh_and_baseline():
    bench = _load_benchmark()
    baseline = json.loads(BASELINE.read_text())
    if "regression" not in baseline:
        pytest.skip("benchmarks/accuracy.json has no 'regression' section")
    fresh = bench.run("regression", workers=2)
    return fresh, baseline["regression"], bench.TOLERANCE


def test_regression_subset_not_worse(fresh_and_baseline):
    fresh, base, tol = fresh_and_baseline
    base_clips = {c["name"]: c for c in base["clips"]}
    problems = []
    for clip in fresh["clips"]:
        assert clip["pipeline_exit_code"] == 0, clip.get("pipeline_error")
        ref = base_clips.get(clip["name"])
        if ref is None:
            continue
        for metric, higher in HIGHER_IS_BETTER.items():
            new, old = clip.get(metric), ref.get(metric)
            if old is None:
                continue
            if new is None:
                problems.append(f"{clip['name']}: {metric} missing (baseline {old})")
                continue
            worse = (old - new) if higher else (new - old)
            if worse > tol[metric] + 1e-9:
                problems.append(f"{clip['name']}: {metric} {new:.3f} vs baseline {old:.3f} "
                                f"(tolerance {tol[metric]})")
    assert not problems, "accuracy regressed:\n" + "\n".join(problems)


#: Per-clip metrics of the variant clips (higher is better, no tolerance: rep shares).
VARIANT_METRICS = ("exercise_leg_correct", "valgus_flag_accuracy_peak", "view_correct")


@pytest.mark.skipif(not VARIANTS_BASELINE.exists(), reason="no committed benchmarks/accuracy_variants.json")
def test_variant_clips_not_worse():
    bench = _load_benchmark()
    base = {c["name"]: c for c in json.loads(VARIANTS_BASELINE.read_text())["clips"]}
    cases = bench.grid("variants_regression")
    assert len(cases) == len(bench.VARIANTS_REGRESSION)
    problems = []
    for clip in bench.run_cases(cases, workers=2):
        assert clip["pipeline_exit_code"] == 0, clip.get("pipeline_error")
        ref = base[clip["name"]]
        for metric in VARIANT_METRICS:
            new, old = clip.get(metric), ref.get(metric)
            if old is not None and (new is None or new < old - 1e-9):
                problems.append(f"{clip['name']}: {metric} {new} vs baseline {old}")
    assert not problems, "accuracy regressed on variant clips:\n" + "\n".join(problems)
