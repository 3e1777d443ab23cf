"""``valgus batch`` with the real pose model: a folder of good and bad clips, a run killed with
SIGKILL half-way and resumed (nothing lost, nothing done twice), and the same batch through a local
Dask cluster (the same rows)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_video
from valgus.batch import EXIT_SOME_FAILED, ClipOutcome, score_clips

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"
GOOD = ["single_leg_squat_left_collapse_mirrored.mp4", "single_leg_squat_right_good_yaw20.mp4"]
#: fields that differ from run to run (or between a local and a Dask run) for the same result
RUN_FIELDS = {"seconds", "run_id", "worker", "worker_peak_rss_mb", "finished_utc", "path", "video"}

pytestmark = pytest.mark.slow


def rows_of(outdir: Path) -> list[dict[str, str]]:
    with (outdir / "summary.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def journal(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "summary.jsonl").read_text().splitlines() if line.strip()]


def stable(rows: list[dict]) -> dict[str, dict]:
    """Rows by clip name without the per-run fields."""
    return {r["name"]: {k: v for k, v in r.items() if k not in RUN_FIELDS} for r in rows}


# --------------------------------------------------------------------------------------------
# The real thing (pose model): good and bad clips, SIGKILL and resume, Dask
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory) -> Path:
    """Two good clips (named to sort first; the second is filmed 20 degrees off frontal, which the
    camera check refuses to judge: 'cannot assess'), a clip without a person, a truncated clip, a text
    file named .mp4 and a clip whose codec FFmpeg does not know."""
    d = tmp_path_factory.mktemp("clips")
    for i, name in enumerate(GOOD):
        if not (SAMPLES / name).exists():
            pytest.skip(f"{name} missing")
        shutil.copyfile(SAMPLES / name, d / f"{'ab'[i]}_good_{i + 1}.mp4")
    write_video(d / "c_nobody.mp4", n=12)
    data = (SAMPLES / GOOD[0]).read_bytes()
    (d / "d_truncated.mp4").write_bytes(data[: len(data) // 3])  # the moov box is at the end: cut off
    (d / "e_not_a_video.mp4").write_text("these are notes, not a video\n")
    tiny = write_video(d / "tmp.mp4", n=5).read_bytes()
    (d / "f_unknown_codec.mp4").write_bytes(tiny.replace(b"avc1", b"zzz1"))  # a sample entry no decoder knows
    (d / "tmp.mp4").unlink()
    return d


EXPECTED_STATUS = {
    "a_good_1": "ok", "b_good_2": "cannot assess", "c_nobody": "cannot assess", "d_truncated": "failed",
    "e_not_a_video": "failed", "f_unknown_codec": "failed",
}


@pytest.fixture(scope="module")
def local_batch(clip_folder, tmp_path_factory) -> Path:
    from valgus.cli import main

    out = tmp_path_factory.mktemp("local") / "out"
    assert main(["batch", str(clip_folder), "-o", str(out), "-q", "--workers", "2"]) == EXIT_SOME_FAILED
    return out


def test_batch_scores_good_clips_and_records_every_bad_one(local_batch) -> None:
    rows = {r["name"]: r for r in rows_of(local_batch)}
    assert {n: r["status"] for n, r in rows.items()} == EXPECTED_STATUS
    assert rows == {j["name"]: ClipOutcome.from_json(j).to_row() for j in journal(local_batch)}  # one table, twice
    for name in ("a_good_1", "b_good_2"):
        r = rows[name]
        assert int(r["n_reps"]) >= 1 and r["verdict"] and r["exercise"] == "single_leg_squat"
        saved = json.loads((local_batch / name / "reps.json").read_text())
        assert saved["verdict"] == r["verdict"]  # the folder and the row say the same
        assert {"frames.csv", "summary.json", "report.txt", "config.toml"} <= {p.name for p in (local_batch / name).iterdir()}
        assert len(r["config_hash"]) == 12 and len(r["model_sha256"]) == 16 and r["valgus_version"]
    assert "no person" in rows["c_nobody"]["reason"] and not (local_batch / "c_nobody").exists()
    assert "cannot be read as a video" in rows["d_truncated"]["reason"]
    assert "cannot be read as a video" in rows["e_not_a_video"]["reason"]
    assert "unsupported video codec" in rows["f_unknown_codec"]["reason"]
    assert all(not (local_batch / n).exists() for n in ("d_truncated", "e_not_a_video", "f_unknown_codec"))
    assert sorted(p.name for p in local_batch.iterdir() if not p.name.startswith(".")) == [
        "a_good_1", "b_good_2", "index.html", "summary.csv", "summary.jsonl"]
    index = (local_batch / "index.html").read_text()
    assert 'href="a_good_1/report.html"' in index and "e_not_a_video.mp4" in index  # every clip listed


def test_a_batch_killed_half_way_resumes_without_losing_or_redoing_a_clip(clip_folder, local_batch, tmp_path) -> None:
    from valgus.cli import main

    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), *sys.path]))
    proc = subprocess.Popen([sys.executable, "-m", "valgus", "batch", str(clip_folder), "-o", str(out), "-q",
                             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "summary.jsonl").exists() or not (out / "summary.jsonl").read_text().strip():
            assert proc.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no row after 120 s"
            time.sleep(0.05)
        time.sleep(1.0)  # well into the second clip
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # what the killed run left: whole rows only, a folder only for each finished clip
    before = journal(out)
    table = rows_of(out)
    assert [r["name"] for r in table] == [r["name"] for r in before] and all(None not in r.values() for r in table)
    assert 1 <= len(before) < len(EXPECTED_STATUS), "the kill did not land half-way"
    killed_run = {r["run_id"] for r in before}
    assert len(killed_run) == 1
    folders = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders == sorted(r["name"] for r in before if r["frames"] is not None)  # the analysed ones
    for f in folders:
        assert (out / f / "summary.json").exists()

    assert main(["batch", str(clip_folder), "-o", str(out), "-q", "--workers", "1"]) == EXIT_SOME_FAILED
    after = journal(out)
    assert len(after) == len({r["name"] for r in after}) == len(EXPECTED_STATUS)  # one row per clip
    assert stable(after) == stable(journal(local_batch))  # the same results as the uninterrupted batch
    kept = [r for r in after if r["run_id"] in killed_run]
    scored_before = [r for r in before if r["status"] != "failed"]
    assert kept == scored_before  # finished clips were not analysed again (failed ones are retried)
    analysed = [r for r in after if r["run_id"] not in killed_run]
    assert len(analysed) == len(EXPECTED_STATUS) - len(scored_before) and len({r["run_id"] for r in analysed}) == 1

    # and a third run analyses nothing but the failed clips
    assert main(["batch", str(clip_folder), "-o", str(out), "-q", "--workers", "1"]) == EXIT_SOME_FAILED
    third = journal(out)
    redone = {r["name"] for r in third if r["run_id"] not in {a["run_id"] for a in after}}
    assert redone == {n for n, s in EXPECTED_STATUS.items() if s == "failed"}


def test_the_same_batch_through_a_local_dask_cluster_gives_the_same_rows(clip_folder, local_batch, tmp_path) -> None:
    distributed = pytest.importorskip("distributed", reason="Dask is optional: pip install 'valgus[dask]'")
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        got = list(score_clips([clip_folder], scheduler=cl.scheduler_address, outdir=out))
    assert sorted(o.name for o in got) == sorted(EXPECTED_STATUS)
    assert stable(journal(out)) == stable(journal(local_batch))
    assert {o.name: o.status for o in got} == EXPECTED_STATUS


def test_a_clip_list_sets_each_clips_facts(clip_folder, local_batch, tmp_path) -> None:
    """sex and mirrored reach the clip's configuration, a baseline clip is used, the expected leg
    is checked against the reps found; the settings hash differs from the plain run's."""
    lst = tmp_path / "study.csv"
    rel = os.path.relpath(clip_folder, tmp_path)
    lst.write_text("path,subject,sex,exercise,leg,mirrored,baseline\n"
                   f"{rel}/a_good_1.mp4,S1,female,single_leg_squat,left,true,{rel}/b_good_2.mp4\n")
    out = tmp_path / "out"
    [o] = list(score_clips([lst], workers=1, outdir=out))
    plain = {r["name"]: r for r in journal(local_batch)}["a_good_1"]
    assert o.status == "ok" and o.subject == "S1" and o.expected_leg == "left" and o.exercise == "single_leg_squat"
    assert o.config_hash != plain["config_hash"]
    cfg = (out / "a_good_1" / "config.toml").read_text()
    assert 'sex = "female"' in cfg and "mirrored = true" in cfg
    reps = json.loads((out / "a_good_1" / "reps.json").read_text())
    worked = {r["working_leg"] for r in reps["reps"] if not r["partial"]}
    assert ("the clip list says the left leg works" in o.warnings) == ("left" not in worked and "both" not in worked)
