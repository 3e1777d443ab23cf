"""``valgus live`` ends well by every route: the session is written as ``analyze`` writes a clip.

A fake pose estimator (a standing stick figure) and fake cameras: no model, no window.
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
import pytest

from conftest import frontal_xy, make_person, standing_world, write_video
from valgus.errors import CameraError
from valgus.io.video import Frame
from valgus.types import FramePoses, VideoInfo

OUTPUTS = ("frames.csv", "reps.json", "summary.json", "report.txt", "config.toml", "live.json")


class FakeEstimator:
    """The same standing person in every frame; raises ``interrupt_at`` (e.g. Ctrl-C) at that frame."""

    def __init__(self, interrupt_at: int | None = None) -> None:
        self.person = make_person(frontal_xy(), 0.9, standing_world())
        self.interrupt_at = interrupt_at
        self.n = 0
        self.closed = False

    def __call__(self, image, t, index, size=None) -> FramePoses:
        self.n += 1
        if self.interrupt_at is not None and self.n > self.interrupt_at:
            raise KeyboardInterrupt
        return FramePoses(index=index, t=t, people=(self.person,))

    def close(self) -> None:
        self.closed = True


class FakeCamera:
    """A 'camera' that delivers ``n`` frames, then is unplugged (raises CameraError)."""

    def __init__(self, spec, width=640, height=480, *, n: int = 30) -> None:
        self.spec, self.is_file, self.n = spec, False, n
        self.info = VideoInfo(None, 640, 480, 30.0, None, None, "camera", source="camera")
        self.fps = 30.0

    def __iter__(self):
        img = np.full((480, 640, 3), 90, np.uint8)
        for i in range(self.n):
            time.sleep(0.01)  # a camera delivers at its own pace (frames the loop misses are dropped)
            yield Frame(i, i / 30.0, img)
        raise CameraError(f"camera {self.spec!r} stopped delivering frames (unplugged?)")

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _fakes(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    est = FakeEstimator()
    monkeypatch.setattr("valgus.engine.open_estimator", lambda cfg, allow_download=False: est)
    yield est
    lg.handlers[:], lg.level, lg.propagate = saved


@pytest.fixture
def clip(tmp_path):
    return write_video(tmp_path / "clip.mp4", n=45, width=640, height=480, fps=30.0)


def run(args):
    from valgus.cli.main import main

    return main(["live", "--no-display", "-q", *args])


def test_camera_unplugged_mid_session_still_writes_everything(monkeypatch, tmp_path, capsys, _fakes):
    monkeypatch.setattr("valgus.io.camera.CameraSource", FakeCamera)
    assert run(["--camera", "0", "--record", str(tmp_path / "rec")]) == 1
    out = capsys.readouterr().out
    assert "live stopped: camera lost (camera '0' stopped delivering frames (unplugged?))" in out
    for name in OUTPUTS + ("annotated.mp4", "camera.mp4"):
        assert (tmp_path / "rec" / name).exists(), name
    stats = json.loads((tmp_path / "rec" / "live.json").read_text())
    n = stats["frames_analysed"]
    assert stats["source"] == "camera" and n >= 1 and n + stats["frames_dropped"] == stats["frames_read"] == 30
    frames = (tmp_path / "rec" / "frames.csv").read_text().splitlines()
    assert len(frames) == n + 1  # header + one row per analysed frame (= camera.mp4's frames)
    assert _fakes.closed


def test_camera_without_video_still_writes_the_report(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("valgus.io.camera.CameraSource", FakeCamera)
    assert run(["--camera", "0", "--record", str(tmp_path / "rec"), "--no-video"]) == 1
    for name in OUTPUTS + ("report.html",):
        assert (tmp_path / "rec" / name).exists(), name
    assert not (tmp_path / "rec" / "camera.mp4").exists()


def test_ctrl_c_writes_the_session(tmp_path, capsys, clip, _fakes):
    _fakes.interrupt_at = 20
    assert run(["--camera", str(clip), "--record", str(tmp_path / "rec"), "--no-video"]) == 0
    out = capsys.readouterr().out
    assert "live stopped: Ctrl-C; 20 frames analysed" in out
    for name in OUTPUTS:
        assert (tmp_path / "rec" / name).exists(), name
    assert not (tmp_path / "rec" / "annotated.mp4").exists()


def test_sigterm_writes_the_session(monkeypatch, tmp_path, capsys, clip, _fakes):
    import os
    import signal

    calls = _fakes.__call__

    def kill_at_10(image, t, index, size=None):
        if index == 10:
            os.kill(os.getpid(), signal.SIGTERM)
        return calls(image, t, index, size)

    monkeypatch.setattr("valgus.engine.open_estimator", lambda cfg, allow_download=False: kill_at_10)
    kill_at_10.close = lambda: None  # type: ignore[attr-defined]
    assert run(["--camera", str(clip), "--record", str(tmp_path / "rec"), "--no-video"]) == 0
    assert "live stopped: terminated (SIGTERM)" in capsys.readouterr().out
    assert json.loads((tmp_path / "rec" / "live.json").read_text())["stopped_by"] == "terminated (SIGTERM)"
    assert signal.getsignal(signal.SIGTERM) is not None and "live" not in str(signal.getsignal(signal.SIGTERM))


def test_max_seconds_stops_on_media_time_and_a_replay_writes_the_annotated_video(tmp_path, capsys, clip):
    assert run(["--camera", str(clip), "--record", str(tmp_path / "rec"), "--max-seconds", "1"]) == 0
    stats = json.loads((tmp_path / "rec" / "live.json").read_text())
    assert stats["stopped_by"] == "--max-seconds 1"
    assert stats["frames_analysed"] == 31  # frames at 0, 1/30, ..., 1.0 s
    assert (tmp_path / "rec" / "annotated.mp4").exists()


def test_the_end_of_a_replay_and_no_record_says_nothing_was_written(tmp_path, capsys, clip):
    assert run(["--camera", str(clip)]) == 0
    out = capsys.readouterr().out
    assert "live stopped: end of the recording; 45 frames analysed, 0 dropped" in out
    assert "session not written (pass --record DIR" in out
    assert list(tmp_path.iterdir()) == [clip]


def test_speak_without_a_voice_is_one_note(monkeypatch, tmp_path, capsys, clip):
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert run(["--camera", str(clip), "--speak", "--max-seconds", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "valgus: note: --speak needs espeak-ng" in out


def test_speaker_never_blocks_and_keeps_only_the_newest_cue(tmp_path):
    from valgus.io.speech import Speaker

    sp = Speaker(["sleep"])  # 'sleep TEXT' stands in for the voice: busy for TEXT seconds
    sp.say("0.3")
    assert sp.busy
    sp.say("5")
    sp.say("0.01")  # replaces "5", which was never spoken
    sp.poll()
    assert sp.spoken == ["0.3"]
    sp.close()
    sp.poll()
    assert sp.spoken == ["0.3", "0.01"]
    sp.close()
    assert not Speaker([]).available


def test_keys_pause_recalibrate_reset_mirror_quit():
    from valgus.cli.live import _keys, _Screen
    from valgus.causal import LiveScorer
    from valgus.config import Config
    from valgus.present.live_state import LiveState
    from valgus.present.live_view import LiveView

    class FakeDisplay:
        def __init__(self, keys):
            self.keys, self.shown = list(keys), 0

        def show(self, img):
            self.shown += 1
            return self.keys.pop(0)

    info = VideoInfo(None, 640, 480, 30.0, None, None, "camera", source="camera")
    live, state, view, scr = LiveScorer(Config(), info), LiveState(), LiveView(), _Screen()
    img = np.zeros((48, 64, 3), np.uint8)
    args = (scr, state, live, view, 1.0, img, None)
    assert _keys(-1, FakeDisplay([]), *args) is None
    assert _keys(ord("m"), FakeDisplay([]), *args) is None and scr.mirrored is False
    state.phase = "exercise"
    assert _keys(ord("c"), FakeDisplay([]), *args) is None and state.phase == "calibrate"
    assert _keys(ord("r"), FakeDisplay([]), *args) is None and state.phase == "guide" and live.baseline is None
    d = FakeDisplay([-1, -1, ord(" ")])  # paused: the window keeps showing until space again
    assert _keys(ord(" "), d, *args) is None and d.shown == 3 and not scr.paused
    assert _keys(ord(" "), FakeDisplay([ord("q")]), *args) == "q"  # q while paused
    assert _keys(None, FakeDisplay([]), *args) == "window closed"
    assert _keys(27, FakeDisplay([]), *args) == "q"
    assert [e["event"] for e in scr.events] == ["recalibrate", "reset", "pause", "resume", "pause"]


def test_the_live_command_loads_no_pyav_before_the_window():
    """Issue 11: with PyAV's libxcb loaded before OpenCV's Qt, the first imshow hung. The CLI and
    the live driver must leave PyAV unloaded until valgus.io.display has loaded cv2."""
    import subprocess
    import sys

    code = ("import sys, valgus.cli.main, valgus.cli.live; "
            "sys.exit(1 if 'av' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("flag", ["--hold-seconds", "--max-seconds"])
def test_bad_durations_are_usage_errors(flag, capsys):
    assert run(["--camera", "0", flag, "0"]) == 2
    assert capsys.readouterr().err.strip() == f"valgus: error: {flag} must be more than 0, got 0"
