"""Batch throughput benchmark (issue 14): clips per minute of ``valgus batch`` against the legacy loop.

The clips: ``--clips`` (12) phone clips of 1080x1920 H.264, each the packets of ``--per-clip`` (2)
of the shared ``.mov`` phone clips joined end to end (stream copy, no re-encoding; the shared
clips share one encoder configuration), written to a temporary folder that is deleted afterwards
(never into the repository).

The modes, each timed as a user runs it (whole process, wall clock, one after another):

* ``legacy``: the plain read loop, one process per clip, one clip after another: OpenCV
  ``VideoCapture.read()`` + ``cvtColor`` + one MediaPipe PoseLandmarker (VIDEO mode,
  ``num_poses=1``, the bundled full model) per clip, landmarks kept in a list
  (``python batch.py --legacy-clip CLIP``). MediaPipe's legacy ``mp.solutions.pose`` does not
  install on this Python, so this Tasks-API loop stands in for it;
* ``legacy_pyav``: the same loop with frames from PyAV (threaded FFmpeg, ``to_ndarray("rgb24")``)
  instead of OpenCV, whose reader is slow on phone clips (``--legacy-reader pyav``);
* ``workers_1``: ``valgus batch DIR -o OUT -q --workers 1``;
* ``default``: ``valgus batch DIR -o OUT -q`` (workers = the cores);
* ``dask_local_2``: ``valgus batch DIR -o OUT -q --scheduler local:2`` (a 2-worker local Dask
  cluster started and stopped by the command, inside the timing).

Peak RSS per worker comes from each row of ``summary.jsonl`` (``worker_peak_rss_mb``: the worker
process's own ``ru_maxrss``), the legacy loop's from each process's ``VmHWM``. The load average
before and after each mode is in the JSON: the machine is shared.

Usage::

    python scripts/benchmark_batch.py                       # writes benchmarks/batch.json
    python scripts/benchmark_batch.py --clips 4 --modes legacy,default --out b.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
SHARED_CLIPS = REPO.parent / "shared" / "clips"
MODES = {
    "legacy": None,
    "legacy_pyav": None,
    "workers_1": ["--workers", "1"],
    "default": [],
    "dask_local_2": ["--scheduler", "local:2"],
}
#: fields of a row that must agree between the valgus modes (the same results, however run)
RESULT_FIELDS = ("status", "exercise", "n_reps", "verdict", "valgus_reps", "flags", "max_left_fppa_deg",
                 "max_right_fppa_deg")


def _load() -> dict[str, Any]:
    la = os.getloadavg()
    up = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return {"loadavg_1_5_15": [round(x, 2) for x in la], "uptime": up, "utc": time.strftime("%H:%M:%SZ", time.gmtime())}


def join_clips(sources: list[Path], dst: Path) -> int:
    """The compressed packets of ``sources`` end to end in one file (stream copy); frames written.
    Each part's timestamps are shifted to start one frame after the previous part's last frame."""
    import av

    n, offset = 0, 0
    with av.open(str(sources[0])) as tmpl, av.open(str(dst), "w") as out:
        ost = out.add_stream_from_template(tmpl.streams.video[0])
        for src in sources:
            with av.open(str(src)) as inp:
                packets = [p for p in inp.demux(inp.streams.video[0]) if p.size and p.pts is not None]
                start = min(min(p.pts for p in packets), min(p.dts for p in packets if p.dts is not None))
                pts = sorted(p.pts for p in packets)
                step = min(b - a for a, b in zip(pts, pts[1:]) if b > a)
                for p in packets:
                    p.pts = p.pts - start + offset
                    if p.dts is not None:
                        p.dts = p.dts - start + offset
                    p.stream = ost
                    out.mux(p)
                    n += 1
                offset += pts[-1] - start + step
    return n


def make_clips(folder: Path, n: int, per_clip: int) -> list[dict[str, Any]]:
    movs = sorted(SHARED_CLIPS.glob("*.mov"))
    if not movs:
        raise SystemExit(f"no .mov phone clips in {SHARED_CLIPS}")
    made = []
    for i in range(n):
        parts = [movs[(i + k) % len(movs)] for k in range(per_clip)]
        dst = folder / f"phone_{i:02d}.mov"
        frames = join_clips(parts, dst)
        made.append({"name": dst.name, "frames": frames, "parts": [p.name for p in parts]})
    return made


def _rgb_frames_cv2(clip: str) -> Any:
    import cv2

    cap = cv2.VideoCapture(clip)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), fps
    cap.release()


def _rgb_frames_pyav(clip: str) -> Any:
    import av

    with av.open(clip) as c:
        st = c.streams.video[0]
        st.thread_type = "AUTO"
        fps = float(st.average_rate or 30)
        for fr in c.decode(st):
            yield fr.to_ndarray(format="rgb24"), fps


def legacy_clip(clip: str, reader: str = "cv2") -> dict[str, Any]:
    """The legacy loop on one clip, in this process (run as ``--legacy-clip``): frames from OpenCV
    (``cv2.VideoCapture`` + ``cvtColor``) or, for ``legacy_pyav``, from PyAV (threaded FFmpeg)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from valgus.io.models import resolve_model

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(resolve_model(None))), running_mode=vision.RunningMode.VIDEO,
        num_poses=1)
    landmarker = vision.PoseLandmarker.create_from_options(options)
    n = 0
    track = []
    for rgb, fps in (_rgb_frames_pyav(clip) if reader == "pyav" else _rgb_frames_cv2(clip)):
        res = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(n * 1000 / fps))
        track.append([(lm.x, lm.y, lm.visibility) for lm in res.pose_landmarks[0]] if res.pose_landmarks else None)
        n += 1
    landmarker.close()
    hwm = next((int(x.split()[1]) for x in Path("/proc/self/status").read_text().splitlines()
                if x.startswith("VmHWM:")), 0)
    return {"frames": n, "frames_with_person": sum(t is not None for t in track), "peak_rss_mb": round(hwm / 1024, 1)}


def run_legacy(clips: list[Path], reader: str = "cv2") -> dict[str, Any]:
    env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    t0 = time.perf_counter()
    per = []
    for c in clips:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--legacy-clip", str(c),
                               "--legacy-reader", reader],
                              capture_output=True, text=True, env=env, check=True)
        per.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "frames": sum(p["frames"] for p in per),
            "peak_rss_mb_per_process": max(p["peak_rss_mb"] for p in per),
            "command": f"python tools/valgus_tools/bench/batch.py --legacy-clip CLIP --legacy-reader {reader}, "
                       "once per clip, one after another"}


def run_valgus(folder: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "valgus", "batch", str(folder), "-o", str(out), "-q", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    rows = [json.loads(x) for x in (out / "summary.jsonl").read_text().splitlines() if x.strip()]
    rss: dict[str, float] = {}
    for r in rows:
        if r.get("worker_peak_rss_mb") is not None:
            rss[r["worker"]] = max(rss.get(r["worker"], 0.0), r["worker_peak_rss_mb"])
    return {
        "wall_s": round(wall, 2), "exit_code": proc.returncode,
        "command": "valgus batch CLIPS -o OUT -q " + " ".join(extra),
        "workers_seen": len(rss), "peak_rss_mb_per_worker": sorted(round(v, 1) for v in rss.values()),
        "clip_seconds_sum": round(sum(r["seconds"] for r in rows), 1),
        "statuses": {s: sum(r["status"] == s for r in rows) for s in ("ok", "cannot assess", "failed")},
        "results": {r["name"]: {k: r.get(k) for k in RESULT_FIELDS} for r in rows},
    }


def table(res: dict[str, Any]) -> str:
    lines = ["| mode | wall s | clips/min | vs legacy | peak RSS per worker (MB) | load before -> after |",
             "|---|---|---|---|---|---|"]
    for name, m in res["modes"].items():
        rss = m.get("peak_rss_mb_per_worker") or [m.get("peak_rss_mb_per_process")]
        lines.append(f"| {name} | {m['wall_s']:.1f} | {m['clips_per_min']:.2f} | {m.get('vs_legacy', 1.0):.2f}x | "
                     f"{', '.join(f'{x:.0f}' for x in rss if x)} | {m['load_before']['loadavg_1_5_15'][0]:.2f} -> "
                     f"{m['load_after']['loadavg_1_5_15'][0]:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=12, help="phone clips to make (default 12)")
    ap.add_argument("--per-clip", type=int, default=2, help="shared .mov clips joined into each (default 2)")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "batch.json"), help="JSON results")
    ap.add_argument("--legacy-clip", help=argparse.SUPPRESS)
    ap.add_argument("--legacy-reader", default="cv2", help=argparse.SUPPRESS)
    ap.add_argument("--update", action="store_true", help="add the modes run to the existing --out file")
    args = ap.parse_args(argv)
    if args.legacy_clip:
        print(json.dumps(legacy_clip(args.legacy_clip, args.legacy_reader)))
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes: {', '.join(sorted(unknown))}")
    tmp = Path(tempfile.mkdtemp(prefix="valgus-bench-batch-"))
    try:
        folder = tmp / "clips"
        folder.mkdir()
        made = make_clips(folder, args.clips, args.per_clip)
        clips = sorted(folder.glob("*.mov"))
        res: dict[str, Any] = {
            "what": "clips per minute, whole process, wall clock; modes run one after another in this order",
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "clips": {"n": len(clips), "resolution": "1080x1920", "codec": "h264 (phone, stream copy)",
                      "frames": [m["frames"] for m in made], "made_from": f"{args.per_clip} shared .mov clips joined each"},
            "legacy_definition": ("one process per clip, one after another: cv2.VideoCapture.read + cvtColor + "
                                  "MediaPipe PoseLandmarker (Tasks API, VIDEO mode, num_poses=1, bundled full model) "
                                  "per clip; mp.solutions.pose is not installable on this Python"),
            "modes": {},
        }
        if args.update and Path(args.out).is_file():
            old = json.loads(Path(args.out).read_text())
            res["modes"] = old.get("modes", {})
            res["runs"] = old.get("runs", [old.get("date_utc")]) + [res["date_utc"]]
        for name in modes:
            before = _load()
            print(f"{name} ...", file=sys.stderr, flush=True)
            if name in ("legacy", "legacy_pyav"):
                m = run_legacy(clips, "pyav" if name == "legacy_pyav" else "cv2")
            else:
                m = run_valgus(folder, tmp / f"out_{name}", MODES[name] or [])
            m["load_before"], m["load_after"] = before, _load()
            m["clips_per_min"] = round(len(clips) / m["wall_s"] * 60, 2)
            res["modes"][name] = m
            print(f"  {m['wall_s']:.1f} s, {m['clips_per_min']:.2f} clips/min", file=sys.stderr, flush=True)
        ms = res["modes"]
        for base in ("legacy", "legacy_pyav"):
            if base in ms:
                for m in ms.values():
                    m[f"vs_{base}"] = round(m["clips_per_min"] / ms[base]["clips_per_min"], 2)
        valgus_modes = [n for n in ms if not n.startswith("legacy")]
        if valgus_modes:
            first = ms[valgus_modes[0]]["results"]
            res["same_results_in_every_valgus_mode"] = all(ms[n]["results"] == first for n in valgus_modes)
        targets: dict[str, Any] = {}
        if "default" in ms and "legacy" in ms:
            targets["default_vs_legacy"] = {"target": ">= 1.3x", "value": ms["default"]["vs_legacy"],
                                            "met": ms["default"]["vs_legacy"] >= 1.3}
        if "default" in ms and "legacy_pyav" in ms:
            targets["default_vs_legacy_pyav"] = {"target": ">= 1.3x (same loop, PyAV frames)",
                                                 "value": ms["default"]["vs_legacy_pyav"],
                                                 "met": ms["default"]["vs_legacy_pyav"] >= 1.3}
        if "default" in ms and "dask_local_2" in ms:
            gap = 1 - ms["dask_local_2"]["clips_per_min"] / ms["default"]["clips_per_min"]
            targets["dask_vs_default"] = {"target": "within 15 %", "value_pct_slower": round(100 * gap, 1),
                                          "met": gap <= 0.15}
        res["targets"] = targets
        res["table_md"] = table(res)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        print(res["table_md"])
        print(json.dumps(targets, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
