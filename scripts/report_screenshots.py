#!/usr/bin/env python
"""Screenshots of report.html and of a history page, as a phone shows them (headless Chromium).

Analyses three clips with the real pose model, one after another: a valgus clip
(``sample_videos/squat_valgus.mp4``), a clean clip (``sample_videos/squat_good.mp4``) and a clip
the camera check refuses (``../shared/clips/side_squat_overhead_a.mov`` when present, else the
rendered sample filmed 20 degrees off frontal). Then stores three sessions of one subject in a
fresh history database (the valgus clip, the mixed single-leg/squat sample and the clean clip,
dated three weeks apart) and writes its trend page. Every page is shot at phone width, full
length, and written as a 128-colour palette PNG (each under 300 kB).

Usage::

    python scripts/report_screenshots.py                 # -> docs/img/
    python scripts/report_screenshots.py --out shots --keep   # also keep the report folders
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_SIDE = REPO.parent / "shared" / "clips" / "side_squat_overhead_a.mov"
FALLBACK_CANNOT = REPO / "sample_videos" / "single_leg_squat_right_good_yaw20.mp4"
WIDTH = 420  # CSS pixels: a large phone
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
# the page's height once laid out (after the video's size is known, when there is one)
HEIGHT_PROBE = ("<script>function h() { document.title = 'H=' + document.documentElement.scrollHeight; }"
                "const v = document.querySelector('video');"
                "if (v) { v.addEventListener('loadedmetadata', () => setTimeout(h, 50)); } "
                "else { window.addEventListener('load', h); }</script>")

log = logging.getLogger("report_screenshots")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("report_screenshots: chromium is not installed (Debian: apt install chromium)")
    return exe


def page_height(page: Path, profile: Path) -> int:
    """The page's full height at :data:`WIDTH` (a probed copy, dumped after load)."""
    probe = page.with_name("_height_" + page.name)
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", HEIGHT_PROBE + "</body>"), encoding="utf-8")
    out = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
                          f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    probe.unlink()
    m = re.search(r"<title>H=(\d+)</title>", out.stdout)
    if not m:
        raise RuntimeError(f"could not measure {page.name}: {out.stderr[-300:]}")
    return int(m.group(1))


def screenshot(page: Path, png: Path, profile: Path) -> Path:
    """A full-length phone-width screenshot of ``page``, as a 256-colour PNG."""
    h = page_height(page, profile)
    raw = png.with_suffix(".raw.png")
    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
                    f"--window-size={WIDTH},{h}", f"--screenshot={raw}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    if shutil.which("convert"):  # ImageMagick: 128-colour palette PNG without dithering (a third of the size)
        subprocess.run(["convert", str(raw), "-strip", "+dither", "-colors", "128", f"PNG8:{png}"], check=True)
        raw.unlink()
    else:
        raw.replace(png)
    return png


def analyse(video: Path, out: Path, subject: str | None = None, date: str | None = None, history: Path | None = None):
    """``valgus analyze`` as a library call: outputs (with report.html) in ``out``."""
    from valgus.engine import analyze_video
    from valgus.io.history import record_clip
    from valgus.io.sinks import prepare_outdir
    from valgus.present.outputs import write_outputs

    a = analyze_video(video)
    write_outputs(a, prepare_outdir(out, force=True), write_video=True)
    if subject:
        record_clip(a, subject, path=history, date=date)
    log.info("%s: %s", video.name, a.result.verdict)
    return a


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "img"), help="folder for the PNGs (default docs/img)")
    ap.add_argument("--keep", action="store_true", help="keep the report folders (beside the PNGs, in reports/)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("valgus",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="valgus_shots_"))
    profile = work / "chromium-profile"
    db = work / "history.sqlite"
    cannot = SHARED_SIDE if SHARED_SIDE.is_file() else FALLBACK_CANNOT
    shots: dict[str, str] = {}
    try:
        cases = [("report_valgus", REPO / "sample_videos" / "squat_valgus.mp4", "2026-01-05"),
                 ("report_clean", REPO / "sample_videos" / "squat_good.mp4", "2026-02-16"),
                 ("report_cannot_assess", cannot, None)]
        for name, video, date in cases:
            folder = work / name
            a = analyse(video, folder, "demo" if date else None, date, db)
            png = screenshot(folder / "report.html", out / f"{name}.png", profile)
            shots[png.name] = f"{video.name}: {a.result.verdict}"
        analyse(REPO / "sample_videos" / "mixed_sls_left_then_right_then_squat.mp4", work / "mixed", "demo",
                "2026-01-26", db)
        from valgus.config import Config
        from valgus.io.history import HistoryStore, trends
        from valgus.present.history_html import write_history_page

        with HistoryStore(db, create=False) as h:
            clips = h.clips("demo")
        page = write_history_page("demo", clips, trends(clips, Config().thresholds.asymmetry_deg), work)
        png = screenshot(page, out / "history_demo.png", profile)
        shots[png.name] = f"history of 'demo': {len(clips)} clips, {len({c.date for c in clips})} sessions"
        for png_name, what in shots.items():
            size = (out / png_name).stat().st_size
            print(f"{out / png_name}  {size // 1024} kB  {what}")
        if args.keep:
            dest = out / "reports"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(work, dest, ignore=shutil.ignore_patterns("chromium-profile"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
