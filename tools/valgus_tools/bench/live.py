"""The live benchmark (issue 11): ``valgus live --realtime`` on a 1280x720 30-fps clip, in a real
window on a virtual X server, for a long session.

- The clip: ``sample_videos/squat_valgus.mp4`` (720x1280) scaled to 720 pixels high and centred
  on a 1280x720 frame filled with the picture's edge colour, encoded once with PyAV, then its
  packets looped (stream copy) to the session's length. Made in a temporary folder; never
  committed.
- The run: ``python -m valgus live --camera CLIP --realtime --record DIR --no-video`` with
  ``DISPLAY`` on :class:`valgus_tools.livewin.Xvfb`; its own ``live.json`` gives frames read,
  analysed, shown and dropped, capture-to-display latency per frame and per-frame cost per minute;
  ``summary.json`` the model's time per frame. This process samples the child's RSS
  (``/proc/PID/status``) and the machine's load (``/proc/loadavg``) every ``sample_s`` seconds;
  peak RSS is the child's ``VmHWM``.
- The targets: >= 25 fps analysed and displayed; latency median < 100 ms and 95th percentile
  < 200 ms; per-frame cost in the last minute within 10 % of the first; peak RSS < 600 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from valgus_tools.bench.speed import make_long_clip
from valgus_tools.livewin import ROOT, SAMPLE, Xvfb, missing_tools, window_geometry

TARGETS = {"fps_min": 25.0, "latency_median_ms_max": 100.0, "latency_p95_ms_max": 200.0,
           "cost_last_vs_first_max": 0.10, "peak_rss_mb_max": 600.0}


def make_landscape_clip(dst: Path, src: Path = SAMPLE, size: tuple[int, int] = (1280, 720)) -> int:
    """``src`` scaled to ``size``'s height, centred on a ``size`` frame (H.264, the source's rate)."""
    import av
    import cv2

    W, H = size
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ist = inp.streams.video[0]
        rate = ist.average_rate or Fraction(30)
        ost = out.add_stream("libx264", rate=rate)
        ost.width, ost.height, ost.pix_fmt = W, H, "yuv420p"
        ost.options = {"crf": "20", "preset": "veryfast"}
        n = 0
        for fr in inp.decode(ist):
            img = fr.to_ndarray(format="rgb24")
            h, w = img.shape[:2]
            k = H / h
            small = cv2.resize(img, (int(round(w * k)), H), interpolation=cv2.INTER_AREA)
            canvas = np.empty((H, W, 3), np.uint8)
            canvas[:] = np.median(img[:, :8].reshape(-1, 3), axis=0)  # the picture's edge colour
            x0 = (W - small.shape[1]) // 2
            canvas[:, x0:x0 + small.shape[1]] = small
            for p in ost.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                out.mux(p)
            n += 1
        for p in ost.encode():
            out.mux(p)
    return n


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _window_png(display: str, png: Path) -> None:
    """A PNG of the live window (xwd of the screen, cropped to the window)."""
    geom = window_geometry(display)
    if geom is None:
        return
    x, y, w, h = geom
    png.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": display}
    xwd = subprocess.run(["xwd", "-root", "-silent"], env=env, capture_output=True, timeout=30).stdout
    subprocess.run(["convert", "xwd:-", "-crop", f"{w}x{h}+{x}+{y}", "+repage", str(png)], input=xwd,
                   check=True, timeout=60)


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_benchmark(seconds: float, out_json: Path | None, *, sample_s: float = 5.0, keep: Path | None = None,
                  python: str = sys.executable, screenshot: Path | None = None,
                  screenshot_at_s: float = 45.0) -> dict[str, Any]:
    """Make the clip, run the live session in a window, and return (and write) the results;
    ``screenshot``: a PNG of the window ``screenshot_at_s`` seconds into the session."""
    missing = missing_tools()
    if missing:
        raise SystemExit(f"needs {', '.join(missing)} (Debian: apt install xvfb x11-apps imagemagick)")
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        one = work / "squat_valgus_1280x720.mp4"
        clip = work / f"squat_valgus_1280x720_{seconds:.0f}s.mp4"
        t0 = time.monotonic()
        if not clip.exists():
            make_landscape_clip(one)
            frames = make_long_clip(one, seconds, clip)
        else:
            frames = None
        clip_s = time.monotonic() - t0
        rec = work / "rec"
        env = {**os.environ}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tools"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env.setdefault("GLOG_minloglevel", "2")
        cmd = [python, "-m", "valgus", "live", "--camera", str(clip), "--realtime", "--record", str(rec), "--force",
               "--no-video", "-q"]
        with Xvfb() as x:
            env["DISPLAY"] = x.display
            before = {"uptime": _uptime(), "loadavg": _loadavg()}
            start = time.monotonic()
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            samples: list[dict[str, Any]] = []
            peak_kb = 0
            cpu_s = None
            while proc.poll() is None:
                if screenshot is not None and time.monotonic() - start >= min(screenshot_at_s, 0.5 * seconds):
                    _window_png(x.display, screenshot)
                    screenshot = None
                cpu_s = _cpu_s(proc.pid) or cpu_s
                rss = _status_kb(proc.pid, "VmRSS")
                peak_kb = max(peak_kb, _status_kb(proc.pid, "VmHWM") or 0)
                samples.append({"t": round(time.monotonic() - start, 1), "rss_mb": round((rss or 0) / 1024, 1),
                                "load1": (_loadavg() or [float("nan")])[0]})
                try:
                    proc.wait(timeout=sample_s)
                except subprocess.TimeoutExpired:
                    pass
            out, err = proc.communicate()
            after = {"uptime": _uptime(), "loadavg": _loadavg()}
        if proc.returncode != 0:
            raise SystemExit(f"live exited {proc.returncode}:\n{out[-2000:]}\n{err[-2000:]}")
        live = json.loads((rec / "live.json").read_text())
        summary = json.loads((rec / "summary.json").read_text())
    res = _results(seconds, frames, clip_s, live, summary, samples, peak_kb, before, after, out_json=None)
    n = res["results"]["frames_analysed"]
    res["results"]["cpu_s"] = cpu_s  # the live process, all threads, up to the last sample
    res["results"]["cpu_ms_per_analysed_frame"] = 1000 * cpu_s / n if cpu_s and n else None
    if out_json is not None:
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(res, indent=1) + "\n")
    return res


def _results(seconds: float, frames: int | None, clip_s: float, live: dict[str, Any], summary: dict[str, Any],
             samples: list[dict[str, Any]], peak_kb: int, before: dict[str, Any], after: dict[str, Any],
             out_json: Path | None) -> dict[str, Any]:
    timings = summary.get("timings") or summary.get("timings_s") or {}
    n = live["frames_analysed"]
    pose_s = timings.get("pose_model")
    wall = live.get("wall_s") or float("nan")
    # full minutes only: the last bucket of a 600.4-s session holds 0.4 s
    per_min = live.get("cost_ms_per_minute", [])[: max(1, int(wall // 60))] if np.isfinite(wall) else []
    first, last = (per_min[0], per_min[-1]) if per_min else (None, None)
    drift = (last / first - 1.0) if first and last and len(per_min) > 1 else None
    # the session's own peak: RSS samples before the outputs were written at the end
    # (finish + write_outputs, from summary.json's timings)
    t_out = timings.get("write_outputs", 0.0) + timings.get("scoring", 0.0) + timings.get("metrics", 0.0)
    t_end = (samples[-1]["t"] if samples else 0.0) - t_out
    session_rss = [x["rss_mb"] for x in samples if x["t"] <= t_end]
    loads = [s["load1"] for s in samples if np.isfinite(s["load1"])]
    res: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"clip": "sample_videos/squat_valgus.mp4 scaled to 720 px high on a 1280x720 frame, "
                             "packets looped", "seconds": seconds, "frames": frames, "fps": live.get("nominal_fps"),
                     "size": [live.get("width"), live.get("height")], "model": "full (bundled)",
                     "command": "valgus live --camera CLIP --realtime --record DIR --no-video -q (window on Xvfb)",
                     "clip_made_s": round(clip_s, 1)},
        "units": "ms per frame, frames per second, MB = 2**20 bytes; load = 1-minute load average (2 cores)",
        "load": {"before": before, "after": after, "during_median": float(np.median(loads)) if loads else None,
                 "during_max": max(loads) if loads else None},
        "results": {
            "frames_read": live["frames_read"], "frames_analysed": n, "frames_shown": live["frames_shown"],
            "frames_dropped": live["frames_dropped"],
            "dropped_fraction": live["frames_dropped"] / max(1, live["frames_read"]),
            "fps_analysed": n / wall if wall else None, "fps_shown": live.get("fps_shown"),
            "latency_ms": live.get("latency_ms"), "cost_ms": live.get("cost_ms"),
            "model_ms_per_frame": 1000 * pose_s / n if pose_s and n else None,
            "engine_ms_per_frame": (1000 * timings["select_measure_score"] / n
                                    if timings.get("select_measure_score") and n else None),
            "cost_ms_per_minute": per_min, "cost_last_vs_first": drift,
            "peak_rss_mb": round(peak_kb / 1024, 1),  # the whole process, writing the outputs included
            "peak_rss_mb_session": max(session_rss) if session_rss else None,  # sampled, before the outputs
            "write_outputs_s": timings.get("write_outputs"),
            "rss_mb_first_last_sample": [samples[1]["rss_mb"], samples[-1]["rss_mb"]] if len(samples) > 2 else None,
        },
        "rss_samples": samples,
    }
    r = res["results"]
    lat = r["latency_ms"] or {}
    res["targets"] = {
        **TARGETS,
        "met": {
            "fps": bool(r["fps_analysed"] and r["fps_analysed"] >= TARGETS["fps_min"] and r["fps_shown"]
                        and r["fps_shown"] >= TARGETS["fps_min"]),
            "latency_median": bool(lat and lat["median"] < TARGETS["latency_median_ms_max"]),
            "latency_p95": bool(lat and lat["p95"] < TARGETS["latency_p95_ms_max"]),
            "flat_cost": bool(drift is not None and abs(drift) <= TARGETS["cost_last_vs_first_max"]),
            "peak_rss": r["peak_rss_mb"] < TARGETS["peak_rss_mb_max"],
        },
    }
    if out_json is not None:
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(res, indent=1) + "\n")
    return res


def markdown(res: dict[str, Any]) -> str:
    """The results as the table in ``docs/live.md``."""
    r, t, ld = res["results"], res["targets"], res["load"]
    lat = r["latency_ms"] or {}
    per_min = r["cost_ms_per_minute"]
    met = t["met"]

    def ok(k: str) -> str:
        return "yes" if met[k] else "**no**"

    rows = [
        ("frames per second analysed / shown", f"{r['fps_analysed']:.1f} / {r['fps_shown']:.1f}", ">= 25", ok("fps")),
        ("capture-to-display latency, median", f"{lat.get('median', float('nan')):.0f} ms", "< 100 ms",
         ok("latency_median")),
        ("capture-to-display latency, 95th percentile", f"{lat.get('p95', float('nan')):.0f} ms", "< 200 ms",
         ok("latency_p95")),
        ("frames dropped", f"{r['frames_dropped']} of {r['frames_read']} ({100 * r['dropped_fraction']:.1f} %)",
         "reported", "yes"),
        ("cost per frame, first / last minute",
         f"{per_min[0]:.1f} / {per_min[-1]:.1f} ms ({100 * (r['cost_last_vs_first'] or 0):+.1f} %)" if per_min else "-",
         "within 10 %", ok("flat_cost")),
        ("peak RSS: the session (sampled every 5 s) / the process, writing the outputs at exit included",
         f"{r['peak_rss_mb_session'] or float('nan'):.0f} / {r['peak_rss_mb']:.0f} MB", "< 600 MB",
         "session yes, process **no**" if (r["peak_rss_mb_session"] or 1e9) < 600 <= r["peak_rss_mb"] else ok("peak_rss")),
        ("pose model per analysed frame", f"{r['model_ms_per_frame']:.1f} ms" if r["model_ms_per_frame"] else "-",
         "", ""),
        ("CPU per analysed frame, all threads (2 cores = 2000 ms per second)",
         f"{r['cpu_ms_per_analysed_frame']:.1f} ms" if r.get("cpu_ms_per_analysed_frame") else "-", "", ""),
        ("causal engine per analysed frame (smoothing, metrics, reps)",
         f"{r['engine_ms_per_frame']:.1f} ms" if r.get("engine_ms_per_frame") else "-", "", ""),
    ]
    lines = ["| measure | result | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines.append("")
    lines.append(f"{res['settings']['seconds'] / 60:.3g}-minute session, {res['created']}; 1-minute load average "
                 f"{ld['before']['loadavg'][0] if ld['before']['loadavg'] else '-'} before, median "
                 f"{ld['during_median']:.2f} (max {ld['during_max']:.2f}) during, on {res['machine']['cpus']} cores.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="valgus live benchmark (issue 11): fps, latency, drops, cost, RSS")
    ap.add_argument("--seconds", type=float, default=600.0, help="session length (default 600 = 10 minutes)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "live.json",
                    help="results file (default benchmarks/live.json); '-' to only print")
    ap.add_argument("--keep", type=Path, help="keep the clip and the session's files in this folder")
    ap.add_argument("--screenshot", type=Path, default=ROOT / "docs" / "img" / "live_benchmark.png",
                    help="a PNG of the window 45 s in (default docs/img/live_benchmark.png); '-' for none")
    args = ap.parse_args(argv)
    out = None if str(args.out) == "-" else args.out
    shot = None if str(args.screenshot) == "-" else args.screenshot
    res = run_benchmark(args.seconds, out, keep=args.keep, screenshot=shot)
    r = res["results"]
    print(json.dumps({k: r.get(k) for k in ("fps_analysed", "fps_shown", "latency_ms", "frames_dropped",
                                            "dropped_fraction", "model_ms_per_frame", "cpu_ms_per_analysed_frame",
                                            "cost_ms_per_minute", "cost_last_vs_first", "peak_rss_mb")}, indent=1))
    print(json.dumps(res["load"], indent=1))
    print("targets met:", res["targets"]["met"])
    print(markdown(res))
    return 0


__all__ = ["TARGETS", "main", "make_landscape_clip", "markdown", "run_benchmark"]
