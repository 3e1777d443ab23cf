"""``valgus analyze``: one recorded clip -> its output folder and a summary on the console."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from valgus.cli.history import check_date, record_history
from valgus.config import Config
from valgus.engine import Analysis, analyze_video
from valgus.io.sinks import prepare_outdir
from valgus.present import words
from valgus.present.outputs import write_outputs
from valgus.present.report import rep_table
from valgus.present.serialize import notices

log = logging.getLogger(__name__)


def calibration_baseline(args: argparse.Namespace, cfg: Config) -> dict[str, float] | None:
    """``--baseline VIDEO``: the standing values of a calibration clip, by the same rules as a
    clip's own baseline (upright, feet down)."""
    if not getattr(args, "baseline", None):
        return None
    cal = analyze_video(args.baseline, cfg, allow_download=args.download_model, progress=False)
    return dict(cal.result.baseline)


def console_summary(a: Analysis, out: Path) -> str:
    """What ``analyze`` prints: frames, exercise, the rep table, the verdict and why."""
    r = a.result
    name = Path(a.source).name
    lines = [f"{name}: {a.n_detected}/{a.n_frames} frames with a person; exercise {r.exercise}; {r.n_reps} reps",
             rep_table(r), f"VERDICT: {r.verdict}"]
    lines += [f"  - {x}" for x in words.reasons(r)]
    plan = words.plan_line(r)
    if plan:
        lines.append(f"  plan: {plan}")
    lines.append(f"outputs: {out}")
    return "\n".join(lines)


def run_analyze(args: argparse.Namespace, cfg: Config) -> int:
    video = Path(args.video)
    outdir = Path(args.outdir) if args.outdir else Path("valgus_out") / video.stem
    made: list[Path] = []

    def folder(_info: object = None) -> Path:
        """The output folder, prepared once, when the video is known to be readable:
        analyze_video calls this once it has opened the file (opened once, not probed first)."""
        if not made:
            made.append(prepare_outdir(outdir, force=args.force))
        return made[0]

    check_date(args)
    if getattr(args, "baseline", None):  # a bad input or folder fails before the calibration clip is analysed
        from valgus.io.video import probe

        probe(video)
        folder()
    a = analyze_video(video, cfg, allow_download=args.download_model, progress=not args.quiet,
                      exercise=args.exercise, baseline=calibration_baseline(args, cfg), on_open=folder)
    out = folder()
    for w in notices(a):
        log.warning("%s", w)
    write_outputs(a, out, write_video=not args.no_video, progress=not args.quiet,
                  landmarks=getattr(args, "landmarks", False))
    record_history(a, args)
    print(console_summary(a, out))
    if args.open:
        import webbrowser

        webbrowser.open((out / "report.html").resolve().as_uri())
    return 0
