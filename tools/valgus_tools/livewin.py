"""Run ``valgus live`` in a real window on a virtual X server and take screenshots of it.

Used by ``tests/integration/test_live_window.py`` (screenshots into a temporary folder),
``scripts/live_screenshots.py`` (the same screenshots into ``docs/img/``) and the live benchmark
(``valgus_tools.bench.live``).

- :class:`Xvfb`: a virtual X server (Debian ``xvfb``), started with ``-extension MIT-SHM``: the
  MIT-SHM queries hang in some sandboxes and containers.
- :func:`make_demo_clip`: a sample clip with a set-up prefix, so one replay shows all three
  phases: 2 s with the feet out of the picture (the guide), 5 s standing still (the
  calibration countdown), then the sample's reps (the rep cues).
- :func:`run_live_window`: runs ``python -m valgus live --realtime`` with ``DISPLAY`` set, waits
  for its window (``xwininfo``), grabs the screen every ``every_s`` seconds (``xwd``) and, when
  the replay has ended, picks the grabs of the guide, the countdown and a rep cue from the
  session's own event log (``live.json``), converting them to PNG (ImageMagick ``convert``),
  cropped to the window.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "squat_valgus.mp4"
WINDOW_TITLE = "valgus live"
TOOLS = ("Xvfb", "xwd", "xwininfo", "convert")


def missing_tools() -> list[str]:
    """The X11/ImageMagick programs this module needs that are not on the PATH."""
    return [t for t in TOOLS if shutil.which(t) is None]


class Xvfb:
    """A virtual X server on display ``:N`` (a context manager; :attr:`display` is ``":N"``)."""

    def __init__(self, number: int | None = None, size: str = "1280x800x24") -> None:
        self.number = number if number is not None else 90 + os.getpid() % 100
        self.size = size
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def display(self) -> str:
        return f":{self.number}"

    def __enter__(self) -> "Xvfb":
        for _ in range(20):  # find a free display number
            if not Path(f"/tmp/.X11-unix/X{self.number}").exists() and not Path(f"/tmp/.X{self.number}-lock").exists():
                break
            self.number += 1
        self.proc = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", self.size, "-extension", "MIT-SHM", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Xvfb {self.display} exited with code {self.proc.returncode}")
            r = subprocess.run(["xwininfo", "-root"], env={**os.environ, "DISPLAY": self.display},
                               capture_output=True, timeout=5)
            if r.returncode == 0:
                return self
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"Xvfb {self.display} did not start within 10 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def make_demo_clip(out: Path, src: Path = SAMPLE, *, close_s: float = 2.0, still_s: float = 5.0) -> Path:
    """``src`` with a set-up prefix: ``close_s`` seconds of its first frame zoomed in on the upper
    body (feet out of the picture), ``still_s`` seconds of its first frame (standing still), then
    the whole clip. Written with PyAV as H.264 at the source's size and rate."""
    import av
    with av.open(str(src)) as inp:
        st = inp.streams.video[0]
        rate = st.average_rate or Fraction(30)
        frames = [f.to_ndarray(format="rgb24") for f in inp.decode(st)]
    h, w = frames[0].shape[:2]
    first = frames[0]
    # feet out of the picture: the bottom of the first frame blacked out, the person where they
    # stand (a zoom would move the hips in the picture and read as a squat)
    close = first.copy()
    close[int(h * 0.70):] = 0
    fps = float(rate)
    seq = [close] * int(round(close_s * fps)) + [first] * int(round(still_s * fps)) + frames
    with av.open(str(out), mode="w") as c:
        s = c.add_stream("libx264", rate=Fraction(rate).limit_denominator(1001))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"crf": "23", "preset": "veryfast"}
        for img in seq:
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return out


def window_geometry(display: str, title: str = WINDOW_TITLE) -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the top-level window named ``title``, or None."""
    r = subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                       capture_output=True, text=True, timeout=10)
    for line in r.stdout.splitlines():
        if f'"{title}"' in line:
            m = re.search(r"(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+\+(-?\d+)\+(-?\d+)", line)
            if m:
                w, h, _, _, x, y = (int(g) for g in m.groups())
                return x, y, w, h
    return None


@dataclass
class WindowRun:
    """What :func:`run_live_window` saw."""

    returncode: int | None
    window_seen_s: float | None  # seconds from start until the window showed a picture
    stdout: str
    stderr: str
    live: dict = field(default_factory=dict)  # the session's live.json
    shots: dict[str, Path] = field(default_factory=dict)  # moment -> PNG
    grabs: int = 0


def run_live_window(clip: Path, record: Path, shots_dir: Path, *, display: str, timeout_s: float = 180.0,
                    window_timeout_s: float = 60.0, every_s: float = 0.4, extra_args: tuple[str, ...] = (),
                    python: str = sys.executable) -> WindowRun:
    """Replay ``clip`` through ``valgus live --realtime`` in a window on ``display``; grab the
    screen every ``every_s`` seconds; afterwards keep three grabs as PNG in ``shots_dir``:
    ``live_guide.png``, ``live_calibration.png``, ``live_rep_cue.png`` (see the module docstring)."""
    env = {**os.environ, "DISPLAY": display}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tools"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [python, "-m", "valgus", "live", "--camera", str(clip), "--realtime", "--record", str(record),
           "--force", "--no-video", *extra_args]
    shots_dir.mkdir(parents=True, exist_ok=True)
    grab_dir = shots_dir / "_grabs"
    grab_dir.mkdir(exist_ok=True)
    t_start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    seen: float | None = None
    geom = None
    grabs: list[tuple[float, Path]] = []
    try:
        while proc.poll() is None and time.monotonic() - t_start < timeout_s:
            now = time.monotonic()
            if seen is None:
                g = window_geometry(display)
                if g is not None and g[2] > 100 and g[3] > 100:  # the first picture sized the window
                    seen, geom = now - t_start, g
                elif now - t_start > window_timeout_s:
                    break
                else:
                    time.sleep(0.1)
                    continue
            path = grab_dir / f"{len(grabs):04d}.xwd"
            subprocess.run(["xwd", "-root", "-silent", "-out", str(path)], env=env, timeout=10)
            grabs.append((time.monotonic(), path))
            time.sleep(max(0.0, every_s - (time.monotonic() - now)))
    finally:
        if proc.poll() is None:
            proc.terminate()
        out, err = proc.communicate(timeout=120)
    run = WindowRun(proc.returncode, seen, out, err, grabs=len(grabs))
    stats = record / "live.json"
    if stats.exists():
        run.live = json.loads(stats.read_text())
    if geom is not None and grabs and run.live:
        # the child's media time 0 on the same monotonic clock, plus its median latency: a grab
        # at monotonic time g shows about media time g - start - latency
        start = run.live.get("clock_start") or (t_start + seen)
        lag = (run.live.get("latency_ms") or {}).get("median", 0.0) / 1000.0
        for name, t in pick_moments(run.live.get("events", [])).items():
            _, path = min(grabs, key=lambda g: abs(g[0] - start - lag - t))
            png = shots_dir / f"{name}.png"
            x, y, w, h = geom
            subprocess.run(["convert", f"xwd:{path}", "-crop", f"{w}x{h}+{x}+{y}", "+repage", str(png)],
                           check=True, timeout=60)
            run.shots[name] = png
    shutil.rmtree(grab_dir, ignore_errors=True)
    return run


def pick_moments(events: list[dict], guide_t: float = 1.6) -> dict[str, float]:
    """Media times worth a screenshot, from the session's events: half a second after the guide
    first asked for a change (while the demo clip's feet are still out of the picture, before
    ``guide_t``, if it did by then), the middle of the countdown that ended in a calibration, and
    the bottom of the third rep, with the second rep's cue on screen (the sample's first rep with
    valgus), or else 0.8 s after the second rep."""
    out: dict[str, float] = {}
    phases = [e for e in events if e.get("event") == "phase"]
    asked = [e for e in events if e.get("event") == "guide" and e.get("problems")]
    if asked:
        t = asked[0]["t"]
        later = [p["t"] for p in phases if p["t"] > t]
        end = min(later) if later else float("inf")
        out["live_guide"] = min(t + 0.5, max(t, guide_t), 0.5 * (t + end))
    for a, b in zip(phases, phases[1:]):
        if a["phase"] == "calibrate" and b["phase"] == "exercise":
            out["live_calibration"] = a["t"] + 0.5 * (b["t"] - a["t"])
    reps = [e for e in events if e.get("event") == "rep"]
    if len(reps) >= 3:  # the bottom of rep 3 (knees caving in), rep 2's cue still on screen
        out["live_rep_cue"] = reps[2].get("t_deepest", reps[2]["t"] - 0.9)
    elif reps:
        out["live_rep_cue"] = reps[min(1, len(reps) - 1)]["t"] + 0.8
    return out


__all__ = ["SAMPLE", "WindowRun", "Xvfb", "make_demo_clip", "missing_tools", "pick_moments", "run_live_window",
           "window_geometry"]
