"""CLI exit codes and messages (valgus.cli.main), and the pipeline with a fake pose estimator.

No test here runs the real pose model: every failure is reached before the model is opened, and
the pipeline tests pass a fake estimator.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import frontal_xy, make_person, standing_world, write_video
from valgus.cli.main import main
from valgus.errors import NoPersonError, VideoError
from valgus.landmarks import LM
from valgus.engine import analyze_video
from valgus.types import FramePoses


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch, tmp_path):
    """main() installs a handler on the 'valgus' logger bound to the (captured) stderr; undo it.
    Also run in tmp_path so a default output folder can never land in the repository."""
    monkeypatch.chdir(tmp_path)
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    yield
    lg.handlers[:], lg.level, lg.propagate = saved[0], saved[1], saved[2]


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------------------------
# Usage errors: exit code 2
# --------------------------------------------------------------------------------------------


def test_no_arguments_prints_help_and_exits_2(capsys) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "usage: valgus" in out and "analyze" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus"],  # unknown global flag
        ["analyze"],  # missing the video
        ["analyze", "clip.mp4", "--no-such-flag"],
        ["analyze", "clip.mp4", "--num-poses", "two"],  # not an int
        ["analyze", "clip.mp4", "--exercise", "lunge"],  # not a choice
        ["frobnicate"],  # unknown command
    ],
)
def test_bad_flags_exit_2(capsys, argv) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_version_exits_0(capsys) -> None:
    assert main(["--version"]) == 0
    assert "valgus" in capsys.readouterr().out


@pytest.mark.parametrize(
    "toml, words",
    [
        ("[reps]\nmin_dept = 0.2\n", "did you mean 'min_depth'"),  # unknown key
        ("[reps]\nmin_depth = 7.0\n", "reps.min_depth"),  # out of range
        ("[video]\nstride = 'two'\n", "video.stride"),  # wrong type
        ("[pose\n", "not valid TOML"),  # not TOML
    ],
)
def test_bad_config_file_exits_2(tmp_path, capsys, toml, words) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    assert main(["analyze", "whatever.mp4", "--config", str(cfg)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("valgus: error:") and words in line


def test_missing_config_file_exits_2(tmp_path, capsys) -> None:
    assert main(["analyze", "whatever.mp4", "--config", str(tmp_path / "none.toml")]) == 2
    assert "not found" in one_error_line(capsys.readouterr().err)


def test_out_of_range_flag_exits_2(capsys) -> None:
    assert main(["analyze", "whatever.mp4", "--stride", "0"]) == 2
    assert "video.stride" in one_error_line(capsys.readouterr().err)


# --------------------------------------------------------------------------------------------
# Bad inputs: exit code 1, one line, no traceback, nothing written
# --------------------------------------------------------------------------------------------


def _missing(tmp: Path) -> Path:
    return tmp / "missing.mp4"


def _dir(tmp: Path) -> Path:
    (tmp / "clips").mkdir()
    return tmp / "clips"


def _text(tmp: Path) -> Path:
    (tmp / "readme.mp4").write_text("not a video\n")
    return tmp / "readme.mp4"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.mp4").write_bytes(b"")
    return tmp / "empty.mp4"


@pytest.mark.parametrize("make", [_missing, _dir, _text, _empty], ids=["missing", "directory", "text", "empty"])
def test_bad_video_exits_1_with_one_line(tmp_path, capsys, make) -> None:
    video = make(tmp_path)
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "-q"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("valgus: error:") and video.name in line
    assert not out.exists()  # the input is checked before the output folder is touched


def test_existing_output_folder_exits_3(tmp_path, capsys) -> None:
    video = write_video(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    out.mkdir()
    (out / "frames.csv").write_text("old results\n")
    assert main(["analyze", str(video), "-o", str(out), "-q"]) == 3
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("valgus: error:") and "--force" in line
    assert (out / "frames.csv").read_text() == "old results\n"  # untouched


def test_output_path_that_is_a_file_exits_3(tmp_path, capsys) -> None:
    video = write_video(tmp_path / "clip.mp4")
    (tmp_path / "out").write_text("x")
    assert main(["analyze", str(video), "-o", str(tmp_path / "out"), "-q"]) == 3
    one_error_line(capsys.readouterr().err)


def test_batch_with_no_videos_is_a_usage_error(tmp_path, capsys) -> None:
    (tmp_path / "empty_folder").mkdir()
    assert main(["batch", str(tmp_path / "empty_folder"), "-o", str(tmp_path / "b"), "-q"]) == 2
    assert "no video files" in one_error_line(capsys.readouterr().err)


def test_batch_refuses_to_overwrite_a_summary(tmp_path, capsys) -> None:
    out = tmp_path / "b"
    out.mkdir()
    (out / "summary.csv").write_text("old\n")
    assert main(["batch", str(write_video(tmp_path / "clip.mp4")), "-o", str(out), "-q"]) == 3
    assert "--force" in one_error_line(capsys.readouterr().err)
    assert (out / "summary.csv").read_text() == "old\n"


def test_batch_with_only_bad_clips_exits_4_and_records_them(tmp_path, capsys) -> None:
    bad = _text(tmp_path)
    out = tmp_path / "b"
    assert main(["batch", str(bad), str(tmp_path / "gone.mp4"), "-o", str(out), "-q", "--workers", "1"]) == 4
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    rows = (out / "summary.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",failed," in r for r in rows[1:])  # header + one row per clip


# --------------------------------------------------------------------------------------------
# The pipeline with a fake pose estimator (no model)
# --------------------------------------------------------------------------------------------


class FakeEstimator:
    """Returns the same people in every frame; records what it was called with."""

    def __init__(self, people=()) -> None:
        self.people = tuple(people)
        self.calls: list[tuple[int, float, tuple[int, int] | None, tuple[int, ...]]] = []
        self.closed = False

    def __call__(self, image, t, index, size=None) -> FramePoses:
        self.calls.append((index, t, size, image.shape))
        return FramePoses(index=index, t=t, people=self.people)

    def close(self) -> None:
        self.closed = True


def test_fake_estimator_with_nobody_raises_no_person(tmp_path) -> None:
    video = write_video(tmp_path / "clip.mp4", n=10)
    fake = FakeEstimator()
    with pytest.raises(NoPersonError, match="no person"):
        analyze_video(video, estimator=fake)
    assert [c[0] for c in fake.calls] == list(range(10))
    assert all(c[2] == (64, 48) for c in fake.calls)  # landmarks are asked for in original pixels
    assert not fake.closed  # a caller's estimator is the caller's to close


def test_fake_estimator_with_a_person_measures_the_figure(tmp_path) -> None:
    video = write_video(tmp_path / "clip.mp4", n=30, fps=30.0)
    # a small stick figure: left knee 2 px medial of a 20 px straight leg -> FPPA 2 atan(2/10)
    xy = frontal_xy(cx=32, hip_y=10, hip_half=4, thigh=10, shank=10, knee_in_left=2,
                    trunk_height=8, shoulder_half=5)
    fake = FakeEstimator([make_person(xy, 0.9, standing_world(flex_left=30.0))])
    result = analyze_video(video, estimator=fake)
    assert result.n_frames == 30 and result.n_detected == 30
    np.testing.assert_allclose(result.metrics["time_s"], np.arange(30) / 30.0, atol=1e-3)
    np.testing.assert_allclose(result.metrics["left_fppa_deg"], 2 * math.degrees(math.atan2(2, 10)), atol=1e-6)
    np.testing.assert_allclose(result.metrics["right_fppa_deg"], 0.0, atol=1e-6)
    np.testing.assert_allclose(result.metrics["left_knee_flexion_deg"], 30.0, atol=1e-6)
    np.testing.assert_allclose(result.track_raw.xy[:, LM.LEFT_KNEE], np.tile(xy[LM.LEFT_KNEE], (30, 1)))


def test_fake_estimator_with_stride(tmp_path) -> None:
    from valgus.config import Config, override

    video = write_video(tmp_path / "clip.mp4", n=10)
    fake = FakeEstimator()
    cfg = override(Config(), "video", stride=3)
    with pytest.raises(NoPersonError):
        analyze_video(video, cfg, estimator=fake)
    assert [c[0] for c in fake.calls] == [0, 3, 6, 9]


def test_pipeline_bad_video_raises_video_error(tmp_path) -> None:
    (tmp_path / "x.mp4").write_text("nope")
    with pytest.raises(VideoError):
        analyze_video(tmp_path / "x.mp4", estimator=FakeEstimator())


class _GappyEstimator(FakeEstimator):
    """A person in every frame except the frames listed in ``missing``."""

    def __init__(self, people, missing) -> None:
        super().__init__(people)
        self.missing = set(missing)

    def __call__(self, image, t, index, size=None) -> FramePoses:
        poses = super().__call__(image, t, index, size)
        return FramePoses(index=index, t=t, people=() if index in self.missing else poses.people)


def test_frames_with_person_counts_what_the_model_saw(tmp_path) -> None:
    video = write_video(tmp_path / "clip.mp4", n=30, fps=30.0)
    xy = frontal_xy(cx=32, hip_y=10, hip_half=4, thigh=10, shank=10, trunk_height=8, shoulder_half=5)
    fake = _GappyEstimator([make_person(xy, 0.9)], missing={10, 11})  # 2 frames = 0.1 s: gap-filled
    result = analyze_video(video, estimator=fake)
    assert int(result.metrics["detected"].sum()) == 28  # frames.csv: what the model saw
    assert result.n_detected == 28


def test_landmarks_npz_re_analyses_to_the_same_numbers(tmp_path) -> None:
    """``--landmarks`` keeps the pose model's output; re-analysing it without the model gives the
    same frames.csv values and verdict as the video did."""
    from valgus.engine import analyze_landmarks
    from valgus.io.sinks import write_landmarks

    video = write_video(tmp_path / "clip.mp4", n=30, fps=30.0)
    xy = frontal_xy(cx=32, hip_y=10, hip_half=4, thigh=10, shank=10, trunk_height=8, shoulder_half=5)
    a = analyze_video(video, estimator=_GappyEstimator([make_person(xy, 0.9)], missing={10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))
    write_landmarks(a.track_raw, a.track, a.info, tmp_path / "landmarks.npz", a.frames_with_several_people)
    b = analyze_landmarks(tmp_path / "landmarks.npz")
    assert b.result.verdict == a.result.verdict
    assert b.n_detected == a.n_detected == 19
    for k, v in a.metrics.items():
        if k != "flags":
            np.testing.assert_array_equal(b.metrics[k], v, err_msg=k)
    assert list(b.metrics["flags"]) == list(a.metrics["flags"])


def _recording_analyze(monkeypatch, analysis):
    """Stand in for analyze_video (the real model is not run): record each call and, like the real
    one, call ``on_open`` once the video is open."""
    calls: list[dict] = []

    def fake(video, cfg, **kw):
        calls.append({"video": Path(video).name, **kw})
        if kw.get("on_open") is not None:
            kw["on_open"](analysis.info)
        return analysis

    monkeypatch.setattr("valgus.cli.analyze.analyze_video", fake)
    return calls


def test_analyze_prepares_the_folder_once_the_video_is_open(synthetic_analysis, tmp_path, monkeypatch) -> None:
    """The video is opened once (no separate probe): the output folder is prepared from
    analyze_video's on_open call, and the outputs land in it."""
    calls = _recording_analyze(monkeypatch, synthetic_analysis)
    video = write_video(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--no-video", "-q"]) == 0
    assert len(calls) == 1 and calls[0]["on_open"] is not None
    assert {"report.html", "reps.json", "frames.csv", "summary.json"} <= {p.name for p in out.iterdir()}


def test_analyze_with_a_baseline_checks_the_video_before_the_calibration_clip(synthetic_analysis, tmp_path,
                                                                              monkeypatch, capsys) -> None:
    calls = _recording_analyze(monkeypatch, synthetic_analysis)
    calib = write_video(tmp_path / "calib.mp4")
    out = tmp_path / "out"
    bad = _text(tmp_path)
    assert main(["analyze", str(bad), "--baseline", str(calib), "-o", str(out), "-q"]) == 1
    assert calls == [] and not out.exists()  # the calibration clip was not analysed for nothing
    assert "readme.mp4" in one_error_line(capsys.readouterr().err)

    video = write_video(tmp_path / "clip.mp4")
    assert main(["analyze", str(video), "--baseline", str(calib), "-o", str(out), "--no-video", "-q"]) == 0
    assert [c["video"] for c in calls] == ["calib.mp4", "clip.mp4"]
    assert calls[1]["baseline"] == dict(synthetic_analysis.result.baseline)
    assert (out / "reps.json").exists()
