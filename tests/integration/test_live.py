"""``valgus live``: the webcam path, driven by a sample video replayed as if live (no camera here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from valgus.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "squat_valgus.mp4"


def test_missing_camera_is_one_clear_error(capsys):
    assert main(["live", "--camera", "97", "--no-display", "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("valgus: error: camera 97 cannot be opened (")
    assert "Traceback" not in "\n".join(err)


@pytest.mark.slow
def test_live_replay_gives_the_same_reps_and_verdict_as_analyze(tmp_path):
    if not SAMPLE.exists():
        pytest.skip("sample video missing")
    from valgus.engine import analyze_video

    ref = analyze_video(SAMPLE)
    assert main(["live", "--camera", str(SAMPLE), "--no-display", "-q", "--record", str(tmp_path / "rec")]) == 0
    rec = json.loads((tmp_path / "rec" / "reps.json").read_text())
    assert rec["verdict"] == ref.result.verdict
    live_deepest = [r["frame_deepest"] for r in rec["reps"] if not r["partial"]]
    ref_deepest = [r.frame_deepest for r in ref.result.reps if not r.partial]
    assert len(live_deepest) == len(ref_deepest)
    # causal smoothing lags a little; the deepest frame may move by a frame or two
    assert all(abs(a - b) <= 3 for a, b in zip(live_deepest, ref_deepest))
    assert [r["exercise"] for r in rec["reps"]] == [r.exercise for r in ref.result.reps]
