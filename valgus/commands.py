"""``valgus analyze`` and ``valgus batch``: library calls plus output folders."""

from __future__ import annotations

import argparse
import csv
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from valgus.config import Config
from valgus.errors import OutputExistsError, UsageError, ValgusError
from valgus.outputs import prepare_outdir, summary_dict, write_frames_csv, write_json
from valgus.pipeline import Analysis, analyze_video
from valgus.report import rep_table, report_text

log = logging.getLogger(__name__)

VIDEO_EXTS = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp"}


def _baseline(args: argparse.Namespace, cfg: Config) -> dict[str, float] | None:
    if not getattr(args, "baseline", None):
        return None
    from valgus.scoring import BASELINE_KEYS

    cal = analyze_video(args.baseline, cfg, allow_download=args.download_model, progress=False)
    return {k: float(np.nanmedian(cal.metrics[k])) for k in BASELINE_KEYS}


def analyze_one(video: str | Path, outdir: Path, cfg: Config, args: argparse.Namespace, *,
                write_video: bool, baseline: dict[str, float] | None = None) -> Analysis:
    """Analyse one clip and write every output into ``outdir`` (which must be prepared)."""
    progress = not args.quiet
    result = analyze_video(video, cfg, allow_download=args.download_model, progress=progress,
                           exercise=args.exercise)
    if baseline:
        from valgus.scoring import score_clip

        result.reps = score_clip(result, exercise=args.exercise, baseline=baseline)
    t0 = time.perf_counter()
    write_frames_csv(result.metrics, outdir / "frames.csv")
    write_json(result.reps.to_dict(cfg), outdir / "reps.json")
    (outdir / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
    (outdir / "report.txt").write_text(report_text(result), encoding="utf-8")
    if write_video:
        from valgus.render_video import write_annotated

        # capped at 1280 px on the long side: a phone clip's H.264 encoder at 1080x1920 alone took
        # ~170 MB (10-minute 1080p clip: peak 615 -> ~500 MB) and 45 -> 29 ms CPU per frame
        write_annotated(result, outdir / "annotated.mp4", progress=progress, max_side=1280)
    result.timings["write_outputs"] = time.perf_counter() - t0
    write_json(summary_dict(result), outdir / "summary.json")
    return result


def run_analyze(args: argparse.Namespace, cfg: Config) -> int:
    video = Path(args.video)
    outdir = Path(args.outdir) if args.outdir else Path("valgus_out") / video.stem
    from valgus.video import probe

    probe(video)  # fail on a bad input before touching the output folder
    out = prepare_outdir(outdir, force=args.force)
    res = analyze_one(video, out, cfg, args, write_video=not args.no_video, baseline=_baseline(args, cfg))
    r = res.reps
    print(f"{video.name}: {res.n_detected}/{res.n_frames} frames with a person; "
          f"exercise {r.exercise}; {len([x for x in r.reps if not x.partial])} reps")
    print(rep_table(r))
    print(f"VERDICT: {r.verdict}")
    for reason in r.reasons:
        print(f"  - {reason}")
    if r.plan:
        print("  plan: " + "; ".join(r.plan["activation"] + r.plan["strength"] + r.plan["function"]))
    print(f"outputs: {out}")
    return 0


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


def batch_row(video: Path, res: Analysis | None, error: str, seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = {c: "" for c in BATCH_COLUMNS}
    row.update(video=str(video), status="ok" if res is not None else "error", error=error, seconds=f"{seconds:.1f}")
    if res is None:
        return row
    s = summary_dict(res)
    r = res.reps
    full = [x for x in r.reps if not x.partial]
    row.update(
        frames=res.n_frames, frames_with_person=res.n_detected,
        mean_visibility=f"{s['mean_lower_body_visibility']:.3f}" if s["mean_lower_body_visibility"] is not None else "",
        view=r.camera.view, exercise=r.exercise, n_reps=len(full), verdict=r.verdict,
        max_left_fppa_deg=_num(s["peaks"]["left_fppa_deg"]), max_right_fppa_deg=_num(s["peaks"]["right_fppa_deg"]),
        min_knee_ankle_sep_ratio=_num(s["min_knee_ankle_sep_ratio"], "{:.2f}"),
        left_right_fppa_diff_deg=_num(_lr_diff(r.legs)),
        valgus_reps=" ".join(f"{x.number}{x.working_leg[0]}:{x.worst('dynamic_knee_valgus')}" for x in full
                             if x.worst("dynamic_knee_valgus") in ("mild", "marked")),
    )
    return row


def _lr_diff(legs: list[Any]) -> float | None:
    """Left minus right mean FPPA for the single-leg exercise with the largest difference."""
    from valgus.scoring import left_right_fppa

    diffs = [lf - rt for lf, rt in left_right_fppa(legs).values()]
    return max(diffs, key=abs) if diffs else None


def _num(v: float | None, fmt: str = "{:.1f}") -> str:
    return fmt.format(v) if v is not None and np.isfinite(v) else ""


def run_batch(args: argparse.Namespace, cfg: Config) -> int:
    vids = collect_videos(args.inputs)
    root = Path(args.outdir)
    table = root / "summary.csv"
    if table.exists() and not args.force:
        raise OutputExistsError(f"{table}: batch results exist (pass --force to overwrite, or choose -o)")
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    stems: dict[str, int] = {}
    from tqdm import tqdm

    for video in tqdm(vids, unit="clip", desc="batch", disable=args.quiet):
        name = video.stem
        stems[name] = stems.get(name, 0) + 1
        if stems[name] > 1:
            name = f"{name}_{stems[name]}"
        t0 = time.perf_counter()
        res, err = None, ""
        try:
            from valgus.video import probe

            probe(video)
            out = prepare_outdir(root / name, force=args.force)
            res = analyze_one(video, out, cfg, args, write_video=args.video)
        except ValgusError as exc:
            err = str(exc)
            log.warning("%s: %s", video.name, exc)
        except Exception as exc:  # one broken clip never ends the batch
            err = f"internal error: {type(exc).__name__}: {exc}"
            log.warning("%s: %s", video.name, err)
        rows.append(batch_row(video, res, err, time.perf_counter() - t0))
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=BATCH_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    ok = sum(r["status"] == "ok" for r in rows)
    print(f"{ok}/{len(rows)} clips analysed; summary: {table}")
    for r in rows:
        print(f"  {Path(r['video']).name}: {r['verdict'] or 'ERROR ' + r['error']}")
    return 0 if ok == len(rows) else 1
