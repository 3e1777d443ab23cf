"""``valgus batch``: many clips -> one folder per clip and one summary table."""

from __future__ import annotations

import argparse
import csv
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from valgus.cli.history import check_date, record_history
from valgus.config import Config
from valgus.engine import Analysis, analyze_video
from valgus.errors import OutputExistsError, UsageError, ValgusError
from valgus.io.sinks import prepare_outdir
from valgus.present.outputs import write_outputs
from valgus.present.serialize import summary_dict
from valgus.scoring.results import left_right_fppa

log = logging.getLogger(__name__)

VIDEO_EXTS = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp"}


def collect_videos(inputs: list[str]) -> list[Path]:
    """Expand folders (non-recursive, sorted) into video files; keep explicit files as given."""
    vids: list[Path] = []
    for s in inputs:
        p = Path(s)
        if p.is_dir():
            vids.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in VIDEO_EXTS))
        else:
            vids.append(p)
    if not vids:
        raise UsageError("no video files found in the given inputs")
    return vids


BATCH_COLUMNS = [
    "video", "status", "error", "frames", "frames_with_person", "mean_visibility", "view", "exercise",
    "n_reps", "verdict", "max_left_fppa_deg", "max_right_fppa_deg", "min_knee_ankle_sep_ratio",
    "valgus_reps", "left_right_fppa_diff_deg", "seconds",
]


def _num(v: float | None, fmt: str = "{:.1f}") -> str:
    return fmt.format(v) if v is not None and np.isfinite(v) else ""


def batch_row(video: Path, a: Analysis | None, error: str, seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = {c: "" for c in BATCH_COLUMNS}
    row.update(video=str(video), status="ok" if a is not None else "error", error=error, seconds=f"{seconds:.1f}")
    if a is None:
        return row
    s = summary_dict(a)
    r = a.result
    full = [x for x in r.reps if not x.partial]
    diffs = [lf - rt for lf, rt in left_right_fppa(list(r.legs)).values()]
    row.update(
        frames=a.n_frames, frames_with_person=a.n_detected,
        mean_visibility=_num(s["mean_lower_body_visibility"], "{:.3f}"),
        view=r.camera.view, exercise=r.exercise, n_reps=r.n_reps, verdict=r.verdict,
        max_left_fppa_deg=_num(s["peaks"]["left_fppa_deg"]), max_right_fppa_deg=_num(s["peaks"]["right_fppa_deg"]),
        min_knee_ankle_sep_ratio=_num(s["min_knee_ankle_sep_ratio"], "{:.2f}"),
        left_right_fppa_diff_deg=_num(max(diffs, key=abs) if diffs else None),
        valgus_reps=" ".join(f"{x.number}{x.working_leg[0]}:{x.worst('dynamic_knee_valgus')}" for x in full
                             if x.worst("dynamic_knee_valgus") in ("mild", "marked")),
    )
    return row


def run_batch(args: argparse.Namespace, cfg: Config) -> int:
    vids = collect_videos(args.inputs)
    check_date(args)
    root = Path(args.outdir)
    table = root / "summary.csv"
    if table.exists() and not args.force:
        raise OutputExistsError(f"{table}: batch results exist (pass --force to overwrite, or choose -o)")
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    reports: list[str | None] = []  # each clip's report.html, relative to the batch folder
    stems: dict[str, int] = {}
    from tqdm import tqdm

    from valgus.io.video import probe

    for video in tqdm(vids, unit="clip", desc="batch", disable=args.quiet):
        name = video.stem
        stems[name] = stems.get(name, 0) + 1
        if stems[name] > 1:
            name = f"{name}_{stems[name]}"
        t0 = time.perf_counter()
        a, err = None, ""
        try:
            probe(video)
            out = prepare_outdir(root / name, force=args.force)
            a = analyze_video(video, cfg, allow_download=args.download_model, progress=not args.quiet,
                              exercise=args.exercise)
            write_outputs(a, out, write_video=args.video, progress=not args.quiet)
            record_history(a, args)
        except ValgusError as exc:
            err = str(exc)
            log.warning("%s: %s", video.name, exc)
        except Exception as exc:  # one broken clip never ends the batch
            err = f"internal error: {type(exc).__name__}: {exc}"
            log.warning("%s: %s", video.name, err)
        rows.append(batch_row(video, a, err, time.perf_counter() - t0))
        reports.append(f"{name}/report.html" if a is not None and (root / name / "report.html").is_file() else None)
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=BATCH_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    from valgus.io.sinks import write_text_atomic
    from valgus.present.page import batch_index_html

    write_text_atomic(batch_index_html(rows, reports), root / "index.html")
    ok = sum(r["status"] == "ok" for r in rows)
    print(f"{ok}/{len(rows)} clips analysed; summary: {table}; reports: {root / 'index.html'}")
    for r in rows:
        print(f"  {Path(r['video']).name}: {r['verdict'] or 'ERROR ' + r['error']}")
    return 0 if ok == len(rows) else 1
