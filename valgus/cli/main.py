"""The ``valgus`` command: ``analyze``, ``batch``, ``live`` and ``history``. Parses flags, builds a config and
calls library functions; never prints a traceback for a user's mistake.

Exit codes: 0 ok, 1 analysis failed, 2 usage error, 3 output exists (``--force``), 4 batch: some clips
failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys

from valgus import __version__
from valgus.config import Config, load_config, override
from valgus.errors import UsageError, ValgusError
from valgus.scoring.results import EXERCISES

log = logging.getLogger("valgus")


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and analysis")
    g.add_argument("--config", metavar="TOML", help="settings file (defaults < file < flags)")
    g.add_argument("--model", help="pose model: full (bundled, default), lite, heavy, or a .task path")
    g.add_argument("--download-model", action="store_true",
                   help="allow downloading a named model (lite/heavy) from MediaPipe's model storage")
    g.add_argument("--exercise", choices=list(EXERCISES),
                   help="force the exercise instead of recognising it from the motion")
    g.add_argument("--sex", choices=["female", "male"], help="use sex-specific FPPA norms")
    g.add_argument("--mirrored", action="store_true", help="the video is a mirror image (selfie view)")
    g.add_argument("--num-poses", type=int, help="people the model may return per frame (default 2)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings and errors only")
    g.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _frames(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stride", type=int, help="analyse every n-th frame")
    p.add_argument("--max-fps", type=float, help="analyse at most this many frames per second of video")
    p.add_argument("--max-side", type=int,
                   help="scale frames down so the longer side is at most this many pixels before the model "
                        "(default 0 = full resolution)")
    p.add_argument("--baseline", metavar="VIDEO",
                   help="a calibration clip of the subject standing still, used as the standing baseline")


def _history_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("history (progress over sessions)")
    g.add_argument("--subject", metavar="ID", help="store this clip in the history of subject ID (nothing is stored without it)")
    g.add_argument("--date", metavar="YYYY-MM-DD", help="session date to store (default: the video file's date)")
    g.add_argument("--history", metavar="PATH", help="history database (default: $VALGUS_HISTORY, else "
                   "$XDG_DATA_HOME/valgus/history.sqlite)")
    g.add_argument("--no-history", action="store_true", help="do not store anything, even with --subject")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="valgus",
        description="Measure dynamic knee valgus rep by rep from one camera, and say whether the "
                    "pattern points to weak hips.",
    )
    parser.add_argument("--version", action="version", version=f"valgus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="analyse a recorded video", description=(
        "Analyse one video: writes frames.csv, reps.json, summary.json, report.txt, report.html and "
        "annotated.mp4 to the output folder and prints the rep table and verdict."))
    a.add_argument("video", help="video file (mp4, mov, avi, mkv, webm, gif, ...)")
    a.add_argument("-o", "--outdir", help="output folder (default: valgus_out/<video name>)")
    a.add_argument("--force", action="store_true", help="overwrite an existing output folder")
    a.add_argument("--no-video", action="store_true", help="do not write annotated.mp4 (faster)")
    a.add_argument("--landmarks", action="store_true",
                   help="also write landmarks.npz: the pose model's landmarks (pixels and metres), to re-score or study "
                        "the clip without the model (valgus.engine.analyze_landmarks)")
    a.add_argument("--open", action="store_true", help="open report.html in the default browser when done")
    _common(a)
    _frames(a)
    _history_flags(a)

    b = sub.add_parser("batch", help="analyse many videos into one summary table", description=(
        "Analyse many clips in parallel: one folder per clip and one row per clip in summary.csv and "
        "summary.jsonl, written as each clip finishes. A re-run resumes: clips already scored with the "
        "same input, model and settings are skipped. One bad clip never stops the batch. Exit codes: 0 "
        "every clip scored (cannot assess included), 4 some clips failed (see the table), 1 nothing could "
        "start, 2 usage error, 3 the folder holds results of other settings (--force)."))
    b.add_argument("inputs", nargs="+",
                   help="video files, folders (searched recursively), glob patterns, or clip lists (.csv with "
                        "columns path, subject, sex, exercise, leg, mirrored, baseline)")
    b.add_argument("-o", "--outdir", default="valgus_batch", help="output folder (default: valgus_batch)")
    b.add_argument("--force", action="store_true",
                   help="analyse clips again even when already scored, and replace results of other settings")
    b.add_argument("--video", action="store_true", help="also write annotated videos (slower)")
    b.add_argument("--workers", type=int, help="worker processes (default: the cores; 0: in this process, one clip "
                                                "after another)")
    b.add_argument("--threads-per-clip", type=int, metavar="N",
                   help="threads each clip may use (default: cores / workers, at least 1)")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for a local "
                        "cluster of N processes (needs: pip install 'valgus[dask]')")
    _common(b)
    _frames(b)
    _history_flags(b)

    h = sub.add_parser("history", help="a subject's progress over sessions", description=(
        "Print the trend of a subject's stored clips and write history_<ID>.html: per exercise and leg, "
        "FPPA and valgus flags over the sessions, and whether the change is beyond the smallest "
        "detectable difference."))
    h.add_argument("subject", metavar="ID", help="the subject ID given to analyze --subject")
    h.add_argument("--history", metavar="PATH", help="history database (default: as for analyze)")
    h.add_argument("-o", "--outdir", default=".", help="folder for history_<ID>.html (default: current folder)")
    h.add_argument("--config", metavar="TOML", help="settings file (its thresholds.asymmetry_deg is the SDD)")
    h.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    h.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    lv = sub.add_parser("live", help="check your squat live with a webcam", description=(
        "Webcam check: a set-up guide, a standing calibration, the knee colours and each rep's result as it "
        "ends, and the verdict at the end. Keys: q quit, space pause, c recalibrate, r reset, m mirror."))
    lv.add_argument("--camera", default="0",
                    help="camera index, device path or stream URL (default 0); a video file is replayed as if live")
    lv.add_argument("--width", type=int, default=1280, help="requested camera frame width in pixels (default 1280)")
    lv.add_argument("--height", type=int, default=720, help="requested camera frame height in pixels (default 720)")
    lv.add_argument("--no-display", action="store_true", help="no window (print cues only)")
    lv.add_argument("--realtime", action="store_true",
                    help="replay a video file at its frame rate, dropping frames the model cannot keep up with "
                         "(as a camera would); without it every frame of a file is analysed")
    lv.add_argument("--record", metavar="DIR",
                    help="write the session here as analyze writes a clip (frames.csv, reps.json, summary.json, "
                         "report.txt, annotated.mp4) plus live.json (fps, latency, dropped frames)")
    lv.add_argument("--force", action="store_true", help="overwrite an existing --record folder")
    lv.add_argument("--no-video", action="store_true", help="with --record: no annotated.mp4 (and no camera.mp4)")
    lv.add_argument("--max-seconds", type=float, help="stop after this many seconds of media time")
    lv.add_argument("--speak", action="store_true", help="spoken cues (needs espeak-ng)")
    lv.add_argument("--hold-seconds", type=float, default=3.0,
                    help="standing calibration: hold still this long (default 3)")
    lv.add_argument("--no-mirror", action="store_true", help="show the camera picture unmirrored (m toggles)")
    _common(lv)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    cfg = load_config(getattr(args, "config", None))
    cfg = override(cfg, "pose", model=args.model, num_poses=args.num_poses,
                   max_side=getattr(args, "max_side", None))
    cfg = override(cfg, "video", stride=getattr(args, "stride", None), max_fps=getattr(args, "max_fps", None),
                   mirrored=True if args.mirrored else None)
    cfg = override(cfg, "thresholds", sex=args.sex)
    return cfg


def setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s" if verbose else "%(message)s"))
    root = logging.getLogger("valgus")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a one-line usage error
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    setup_logging(args.quiet, args.verbose)
    try:
        if args.command == "history":
            from valgus.cli.history import run_history

            return run_history(args, load_config(args.config))
        cfg = config_from_args(args)
        if args.command == "analyze":
            from valgus.cli.analyze import run_analyze

            return run_analyze(args, cfg)
        if args.command == "batch":
            from valgus.cli.batch import run_batch

            return run_batch(args, cfg)
        if args.command == "live":
            from valgus.cli.live import run_live

            return run_live(args, cfg)
        raise UsageError(f"unknown command {args.command}")
    except ValgusError as exc:
        print(f"valgus: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("valgus: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, with a hint for the full story
        if args.verbose:
            log.exception("internal error")
        print(f"valgus: internal error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
