"""``valgus batch`` / :mod:`valgus.batch` without the pose model: inputs and clip lists, folder
names, rows and the summary store (torn lines, lock, foreign tables), refusing other settings,
exit codes, and a worker process that dies. The real model: tests/integration/test_batch_clips.py."""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import write_video
from valgus.batch import (
    CSV_COLUMNS, EXIT_SOME_FAILED, BatchMismatchError, ClipJob, ClipOutcome, LegValues, SummaryStore, _assign_names,
    exit_code, expand_inputs, read_clip_list, score_clips,
)
from valgus.batch.jobs import clip_config, failed_outcome, settings_hash
from valgus.batch.workers import ClipTask, run_local
from valgus.config import Config
from valgus.errors import OutputExistsError, UsageError, ValgusError



def rows_of(outdir: Path) -> list[dict[str, str]]:
    with (outdir / "summary.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def journal(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "summary.jsonl").read_text().splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------
# Inputs (no model)
# --------------------------------------------------------------------------------------------


def test_inputs_folders_recursive_globs_files_and_dedup(tmp_path) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "a" / ".hidden").mkdir()
    for rel in ("a/x.mp4", "a/deep/y.MOV", "a/notes.txt", "a/.hidden/z.mp4", "b.mkv"):
        (tmp_path / rel).write_bytes(b"v")
    out = tmp_path / "a" / "results"  # the batch's own output folder is never searched
    out.mkdir()
    (out / "annotated.mp4").write_bytes(b"v")
    jobs = expand_inputs([tmp_path / "a", str(tmp_path / "*.mkv"), tmp_path / "a" / "x.mp4",
                          tmp_path / "gone.mp4"], exclude=out)
    names = [j.path.relative_to(tmp_path).as_posix() for j in jobs]
    # folder contents sorted and recursive (hidden folders skipped), x.mp4 once, a missing file kept
    assert names == ["a/x.mp4", "a/deep/y.MOV", "b.mkv", "gone.mp4"]
    assert all(j.path.is_absolute() for j in jobs)


def test_inputs_without_any_clip_is_a_usage_error(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no video files"):
        expand_inputs([tmp_path / "empty", str(tmp_path / "*.mp4")])


def test_clip_list_paths_are_relative_to_the_list_and_facts_are_parsed(tmp_path) -> None:
    (tmp_path / "lists").mkdir()
    lst = tmp_path / "lists" / "study.csv"
    lst.write_text("path,subject,sex,exercise,leg,mirrored,baseline\n"
                   "../clips/s1.mp4,S1,female,single_leg_squat,left,yes,../clips/s1_stand.mp4\n"
                   "../clips/s2.mp4,S2,,,,,\n"
                   ",,,,,,\n")  # blank lines are skipped
    a, b = read_clip_list(lst)
    assert a.path == (tmp_path / "clips" / "s1.mp4").resolve() and a.video == "../clips/s1.mp4"
    assert (a.subject, a.sex, a.exercise, a.leg, a.mirrored) == ("S1", "female", "single_leg_squat", "left", True)
    assert a.baseline == (tmp_path / "clips" / "s1_stand.mp4").resolve()
    assert (b.sex, b.exercise, b.leg, b.mirrored, b.baseline) == (None, None, None, None, None)
    cfg = clip_config(Config(), a)  # the clip's facts override the batch's configuration
    assert cfg.thresholds.sex == "female" and cfg.video.mirrored is True
    assert clip_config(Config(), b) == Config()
    assert settings_hash(Config(), a) != settings_hash(Config(), b)  # sex, mirror, exercise, baseline
    assert settings_hash(Config(), b) == settings_hash(Config(), replace(b, subject="other"))  # not a setting


@pytest.mark.parametrize("text, match", [
    ("clip,sex\nx.mp4,female\n", "unknown column 'clip'"),  # no close match: the valid columns are listed
    ("path,sexx\nx.mp4,female\n", "did you mean 'sex'"),
    ("subject\nS1\n", "needs a 'path' column"),
    ("path,sex\nx.mp4,f\n", r"study.csv:2: sex must be one of female, male"),
    ("path,mirrored\nx.mp4,maybe\n", r"study.csv:2: mirrored must be true or false"),
    ("path,exercise\nx.mp4,lunge\n", r"exercise must be one of squat, single_leg_squat, step_up"),
])
def test_clip_list_errors_name_the_file_line_and_fix(tmp_path, text, match) -> None:
    (tmp_path / "study.csv").write_text(text)
    with pytest.raises(UsageError, match=match):
        read_clip_list(tmp_path / "study.csv")


def test_folder_names_are_unique_and_stable_across_runs(tmp_path) -> None:
    jobs = [ClipJob(path=tmp_path / d / "clip.mp4", video=f"{d}/clip.mp4") for d in ("a", "b")]
    jobs.append(ClipJob(path=tmp_path / "c.mp4", video="c.mp4"))
    named = _assign_names(jobs, {})
    assert len({j.name for j in named}) == 3 and named[2].name == "c"
    assert all(j.name.startswith("clip_") for j in named[:2])
    # an earlier run's names are kept, and never given to another clip
    prev = {str(tmp_path / "c.mp4"): ClipOutcome(video="c.mp4", path=str(tmp_path / "c.mp4"), name="c", status="ok")}
    other = [ClipJob(path=tmp_path / "x" / "c.mp4", video="x/c.mp4")]
    assert _assign_names(other, prev)[0].name != "c"
    assert _assign_names(jobs[2:], prev)[0].name == "c"
    # nor the name of a folder that is already there and not ours, nor a hidden name
    assert _assign_names(jobs[2:], {}, occupied=["c"])[0].name.startswith("c_")
    assert _assign_names([ClipJob(path=tmp_path / ".x.mp4", video=".x.mp4")], {})[0].name == "x"


# --------------------------------------------------------------------------------------------
# Rows and the store (no model)
# --------------------------------------------------------------------------------------------


def outcome(name: str, tmp_path: Path, **kw) -> ClipOutcome:
    return ClipOutcome(video=f"{name}.mp4", path=str(tmp_path / f"{name}.mp4"), name=name, **kw)


def test_row_round_trip_and_per_leg_columns(tmp_path) -> None:
    legs = (LegValues("single_leg_squat", "left", 2, 1, 10.0, 6.0, 0.1),
            LegValues("squat", "left", 2, 0, 0.0, 2.0, 0.3), LegValues("squat", "right", 3, 0, -2.0, 1.0, 0.2))
    o = outcome("c", tmp_path, status="ok", verdict="no valgus", n_reps=4, legs=legs)
    assert ClipOutcome.from_json(json.loads(json.dumps(o.to_json()))) == o
    row = o.to_row()
    assert list(row) == CSV_COLUMNS
    # left: 4 reps over both exercises, 1 with valgus, FPPA averaged over the reps
    assert (row["left_reps"], row["left_valgus_reps"], row["left_mean_fppa_deg"]) == ("4", "1", "5")
    assert row["right_reps"] == "3" and row["mean_visibility"] == ""  # empty cell: not measured


def test_store_drops_a_torn_last_line_and_keeps_the_latest_row(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    a1 = outcome("a", tmp_path, status="failed", reason="x")
    a2 = outcome("a", tmp_path, status="ok", verdict="no valgus")
    b = outcome("b", tmp_path, status="ok")
    text = "".join(json.dumps(o.to_json()) + "\n" for o in (a1, b, a2))
    (out / "summary.jsonl").write_text(text + json.dumps(b.to_json())[:40])  # killed while writing
    store = SummaryStore(out).open()
    try:
        assert list(store.rows) == [a2.path, b.path] and store.rows[a2.path].status == "ok"
        # the journal was compacted and the table rewritten, both whole
        assert len(journal(out)) == 2 and [r["name"] for r in rows_of(out)] == ["a", "b"]
        with pytest.raises(ValgusError, match="another valgus batch is writing"):
            SummaryStore(out).open()
    finally:
        store.close()
    assert not (out / ".partial").exists()


def test_a_summary_table_from_elsewhere_is_not_overwritten(tmp_path) -> None:
    (tmp_path / "summary.csv").write_text("old\n")
    with pytest.raises(OutputExistsError, match="--force"):
        SummaryStore(tmp_path).open()
    assert (tmp_path / "summary.csv").read_text() == "old\n"
    SummaryStore(tmp_path, force=True).open().close()


def test_results_of_another_configuration_are_not_replaced_without_force(tmp_path) -> None:
    clip = write_video(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    out.mkdir()
    prev = ClipOutcome(video="clip.mp4", path=str(clip.resolve()), name="clip", status="ok", config_hash="0" * 12)
    (out / "summary.jsonl").write_text(json.dumps(prev.to_json()) + "\n")
    with pytest.raises(BatchMismatchError, match="another configuration .*--force"):
        next(score_clips([clip], outdir=out, workers=1))
    assert journal(out) == [json.loads(json.dumps(prev.to_json()))]  # untouched


def test_exit_code_counts_cannot_assess_as_scored(tmp_path) -> None:
    ok = outcome("a", tmp_path, status="ok")
    cannot = outcome("b", tmp_path, status="cannot assess")
    bad = outcome("c", tmp_path, status="failed")
    assert exit_code([ok, cannot]) == 0
    assert exit_code([ok, bad]) == EXIT_SOME_FAILED == 4


# --------------------------------------------------------------------------------------------
# A worker process that dies (no model: a stand-in for the clip function)
# --------------------------------------------------------------------------------------------


def crash_on_crash(task: ClipTask) -> ClipOutcome:
    """Runs in a worker process: dies hard on the clip named 'crash', scores the others."""
    if task.job.name == "crash":
        os._exit(3)
    time.sleep(0.2)
    return replace(failed_outcome(task.job, "", **task.ids), status="ok")


def test_a_clip_that_kills_its_worker_fails_alone(tmp_path) -> None:
    jobs = _assign_names([ClipJob(path=tmp_path / f"{n}.mp4", video=f"{n}.mp4") for n in ("a", "crash", "b", "c")], {})
    tasks = [ClipTask(j, Config(), None, False, False, {"run_id": "t"}) for j in jobs]
    got = {o.name: o for o in run_local(tasks, 2, fn=crash_on_crash, warm=False)}
    assert sorted(got) == ["a", "b", "c", "crash"]
    assert got["crash"].status == "failed" and "worker process died" in got["crash"].reason
    assert all(got[n].status == "ok" for n in "abc")
