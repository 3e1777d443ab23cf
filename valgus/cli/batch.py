"""``valgus batch``: the flags into :func:`valgus.batch.score_clips`, ``index.html`` linking each
clip's report, a short account at the end.

Exit codes: 0 every clip scored (``cannot assess`` included), 4 some clips failed (their rows say
why), 1 nothing could start, 2 usage error, 3 the output folder holds results of other settings.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from valgus.batch import ClipOutcome, History, exit_code, read_rows, score_clips
from valgus.cli.history import check_date
from valgus.config import Config


def run_batch(args: argparse.Namespace, cfg: Config) -> int:
    check_date(args)
    history = History(subject=args.subject, path=args.history, date=args.date) if not args.no_history else None
    outcomes: list[ClipOutcome] = []
    try:
        for o in score_clips(
            args.inputs, workers=args.workers, config=cfg, outdir=args.outdir, force=args.force, write_video=args.video,
            scheduler=args.scheduler, threads_per_clip=args.threads_per_clip, exercise=args.exercise,
            baseline=args.baseline, allow_download=args.download_model, progress=not args.quiet, history=history,
        ):
            outcomes.append(o)
    finally:
        write_index(Path(args.outdir))
    n = {s: sum(o.status == s for o in outcomes) for s in ("ok", "cannot assess", "failed")}
    skipped = sum(o.skipped for o in outcomes)
    print(f"clips: {len(outcomes)}, {n['ok']} ok, {n['cannot assess']} cannot assess, {n['failed']} failed"
          f"{f' ({skipped} already scored, not redone)' if skipped else ''}; summary: {Path(args.outdir) / 'summary.csv'}"
          f"; reports: {Path(args.outdir) / 'index.html'}")
    for o in outcomes:
        if o.status == "failed":
            print(f"  failed: {o.video}: {o.reason}")
    return exit_code(outcomes)


def write_index(root: Path) -> None:
    """``index.html``: every clip of the folder's table, linking to its ``report.html``."""
    rows = read_rows(root)
    if not rows:
        return
    from valgus.io.sinks import write_text_atomic
    from valgus.present.page import batch_index_html

    reports = [f"{o.name}/report.html" if (root / o.name / "report.html").is_file() else None for o in rows]
    table = [dict(o.to_row(), status="ok" if rep else "error", error=o.reason) for o, rep in zip(rows, reports)]
    write_text_atomic(batch_index_html(table, reports), root / "index.html")
