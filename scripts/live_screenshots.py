#!/usr/bin/env python3
"""Screenshots of ``valgus live`` for the docs: the set-up guide, the calibration countdown and a
rep cue, replaying ``sample_videos/squat_valgus.mp4`` with a set-up prefix in a window on a
virtual X server (needs Xvfb, xwd/xwininfo and ImageMagick; see
:mod:`valgus_tools.livewin`). Writes ``docs/img/live_guide.png``, ``live_calibration.png`` and
``live_rep_cue.png``.

    python scripts/live_screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from valgus_tools.livewin import ROOT, Xvfb, make_demo_clip, missing_tools, run_live_window


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNGs (default docs/img)")
    args = ap.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"needs {', '.join(missing)} (Debian: apt install xvfb x11-apps imagemagick)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, Xvfb() as x:
        clip = make_demo_clip(Path(tmp) / "demo.mp4")
        run = run_live_window(clip, Path(tmp) / "rec", args.out, display=x.display)
    if run.window_seen_s is None or run.returncode != 0:
        print(f"live failed (exit {run.returncode}):\n{run.stderr[-2000:]}", file=sys.stderr)
        return 1
    for name, png in sorted(run.shots.items()):
        print(f"{name}: {png}")
    return 0 if len(run.shots) == 3 else 1


if __name__ == "__main__":
    sys.exit(main())
