"""``valgus live`` in a real window: Xvfb (Debian ``xvfb``), ``xwd`` / ``xwininfo`` (``x11-apps``)
and ImageMagick's ``convert``. Replays a sample with a set-up prefix (feet out of the picture,
then standing still) at its frame rate, fails if the window never shows or the replay does not
finish, and keeps screenshots of the set-up guide, the calibration countdown and a rep cue
(``scripts/live_screenshots.py`` makes the same ones into ``docs/img/``).

Guards issue 11's hang: with PyAV loaded before OpenCV's Qt, the first ``imshow`` never returned.
"""

from __future__ import annotations

import pytest

from valgus_tools.livewin import SAMPLE, Xvfb, make_demo_clip, missing_tools, run_live_window

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def x_display():
    missing = missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian: apt install xvfb x11-apps imagemagick)")
    with Xvfb() as x:
        yield x.display


def test_live_window_shows_guide_calibration_and_rep_cues(x_display, tmp_path):
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE.name} missing")
    clip = make_demo_clip(tmp_path / "demo.mp4")
    run = run_live_window(clip, tmp_path / "rec", tmp_path / "shots", display=x_display, timeout_s=240,
                          window_timeout_s=60)
    assert run.window_seen_s is not None, f"no 'valgus live' window within 60 s\n{run.stderr[-2000:]}"
    assert run.returncode == 0, f"live exited {run.returncode}\n{run.stdout[-1500:]}\n{run.stderr[-2000:]}"
    assert run.live.get("stopped_by") == "end of the recording", run.live.get("stopped_by")
    assert "Traceback" not in run.stderr
    # every output of a clip, plus the session's own numbers
    for name in ("frames.csv", "reps.json", "summary.json", "report.txt", "config.toml", "live.json"):
        assert (tmp_path / "rec" / name).exists(), name
    events = run.live["events"]
    phases = [e["phase"] for e in events if e["event"] == "phase"]
    assert "guide" in phases and "calibrate" in phases and phases[-1] == "exercise"
    assert any(e["event"] == "calibrated" for e in events), "the standing calibration never completed"
    assert sum(e["event"] == "rep" for e in events) >= 2, "fewer than 2 rep cues"
    assert run.live["frames_dropped"] == run.live["frames_read"] - run.live["frames_taken"]
    for name in ("live_guide", "live_calibration", "live_rep_cue"):
        png = run.shots.get(name)
        assert png is not None and png.stat().st_size > 10_000, f"no screenshot of {name}"
