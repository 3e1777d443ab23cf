"""Speed and memory benchmark for ``valgus analyze`` (issue 5, "Fast").

For each clip it measures, in one run:

* decoding alone, ms per frame: PyAV through :class:`valgus.io.video.VideoSource` (``prefetch=0``,
  the same ``max_side`` as analyze) and plain ``cv2.VideoCapture.read()`` for comparison;
* the model alone on frames already decoded into memory (the model-only rate; the estimator comes
  from :func:`valgus.engine.open_estimator`, so it has analyze's settings);
* end to end, each run in a fresh subprocess (so peak RSS is that run's own): ``analyze_video`` +
  ``commands.analyze_one`` outputs, with and without ``annotated.mp4``; stage timings from
  ``Analysis.timings`` (decode_wait, pose_model, select, metrics, scoring, total, write_outputs);
* a plain sequential reference loop in a subprocess: ``cv2.VideoCapture.read()`` + ``cvtColor`` +
  MediaPipe ``detect_for_video`` with ``num_poses=1`` (what a hobby script does);
* optionally (``--memory-seconds``) peak RSS on a long 1080x1920 clip made by re-muxing a phone
  clip's packets end to end (no re-encoding), at two lengths, extrapolated to 10 minutes, plus the
  RSS growth per frame sampled during tracking.

The machine is usually shared, so every rate is the best of ``--repeat`` runs and CPU seconds are
recorded beside wall seconds; the load average at each measurement is in the JSON.

Usage::

    python scripts/benchmark_speed.py                  # default clips, writes benchmarks/speed.json
    python scripts/benchmark_speed.py --quick          # one repeat, first 60 frames for cv2 decoding
    python scripts/benchmark_speed.py --clips a.mp4 b.mov --repeat 3 --max-side 640 --num-poses 1
"""

from __future__ import annotations

import argparse
import json
import re
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
SHARED_CLIPS = REPO.parent / "shared" / "clips"
VIDEO_EXTS = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif"}
TEN_MINUTES_S = 600.0


# ------------------------------------------------------------------------------------- helpers
def _vm_kb(field: str) -> int | None:
    """A ``/proc/self/status`` field in kB (VmHWM = peak RSS, VmRSS = current RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _peak_rss_mb() -> float:
    hwm = _vm_kb("VmHWM")
    if hwm is not None:
        return hwm / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def _quiet_native_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _config(spec: dict[str, Any]) -> Any:
    from valgus.config import Config, override

    cfg = Config()
    cfg = override(cfg, "pose", max_side=spec.get("max_side"), num_poses=spec.get("num_poses"))
    return cfg


def default_clips() -> list[Path]:
    clips: list[Path] = []
    sv = REPO / "sample_videos"
    if sv.is_dir():
        clips += sorted(p for p in sv.iterdir() if p.suffix.lower() in VIDEO_EXTS)
    if SHARED_CLIPS.is_dir():
        clips += sorted(SHARED_CLIPS.glob("*.mov"))
        hd = SHARED_CLIPS / "front_single_leg_squat_valgus_then_good.mp4"
        if hd.exists():
            clips.append(hd)
    return clips


def _rel(p: Path) -> str:
    """A path for the report: relative to the repository when possible, never this machine's."""
    try:
        return os.path.relpath(p.resolve(), REPO)
    except ValueError:
        return p.name


# ------------------------------------------------------------------------------ in-process parts
def clip_info(path: Path) -> dict[str, Any]:
    import av

    from valgus.io.video import probe

    info = probe(path)
    with av.open(str(path)) as c:
        ctx = c.streams.video[0].codec_context
        pix_fmt = ctx.pix_fmt
    return {
        "width": info.width, "height": info.height, "fps": round(info.fps, 3), "frames": info.frame_count,
        "codec": info.codec, "pix_fmt": pix_fmt,
    }


def measure_decode_pyav(path: Path, spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    from valgus.io.video import VideoSource

    best: dict[str, Any] | None = None
    for _ in range(repeat):
        load = _load()
        c0, t0 = _cpu(), time.perf_counter()
        n = 0
        with VideoSource(path, prefetch=0, max_side=spec.get("max_side") or None,
                         threads=spec.get("decode_threads")) as src:
            for _f in src:
                n += 1
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        r = {"frames": n, "ms_per_frame": 1000 * wall / n, "cpu_ms_per_frame": 1000 * cpu / n, "load": load}
        if best is None or r["ms_per_frame"] < best["ms_per_frame"]:
            best = r
    assert best is not None
    return best


def measure_decode_cv2(path: Path, repeat: int, max_frames: int | None) -> dict[str, Any]:
    import cv2

    best: dict[str, Any] | None = None
    for _ in range(repeat):
        load = _load()
        c0, t0 = _cpu(), time.perf_counter()
        cap = cv2.VideoCapture(str(path))
        n = 0
        while max_frames is None or n < max_frames:
            ok, _img = cap.read()
            if not ok:
                break
            n += 1
        cap.release()
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        if n == 0:
            return {"frames": 0, "error": "OpenCV could not read this file"}
        r = {"frames": n, "ms_per_frame": 1000 * wall / n, "cpu_ms_per_frame": 1000 * cpu / n, "load": load}
        if best is None or r["ms_per_frame"] < best["ms_per_frame"]:
            best = r
    assert best is not None
    return best


def measure_model_only(path: Path, spec: dict[str, Any], repeat: int, max_frames: int) -> dict[str, Any]:
    """The model on frames already in memory, exactly as analyze hands them over."""
    from valgus.engine import open_estimator
    from valgus.io.video import VideoSource

    cfg = _config(spec)
    frames = []
    with VideoSource(path, prefetch=0, max_side=cfg.pose.max_side or None, threads=spec.get("decode_threads")) as src:
        size = (src.info.width, src.info.height)
        for f in src:
            frames.append(f)
            if len(frames) >= max_frames:
                break
    best: dict[str, Any] | None = None
    for _ in range(repeat):
        load = _load()
        t0 = time.perf_counter()
        est = open_estimator(cfg)
        init_s = time.perf_counter() - t0
        f0 = frames[0]
        t1 = time.perf_counter()
        est(f0.image, f0.t, f0.index, size)
        first_ms = 1000 * (time.perf_counter() - t1)
        c0, t2 = _cpu(), time.perf_counter()
        people = 0
        for f in frames[1:]:
            people += len(est(f.image, f.t, f.index, size).people) > 0
        wall, cpu = time.perf_counter() - t2, _cpu() - c0
        est.close()
        n = len(frames) - 1
        r = {
            "frames": n, "ms_per_frame": 1000 * wall / n, "cpu_ms_per_frame": 1000 * cpu / n,
            "init_s": init_s, "first_call_ms": first_ms, "frames_with_person": people,
            "input_size": [int(frames[0].image.shape[1]), int(frames[0].image.shape[0])], "load": load,
        }
        if best is None or r["ms_per_frame"] < best["ms_per_frame"]:
            best = r
    assert best is not None
    return best


# ------------------------------------------------------------------------------- subprocess parts
def child_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """One ``valgus analyze`` run through the library (analyze_video + write_outputs)."""
    import threading

    t_proc = time.perf_counter()
    c_proc = _cpu()
    from valgus.engine import analyze_video
    from valgus.io.sinks import prepare_outdir
    from valgus.present.outputs import write_outputs

    cfg = _config(spec)
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    if spec.get("sample_rss"):  # RSS every 2 s of the run (elapsed s, MB)

        def sample() -> None:
            t0 = time.perf_counter()
            while not done.wait(2.0):
                samples.append((round(time.perf_counter() - t0, 1), (_vm_kb("VmRSS") or 0) / 1024.0))

        threading.Thread(target=sample, daemon=True).start()
    import_s = time.perf_counter() - t_proc
    with tempfile.TemporaryDirectory(prefix="valgus-bench-") as tmp:
        out = prepare_outdir(Path(tmp) / "out", force=True)
        c0, t0 = _cpu(), time.perf_counter()
        res = analyze_video(spec["clip"], cfg, threads=spec.get("threads"), decode_threads=spec.get("decode_threads"))
        rss_after_analysis = _peak_rss_mb()
        write_outputs(res, out, write_video=bool(spec.get("video")))
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        video_mb = (out / "annotated.mp4").stat().st_size / 2**20 if (out / "annotated.mp4").exists() else 0.0
    done.set()
    return {
        "frames": res.n_frames, "frames_with_person": res.n_detected, "timings": dict(res.timings),
        "wall_s": wall, "cpu_s": cpu, "import_s": import_s, "process_wall_s": time.perf_counter() - t_proc,
        "process_cpu_s": _cpu() - c_proc, "peak_rss_mb": _peak_rss_mb(), "peak_rss_analysis_mb": rss_after_analysis,
        "rss_samples": samples, "annotated_mb": video_mb,
    }


def child_reference(spec: dict[str, Any]) -> dict[str, Any]:
    """The plain sequential loop on valgus's interpreter: OpenCV read + cvtColor + a Tasks
    PoseLandmarker (``num_poses=1``, VIDEO mode); with ``spec["video"]`` the landmarks are drawn
    and every frame written with ``cv2.VideoWriter`` (mp4v) - the legacy loop's closest stand-in
    when no legacy MediaPipe is installed."""
    t_proc = time.perf_counter()
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from valgus.io.models import resolve_model
    from valgus.landmarks import SKELETON_EDGES

    model = resolve_model(_config(spec).pose.model)
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.VIDEO, num_poses=1
    )
    c0, t0 = _cpu(), time.perf_counter()
    landmarker = vision.PoseLandmarker.create_from_options(options)
    cap = cv2.VideoCapture(spec["clip"])
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    n = people = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        res = landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(n * 1000 / fps))
        people += bool(res.pose_landmarks)
        if spec.get("video"):
            h, w = bgr.shape[:2]
            for lms in res.pose_landmarks or []:
                pts = [(int(p.x * w), int(p.y * h)) for p in lms]
                for a, b in SKELETON_EDGES:
                    cv2.line(bgr, pts[a], pts[b], (255, 255, 255), 2)
                for q in pts:
                    cv2.circle(bgr, q, 3, (0, 0, 255), -1)
            if writer is None:
                writer = cv2.VideoWriter(spec["video"], cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(bgr)
        n += 1
    cap.release()
    if writer is not None:
        writer.release()
    landmarker.close()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "frames": n, "frames_with_person": people, "wall_s": wall, "cpu_s": cpu,
        "process_wall_s": time.perf_counter() - t_proc, "peak_rss_mb": _peak_rss_mb(),
    }


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps(spec)]
    load = _load()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    try:
        r = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return {"error": "no result from child"}
    r["load"] = load
    # The parent's view of the child's peak RSS (max over finished children so far: an upper bound).
    r["children_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return r


def best_of(kind: str, spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    runs = [run_child(kind, spec) for _ in range(repeat)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["wall_s"])
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in ok)
    best["runs_wall_s"] = [round(r["wall_s"], 3) for r in ok]
    return best


# --------------------------------------------------------------------------------------- memory
def make_long_clip(src: Path, seconds: float, dst: Path) -> int:
    """Loop ``src``'s compressed packets end to end (stream copy, no re-encoding) for ``seconds``.

    The muxer takes ownership of each packet's data, so the input is demuxed afresh per loop.
    """
    import av

    with av.open(str(src)) as inp:
        ist = inp.streams.video[0]
        pts = [p.pts for p in inp.demux(ist) if p.size]
        tb = ist.time_base
    step = (max(pts) - min(pts)) // max(1, len(pts) - 1)
    period = max(pts) - min(pts) + step
    loops = max(1, int(round(seconds / float(period * tb))))
    n = 0
    with av.open(str(src)) as tmpl, av.open(str(dst), "w") as out:
        ost = out.add_stream_from_template(tmpl.streams.video[0])
        for k in range(loops):
            with av.open(str(src)) as inp:
                for p in inp.demux(inp.streams.video[0]):
                    if not p.size:
                        continue
                    p.pts = p.pts + k * period
                    if p.dts is not None:
                        p.dts = p.dts + k * period
                    p.stream = ost
                    out.mux(p)
                    n += 1
    return n


def measure_memory(src: Path, seconds: float, spec: dict[str, Any], *, direct: bool = False) -> dict[str, Any]:
    """Peak RSS of analyze (with annotated.mp4, in a subprocess) on ``src`` looped to ``seconds``.

    ``direct``: one run at that length (use 600 for the 10-minute figure); otherwise runs at
    ``seconds / 4`` and ``seconds`` and extrapolates the peak linearly to 10 minutes.
    """
    lengths = [seconds] if direct else [seconds / 4, seconds]
    res: dict[str, Any] = {"source": _rel(src), "method": (
        f"phone clip packets looped (stream copy) to {' and '.join(f'{x:.0f}' for x in lengths)} s; analyze with "
        "annotated.mp4 in a subprocess; peak RSS = VmHWM" + ("" if direct else ", extrapolated linearly to 10 minutes")
        + "; RSS sampled every 2 s")}
    runs = []
    with tempfile.TemporaryDirectory(prefix="valgus-bench-long-") as tmp:
        for secs in lengths:
            clip = Path(tmp) / f"long_{int(secs)}s.mov"
            frames = make_long_clip(src, secs, clip)
            r = run_child("e2e", dict(spec, clip=str(clip), video=True, sample_rss=True))
            r["clip_seconds"] = secs
            r["clip_frames"] = frames
            runs.append(r)
            clip.unlink()
    keep = ("clip_seconds", "clip_frames", "peak_rss_mb", "wall_s", "timings", "annotated_mb", "error")
    res["runs"] = [{k: r.get(k) for k in keep if k in r} for r in runs]
    if any("error" in r for r in runs):
        return res
    b = runs[-1]
    if len(runs) == 2:
        a = runs[0]
        slope = (b["peak_rss_mb"] - a["peak_rss_mb"]) / max(1, b["frames"] - a["frames"])
        fps = b["frames"] / b["clip_seconds"]
        res["peak_growth_kb_per_frame"] = slope * 1024
        res["peak_rss_10min_mb_extrapolated"] = b["peak_rss_mb"] + slope * (TEN_MINUTES_S * fps - b["frames"])
    elif b["clip_seconds"] >= TEN_MINUTES_S:
        res["peak_rss_10min_mb_measured"] = b["peak_rss_mb"]
    res["peak_rss_analysis_mb"] = b.get("peak_rss_analysis_mb")  # before annotated.mp4
    res["rss_samples_s_mb"] = b.get("rss_samples") or []
    return res


# ----------------------------------------------------------------- whole process: valgus vs the legacy loop
LEGACY_LOOP = Path(__file__).with_name("legacy_loop.py")
#: the long clips of the whole-process comparison, made in a temporary folder (never committed)
PHONE_PARTS = [f"front_squat_overhead_{x}.mov" for x in ("depth_fault_a", "good_a1", "good_a2", "valgus_a")] * 2
HD_PARTS = ["single_leg_squat_left_collapse.mp4"] * 2


def join_clips(sources: list[Path], dst: Path) -> int:
    """Join clips end to end by copying their video packets (no re-encoding; the sources must
    share one encoder configuration, as clips from one phone do). Returns the frame count."""
    import av

    n = 0
    with av.open(str(sources[0])) as tmpl, av.open(str(dst), "w") as out:
        ost = out.add_stream_from_template(tmpl.streams.video[0])
        offset = None
        for src in sources:
            with av.open(str(src)) as inp:
                packets = [p for p in inp.demux(inp.streams.video[0]) if p.size]
                pts = [p.pts for p in packets]
                step = (max(pts) - min(pts)) // max(1, len(pts) - 1)
                shift = 0 if offset is None else offset - min(pts)
                for p in packets:
                    p.pts += shift
                    if p.dts is not None:
                        p.dts += shift
                    p.stream = ost
                    out.mux(p)
                    n += 1
                offset = max(pts) + shift + step
    return n


def make_bench_clips(folder: Path) -> dict[str, dict[str, Any]]:
    """The long phone clip (the four front-view overhead-squat phone clips of ../shared/clips,
    twice: 614 frames, 1080x1920 full-range H.264) and the long 720p clip (a sample video twice:
    636 frames, 720x1280)."""
    clips: dict[str, dict[str, Any]] = {}
    phone = [SHARED_CLIPS / x for x in PHONE_PARTS]
    if all(p.exists() for p in phone):
        dst = folder / "phone_long.mov"
        clips["phone 1080x1920"] = {"path": dst, "frames": join_clips(phone, dst),
                                    "made_from": [_rel(p) for p in phone]}
    hd = [REPO / "sample_videos" / x for x in HD_PARTS]
    if all(p.exists() for p in hd):
        dst = folder / "hd_long.mp4"
        clips["720x1280"] = {"path": dst, "frames": join_clips(hd, dst), "made_from": [_rel(p) for p in hd]}
    return clips


def run_timed(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a whole process; wall seconds from spawn to exit, its own CPU seconds and peak RSS."""
    load = _load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    r: dict[str, Any] = {"wall_s": round(wall, 3), "load": load, "rc": proc.returncode}
    if proc.returncode != 0:
        r["error"] = " | ".join(err.strip().splitlines()[-3:])
    tail = out.strip().splitlines()[-1][:300] if out.strip() else ""
    # the benchmark's temporary folders are this machine's paths: not for the committed JSON
    r["stdout_tail"] = re.sub(re.escape(tempfile.gettempdir()) + r"/[^/\s]+", "<tmp>", tail)
    return r


def _cpu_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def whole_process(clips: dict[str, dict[str, Any]], repeat: int, legacy_python: str | None,
                  folder: Path) -> dict[str, Any]:
    """``valgus analyze --no-video`` vs the legacy loop, and ``valgus analyze`` (annotated.mp4) vs
    the legacy loop writing its video, each a whole process, alternating, ``repeat`` times."""
    import statistics

    env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    legacy: list[str] | None = None
    if legacy_python:
        legacy = [legacy_python, str(LEGACY_LOOP)]
        legacy_kind = "mp.solutions.pose (mediapipe 0.10.21, full model) + OpenCV 4.11 VideoCapture/VideoWriter"
    else:  # the closest honest equivalent on valgus's own interpreter
        legacy_kind = ("Tasks PoseLandmarker (num_poses=1, VIDEO mode) + OpenCV VideoCapture/VideoWriter "
                       "(no legacy interpreter given)")
    commands = {
        "no_video": (["--no-video"], None),
        "video": ([], "legacy.mp4"),
    }
    runs: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    uptime = {"before": _uptime()}
    for rep in range(repeat):
        for name, clip in clips.items():
            for kind, (flags, legacy_video) in commands.items():
                order = ["valgus", "legacy"] if rep % 2 == 0 else ["legacy", "valgus"]
                for who in order:
                    if who == "valgus":
                        cmd = [sys.executable, "-m", "valgus", "analyze", str(clip["path"]), "-o",
                               str(folder / "valgus_out"), "--force", "-q", *flags]
                    elif legacy is not None:
                        cmd = [*legacy, str(clip["path"])]
                        if legacy_video:
                            cmd += ["--video", str(folder / legacy_video)]
                    else:
                        spec = {"clip": str(clip["path"]), "video": str(folder / legacy_video) if legacy_video else None}
                        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "reference", json.dumps(spec)]
                    c0 = _cpu_children()
                    r = run_timed(cmd, env)
                    r["cpu_s"] = round(_cpu_children() - c0, 3)
                    runs.setdefault(name, {}).setdefault(kind, {}).setdefault(who, []).append(r)
                    print(f"[{time.strftime('%H:%M:%S')}] {name} {kind} {who}: {r['wall_s']:.2f} s "
                          f"(cpu {r['cpu_s']:.1f} s, load {r['load']}){' ' + r['error'] if 'error' in r else ''}",
                          file=sys.stderr, flush=True)
    uptime["after"] = _uptime()
    table = []
    for name, kinds in runs.items():
        for kind, who in kinds.items():
            v = [r["wall_s"] for r in who["valgus"] if "error" not in r]
            lg = [r["wall_s"] for r in who["legacy"] if "error" not in r]
            if not v or not lg:
                continue
            mv, ml = statistics.median(v), statistics.median(lg)
            target = 1.3 if kind == "no_video" else 1.2
            table.append({
                "clip": name, "frames": clips[name]["frames"], "command": kind, "valgus_median_s": mv,
                "legacy_median_s": ml, "ratio": ml / mv, "target": target, "met": ml / mv >= target,
                "valgus_runs_s": v, "legacy_runs_s": lg,
                "valgus_cpu_median_s": statistics.median(r["cpu_s"] for r in who["valgus"]),
                "legacy_cpu_median_s": statistics.median(r["cpu_s"] for r in who["legacy"]),
                "load_during": [r["load"] for r in who["valgus"] + who["legacy"]],
            })
    return {"legacy": legacy_kind, "repeat": repeat, "uptime": uptime, "table": table,
            "clips": {k: {"frames": v["frames"], "made_from": v["made_from"]} for k, v in clips.items()}, "runs": runs}


def _read_out(path: Path) -> dict[str, Any]:
    """The results file as written before (each mode merges its part into it), or nothing."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_out(path: Path, doc: dict[str, Any], *, say: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=float) + "\n", encoding="utf-8")
    if say:
        print(f"written: {_rel(path)}")


def cpu_by_thread(cmd: list[str], env: dict[str, str] | None = None, period_s: float = 0.1) -> dict[str, Any]:
    """Run ``cmd`` and sample ``/proc/<pid>/task/*/stat`` every ``period_s``: each thread's CPU
    seconds (user + system, its last sample before it ended: a thread that lives less than one
    period is missed), name (``comm`` without a ``/<tid>`` suffix: MediaPipe's graph threads are
    ``drishti`` in valgus's MediaPipe and ``mediapipe`` in the legacy one; Python's threads are
    named after the interpreter) and when it was first seen. Linux only."""
    tick = os.sysconf("SC_CLK_TCK")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    seen: dict[str, dict[str, Any]] = {}
    while proc.poll() is None:
        try:
            tids = os.listdir(f"/proc/{proc.pid}/task")
        except OSError:
            tids = []
        for tid in tids:
            try:
                comm = re.sub(r"/\d+$", "", Path(f"/proc/{proc.pid}/task/{tid}/comm").read_text().strip())
                fields = Path(f"/proc/{proc.pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick
            row = seen.setdefault(tid, {"name": comm, "first_seen_s": round(time.perf_counter() - t0, 2)})
            row["cpu_s"] = round(cpu, 2)
        time.sleep(period_s)
    wall = time.perf_counter() - t0
    threads = sorted(seen.values(), key=lambda r: -r.get("cpu_s", 0.0))
    by_name: dict[str, float] = {}
    for r in threads:
        by_name[r["name"]] = round(by_name.get(r["name"], 0.0) + r.get("cpu_s", 0.0), 2)
    return {"wall_s": round(wall, 2), "rc": proc.returncode, "sampled_cpu_s": round(sum(by_name.values()), 2),
            "by_name": by_name, "threads": [r for r in threads if r.get("cpu_s", 0.0) >= 0.05]}


def cpu_by_thread_table(doc: dict[str, Any]) -> str:
    lines = []
    for who, r in doc["runs"].items():
        lines.append(f"{who}: {r['wall_s']:.2f} s, {r['sampled_cpu_s']:.1f} s of CPU sampled "
                     f"({', '.join(f'{k} {v:.1f} s' for k, v in r['by_name'].items())})")
        for t in r["threads"][:10]:
            lines.append(f"  {t['name']:<16} {t['cpu_s']:6.2f} s  (from {t['first_seen_s']:.1f} s)")
    return "\n".join(lines)


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def whole_table(doc: dict[str, Any]) -> str:
    lines = ["| clip | frames | command | valgus (median s) | legacy loop (median s) | ratio | target | valgus CPU s | "
             "legacy CPU s | load during (1-min avg) |", "|" + "---|" * 10]
    for r in doc["table"]:
        cmd = "`analyze --no-video` vs loop" if r["command"] == "no_video" else "`analyze` (annotated.mp4) vs loop + video"
        loads = r["load_during"]
        lines.append(f"| {r['clip']} | {r['frames']} | {cmd} | {r['valgus_median_s']:.2f} "
                     f"({', '.join(f'{x:.2f}' for x in r['valgus_runs_s'])}) | {r['legacy_median_s']:.2f} "
                     f"({', '.join(f'{x:.2f}' for x in r['legacy_runs_s'])}) | **{r['ratio']:.2f}x** | "
                     f"{r['target']}x {'met' if r['met'] else 'NOT met'} | {r['valgus_cpu_median_s']:.1f} | "
                     f"{r['legacy_cpu_median_s']:.1f} | {min(loads):.2f}-{max(loads):.2f} |")
    return "\n".join(lines)


def child_startup(spec: dict[str, Any]) -> dict[str, Any]:
    """Seconds from process start (the parent's spawn time) to the pose model's first result and
    to the end of ``analyze_video``, for whichever valgus is on the path (old or new)."""
    import valgus.pose as vp

    orig = vp.MediaPipePose.__call__
    first: list[float] = []

    def timed(self: Any, *a: Any, **k: Any) -> Any:
        r = orig(self, *a, **k)
        if not first:
            first.append(time.time())
        return r

    vp.MediaPipePose.__call__ = timed  # type: ignore[method-assign]
    t_imported = time.time()
    from valgus.engine import analyze_video

    analyze_video(spec["clip"])
    return {"imports_s": t_imported - spec["spawn"], "first_frame_s": first[0] - spec["spawn"],
            "analyze_done_s": time.time() - spec["spawn"]}


def startup(clip: Path, old_root: Path | None, repeat: int) -> dict[str, Any]:
    """Process start to first frame, this tree against ``old_root`` (e.g. the main branch's work
    tree), alternating."""
    import statistics

    trees = {"new": REPO}
    if old_root is not None:
        trees["old"] = old_root
    out: dict[str, Any] = {"clip": _rel(clip), "runs": {k: [] for k in trees}}
    for _ in range(repeat):
        for name, root in trees.items():
            env = dict(os.environ, GLOG_minloglevel="2", PYTHONPATH=f"{root}{os.pathsep}{REPO / 'tools'}")
            spec = {"clip": str(clip), "spawn": time.time()}
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "startup", json.dumps(spec)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
            try:
                r = json.loads(proc.stdout.strip().splitlines()[-1])
            except (json.JSONDecodeError, IndexError):
                r = {"error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
            r["load"] = _load()
            out["runs"][name].append(r)
    for name, rs in out["runs"].items():
        ok = [r for r in rs if "error" not in r]
        if ok:
            out[name] = {k: statistics.median(r[k] for r in ok) for k in ("imports_s", "first_frame_s", "analyze_done_s")}
    return out


def startup_table(doc: dict[str, Any]) -> str:
    """Process start to the first frame's result and to the end of analyze_video, per clip and tree."""
    lines = []
    for key in ("startup", "startup_phone"):
        st = doc.get(key)
        if not st:
            continue
        lines += [f"start-up, {st['clip']} (median of {len(st['runs'].get('new', []))}):",
                  "| code | imports (s) | first frame (s) | analyze_video done (s) |", "|---|---|---|---|"]
        for name in ("old", "new"):
            if name in st:
                m = st[name]
                lines.append(f"| {name} | {m['imports_s']:.2f} | {m['first_frame_s']:.2f} | {m['analyze_done_s']:.2f} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------- annotated.mp4: pass options
def render_options(clip: Path, frames: int = 200) -> list[dict[str, Any]]:
    """CPU per frame of the annotated video's second pass, option by option, on ``clip`` (no pose
    model: the same skeleton is drawn on every frame). Decoding runs in this thread; x264 runs its
    own threads, counted in the process CPU time."""
    import cv2
    import numpy as np

    from valgus.io.video import VideoSource, VideoWriter
    from valgus.present.annotate import Annotator, KneeMark

    ann = Annotator()
    xy = np.random.default_rng(0).uniform(100, 600, (33, 2))
    knees = {"left": KneeMark("mild", "L +12"), "right": KneeMark("none", "R +3")}
    lines = ["t= 1.00s", "rep 1 squat (both): valgus mild"]
    options = [
        ("before: RGB scaled by FFmpeg (auto threads), deblocking, x264 veryfast", dict(pixels="rgb24", scaler=None, deblock=True, preset="veryfast")),
        ("RGB, scaler on one thread", dict(pixels="rgb24", scaler=1, deblock=True, preset="veryfast")),
        ("I420 from the scaler + OpenCV to RGB", dict(pixels="i420", deblock=True, preset="veryfast")),
        ("I420, no deblocking", dict(pixels="i420", deblock=False, preset="veryfast")),
        ("I420, no deblocking, x264 superfast", dict(pixels="i420", deblock=False, preset="superfast")),
        ("I420, no deblocking, x264 ultrafast (kept)", dict(pixels="i420", deblock=False, preset="ultrafast")),
        ("decoding alone (no picture conversion)", dict(decode_only=True)),
    ]
    rows = []
    import valgus.io.video as vv

    for name, o in options:
        with tempfile.TemporaryDirectory(prefix="valgus-render-") as tmp:
            if o.get("decode_only"):
                import av

                with av.open(str(clip)) as c:
                    st = c.streams.video[0]
                    st.codec_context.thread_count = 1
                    c0, t0, n = _cpu(), time.perf_counter(), 0
                    for _f in c.decode(st):
                        n += 1
                        if n >= frames:
                            break
                rows.append({"option": name, "cpu_ms_per_frame": 1000 * (_cpu() - c0) / n,
                             "wall_ms_per_frame": 1000 * (time.perf_counter() - t0) / n, "load": _load()})
                continue
            saved = vv.SCALER_THREADS
            vv.SCALER_THREADS = o.get("scaler", 1) or 0  # type: ignore[assignment]
            try:
                out = None
                c0, t0, n = _cpu(), time.perf_counter(), 0
                with VideoSource(clip, prefetch=0, threads=1, max_side=1280, pixels=o["pixels"], deblock=o["deblock"]) as src:
                    for fr in src:
                        img = fr.image if o["pixels"] == "rgb24" else cv2.cvtColor(fr.image, cv2.COLOR_YUV2RGB_I420)
                        if out is None:
                            h, w = img.shape[:2]
                            out = VideoWriter(Path(tmp) / "a.mp4", w, h, 30.0, preset=o["preset"])
                        out.write(ann.annotate(img, xy, knees, lines))
                        n += 1
                        if n >= frames:
                            break
                assert out is not None
                out.close()
                size = (Path(tmp) / "a.mp4").stat().st_size
            finally:
                vv.SCALER_THREADS = saved
            rows.append({"option": name, "cpu_ms_per_frame": 1000 * (_cpu() - c0) / n,
                         "wall_ms_per_frame": 1000 * (time.perf_counter() - t0) / n,
                         "kb_per_frame": size / n / 1024, "load": _load()})
        print(f"  {name}: {rows[-1]['cpu_ms_per_frame']:.1f} ms CPU/frame", file=sys.stderr, flush=True)
    return rows


def render_table(doc: dict[str, Any]) -> str:
    names = list(doc["clips"])
    head = "| option | " + " | ".join(f"{n}: CPU ms/frame, kB/frame" for n in names) + " |"
    lines = [head, "|" + "---|" * (1 + len(names))]
    options = [r["option"] for r in doc["clips"][names[0]]]
    for i, opt in enumerate(options):
        cells = []
        for n in names:
            r = doc["clips"][n][i]
            cells.append(f"{r['cpu_ms_per_frame']:.1f}" + (f", {r['kb_per_frame']:.0f}" if r.get("kb_per_frame") else ""))
        lines.append(f"| {opt} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- seams (1 vs N segments)
def _signature(result: Any) -> dict[str, Any]:
    """What must not change when a clip is cut into segments: reps (boundaries, exercise, leg),
    every flag's category, the findings and the verdict."""
    return {
        "exercise": result.exercise, "verdict": result.verdict, "plan": result.plan_recommended,
        "camera": [result.camera.view, result.camera.ok],
        "findings": [[f.code, list(f.reps), f.leg] for f in result.findings],
        "reps": [[r.number, r.exercise, r.working_leg, r.frame_start, r.frame_deepest, r.frame_end, r.partial,
                  [[f.name, f.category, f.leg, f.assessed] for f in r.flags]] for r in result.reps],
    }


def _rep_values(result: Any) -> list[float]:
    out: list[float] = []
    for r in result.reps:
        for leg in sorted(r.values):
            out += [float(v) for _, v in sorted(r.values[leg].items())]
        out += [float(f.value) for f in r.flags]
    return out


def _diff_frames(a: Any, b: Any, seam_rows: list[int]) -> dict[str, Any]:
    """Where and by how much two analyses of the same clip differ, frame by frame."""
    import numpy as np

    t = np.asarray(a.metrics["time_s"], float)
    row: dict[str, Any] = {}
    same_frames = np.array_equal(a.metrics["frame"], b.metrics["frame"]) and np.array_equal(t, b.metrics["time_s"])
    row["same_frames_and_times"] = bool(same_frames)
    if not same_frames:
        return row
    differs = np.zeros(len(t), bool)
    col_max: dict[str, float] = {}
    for key, x in a.metrics.items():
        x, y = np.asarray(x), np.asarray(b.metrics[key])
        if x.dtype.kind not in "fiub":
            d = x != y
        else:
            x, y = x.astype(float), y.astype(float)
            d = ~((x == y) | (np.isnan(x) & np.isnan(y)))
            both = d & np.isfinite(x) & np.isfinite(y)
            if both.any():
                col_max[key] = float(np.max(np.abs(x[both] - y[both])))
            if (d & ~both).any():  # a value on one side only (masked, or no person)
                col_max[key + " (NaN on one side: frames)"] = float((d & ~both).sum())
        differs |= d
    row["frames_differing"] = int(differs.sum())
    xa, xb = a.track_raw.xy, b.track_raw.xy
    both = np.isfinite(xa[..., 0]) & np.isfinite(xb[..., 0])
    dist = np.where(both, np.linalg.norm(xa - xb, axis=2), np.nan)  # (frames, 33) pixels
    raw_rows = ~np.all((dist == 0) | ~both, axis=1) | np.any(both != (np.isfinite(xa[..., 0]) | np.isfinite(xb[..., 0])), axis=1)
    row["raw_frames_differing"] = int(raw_rows.sum())
    ridx = np.flatnonzero(raw_rows)
    if ridx.size and seam_rows:
        row["raw_first_differing_vs_first_seam_frames"] = int(ridx.min() - seam_rows[0])
    lower = dist[:, 23:33]  # hips, knees, ankles, heels, feet
    longer = max(a.info.width, a.info.height)
    if np.isfinite(lower).any():
        row["raw_lower_body_px_median"] = float(np.nanmedian(lower[raw_rows])) if raw_rows.any() else 0.0
        row["raw_lower_body_px_p95"] = float(np.nanpercentile(lower[raw_rows], 95)) if raw_rows.any() else 0.0
        row["raw_lower_body_px_max"] = float(np.nanmax(lower))
        row["raw_lower_body_max_fraction_of_frame"] = float(np.nanmax(lower)) / longer
        if seam_rows:  # how the difference evolves after the (first) seam: median per second
            s0 = seam_rows[0]
            fps = a.info.fps or 30.0
            per_s = []
            for k in range(0, 10):
                w = lower[s0 + int(k * fps): s0 + int((k + 1) * fps)]
                if w.size and np.isfinite(w).any():
                    per_s.append(round(float(np.nanmedian(w)), 3))
            row["raw_lower_body_px_median_by_second_after_seam"] = per_s
    angle = {k: v for k, v in col_max.items() if k.endswith("_deg")}
    row["max_abs_diff_deg"] = max(angle.values()) if angle else 0.0
    row["max_abs_diff_by_column"] = dict(sorted(col_max.items(), key=lambda kv: -kv[1])[:6])
    return row


def compare_segments(clip: Path, cfg: Any | None = None, threads: int = 2) -> dict[str, Any]:
    """Analyse ``clip`` cut into segments in one thread and in ``threads`` threads (must be
    identical), and uncut (``pose.segment_s = 0``, one uninterrupted pass) to show what a seam
    changes. Clips shorter than two default segments are cut into two for the comparison."""
    import numpy as np

    from valgus.config import Config, override
    from valgus.engine import analyze_video
    from valgus.segments import plan_segments
    from valgus.errors import ValgusError
    from valgus.io.video import stream_index

    cfg = cfg or Config()
    row: dict[str, Any] = {"clip": _rel(clip)}
    index = stream_index(clip)
    default_plan = plan_segments(index, cfg.pose.segment_s)
    seg_s = cfg.pose.segment_s
    if len(default_plan) < 2:
        dt = float(np.median(np.diff(index.times))) if len(index.times) > 1 else 0.0
        seg_s = max(1.0, 0.999 * (index.times[-1] - index.times[0] + dt) / 2)
    plan = plan_segments(index, seg_s)
    row.update(default_segments=len(default_plan), segment_s=round(seg_s, 3), segments=len(plan))
    runs: dict[str, Any] = {}
    for name, c, th in (("cut_1_thread", override(cfg, "pose", segment_s=seg_s), 1),
                        (f"cut_{threads}_threads", override(cfg, "pose", segment_s=seg_s), threads),
                        ("uncut", override(cfg, "pose", segment_s=0.0), 1)):
        try:
            t0 = time.perf_counter()
            runs[name] = analyze_video(clip, c, threads=th)
            row[f"wall_s_{name}"] = round(time.perf_counter() - t0, 2)
        except ValgusError as exc:  # e.g. nobody in the clip: every run must say the same
            runs[name] = f"{type(exc).__name__}: {exc}"
    vals = list(runs.values())
    if any(isinstance(v, str) for v in vals):
        row.update(errors=[v if isinstance(v, str) else None for v in vals],
                   identical_threads=vals[0] == vals[1], identical_uncut=vals[0] == vals[2])
        return row
    one, many, uncut = vals
    t = np.asarray(one.metrics["time_s"], float)
    seam_rows = [int(np.argmin(np.abs(t - s.start))) for s in plan[1:]]
    row["frames"] = one.n_frames
    row["seam_frames"] = [int(one.metrics["frame"][i]) for i in seam_rows]
    row["reps"] = len(one.result.reps)
    row["verdict"] = one.result.verdict
    row["threads_same_reps_flags_verdict"] = _signature(one.result) == _signature(many.result)
    row["threads"] = _diff_frames(one, many, seam_rows)
    row["threads_identical"] = bool(row["threads_same_reps_flags_verdict"] and row["threads"].get(
        "frames_differing", 1) == 0 and row["threads"].get("raw_frames_differing", 1) == 0)
    sig_u, sig_c = _signature(uncut.result), _signature(one.result)
    row["uncut_same_reps_flags_verdict"] = sig_u == sig_c
    if sig_u != sig_c:
        row["uncut_changes"] = {k: [sig_u[k], sig_c[k]] for k in sig_u if sig_u[k] != sig_c[k]}
    va, vb = np.array(_rep_values(uncut.result)), np.array(_rep_values(one.result))
    if va.shape == vb.shape and va.size:
        d = np.abs(va - vb)
        row["uncut_rep_values_max_abs_diff"] = float(np.nanmax(d)) if np.isfinite(d).any() else 0.0
    row["uncut"] = _diff_frames(uncut, one, seam_rows)
    return row


def _seam_config(clip: Path) -> Any:
    """The default configuration, mirrored for a sample video rendered as a mirror image."""
    from valgus.config import Config, override

    cfg = Config()
    truth = clip.with_name(clip.stem + ".truth.json")
    if truth.exists() and json.loads(truth.read_text(encoding="utf-8")).get("mirrored"):
        cfg = override(cfg, "video", mirrored=True)
    return cfg


def seam_clips() -> list[Path]:
    clips = sorted((REPO / "sample_videos").glob("*.mp4"))
    if SHARED_CLIPS.is_dir():
        clips += sorted(p for p in SHARED_CLIPS.iterdir() if p.suffix.lower() in VIDEO_EXTS)
    return clips


def seam_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| clip | frames | segments (default) | cut at frame | reps | verdict | 1 vs 2 threads: identical | "
             "cut vs uncut: reps, flags, verdict | cut vs uncut: frames.csv rows differing | landmark difference after "
             "the seam, median / max px | largest angle difference (deg) |", "|" + "---|" * 11]
    for r in rows:
        if "frames" not in r:
            same = r.get("identical_threads") and r.get("identical_uncut")
            lines.append(f"| {Path(r['clip']).name} | - | - | - | - | {r.get('errors', ['?'])[0]} | "
                         f"{'yes' if r.get('identical_threads') else 'NO'} | {'same' if same else 'DIFFERENT'} | - | - | - |")
            continue
        u = r["uncut"]
        lines.append("| " + " | ".join([
            Path(r["clip"]).name, str(r["frames"]), f"{r['segments']} ({r['default_segments']})",
            ", ".join(map(str, r["seam_frames"])) or "-", str(r["reps"]), r["verdict"],
            "yes" if r["threads_identical"] else "NO",
            "same" if r["uncut_same_reps_flags_verdict"] else "DIFFERENT: " + ", ".join(r.get("uncut_changes", {})),
            f"{u.get('frames_differing', '-')} of {r['frames']}",
            f"{_f(u.get('raw_lower_body_px_median'), '{:.2f}')} / {_f(u.get('raw_lower_body_px_max'), '{:.1f}')}",
            _f(u.get("max_abs_diff_deg"), "{:.2f}"),
        ]) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ max_side study
LOWER_BODY_IDX = list(range(23, 33))  # hips, knees, ankles, heels, feet (MediaPipe numbering)


def _track(frames: list[Any], size: tuple[int, int], cfg: Any) -> tuple[Any, float, float]:
    """Subject landmarks (original pixels) per frame, and model wall / CPU ms per frame."""
    import numpy as np

    from valgus.engine import open_estimator
    from valgus.pose import SubjectSelector

    est = open_estimator(cfg)
    sel = SubjectSelector()
    f0 = frames[0]
    xy = np.full((len(frames), 33, 2), np.nan)
    vis = np.zeros((len(frames), 33))
    c0, t0 = _cpu(), time.perf_counter()
    for i, f in enumerate(frames):
        if i == 1:  # the first call initialises the graph: not part of the rate
            c0, t0 = _cpu(), time.perf_counter()
        p = sel.select(est(f.image, f.t, f.index, size))
        if p is not None:
            xy[i], vis[i] = p.xy, p.visibility
    n = max(1, len(frames) - 1)
    wall, cpu = 1000 * (time.perf_counter() - t0) / n, 1000 * (_cpu() - c0) / n
    est.close()
    del f0
    return (xy, vis), wall, cpu


def max_side_study(clips: list[Path], sides: list[int], spec: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    """Model time and landmark agreement with frames scaled to ``max_side`` vs full resolution.

    Errors are distances between the subject's landmarks (in original-frame pixels) found on the
    scaled and on the full-resolution frames, as a fraction of the frame's longer side, over
    landmarks with visibility >= 0.5 in both runs.
    """
    import numpy as np

    from valgus.config import override
    from valgus.io.video import VideoSource

    out = []
    for clip in clips:
        print(f"[{time.strftime('%H:%M:%S')}] max_side study: {clip.name}", file=sys.stderr, flush=True)
        runs: dict[int, Any] = {}
        for side in [0, *sides]:
            cfg = override(_config(spec), "pose", max_side=side)
            with VideoSource(clip, prefetch=0, max_side=side or None) as src:
                size = (src.info.width, src.info.height)
                frames = list(src)
            best = None
            for _ in range(repeat):
                lm, wall, cpu = _track(frames, size, cfg)
                if best is None or wall < best[1]:
                    best = (lm, wall, cpu)
            runs[side] = best
            del frames
        (xy0, v0), w0, c0 = runs[0]
        longer = max(size)
        row: dict[str, Any] = {"clip": _rel(clip), "size": list(size), "num_poses": _config(spec).pose.num_poses,
                               "full": {"model_ms": w0, "model_cpu_ms": c0}}
        for side in sides:
            (xy, v), w, c = runs[side]
            ok = (v0 >= 0.5) & (v >= 0.5)
            err = np.linalg.norm(xy - xy0, axis=2) / longer
            lower = err[:, LOWER_BODY_IDX][ok[:, LOWER_BODY_IDX]]
            allv = err[ok]
            row[str(side)] = {
                "model_ms": w, "model_cpu_ms": c,
                "frames_with_subject": int(np.isfinite(xy[:, 0, 0]).sum()),
                "frames_with_subject_full": int(np.isfinite(xy0[:, 0, 0]).sum()),
                "err_median": float(np.median(allv)) if allv.size else None,
                "err_p95": float(np.percentile(allv, 95)) if allv.size else None,
                "lower_body_err_median": float(np.median(lower)) if lower.size else None,
                "lower_body_err_p95": float(np.percentile(lower, 95)) if lower.size else None,
            }
        out.append(row)
    return out


def study_table(rows: list[dict[str, Any]], sides: list[int]) -> str:
    lines = ["| clip | num_poses | full size: model ms/f wall / CPU | " + " | ".join(
        f"max_side {s}: model ms/f wall / CPU; lower-body error median / p95 (% of frame)" for s in sides) + " |",
        "|" + "---|" * (3 + len(sides))]
    for r in rows:
        cells = [Path(r["clip"]).name, str(r["num_poses"]), f"{_f(r['full']['model_ms'])} / {_f(r['full']['model_cpu_ms'])}"]
        for s in sides:
            x = r[str(s)]
            cells.append(f"{_f(x['model_ms'])} / {_f(x['model_cpu_ms'])}; {_f(100 * x['lower_body_err_median'], '{:.2f}') if x['lower_body_err_median'] is not None else '-'}"
                         f" / {_f(100 * x['lower_body_err_p95'], '{:.2f}') if x['lower_body_err_p95'] is not None else '-'}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- report
def summarise(clip: dict[str, Any]) -> dict[str, Any]:
    """Derived numbers: rates in fps, ratios against the model-only bound, metrics share."""
    s: dict[str, Any] = {}
    mo = clip.get("model_only", {})
    for key in ("e2e_no_video", "e2e_video"):
        r = clip.get(key, {})
        if "error" in r or not r:
            continue
        t = r["timings"]
        n = r["frames"]
        loop = t.get("decode_wait", 0) + t.get("pose_model", 0) + t.get("select", 0)
        s[key] = {
            "fps_analyze": n / t["total"],  # analyze_video: open, model load, loop, metrics, scoring
            "fps_loop": n / loop if loop else None,  # the frame loop alone (steady state)
            "fps_with_outputs": n / (t["total"] + t.get("write_outputs", 0.0)),
            "fps_process": n / r["process_wall_s"],  # the whole process, imports included
            "setup_s": t["total"] - loop - t.get("metrics", 0) - t.get("scoring", 0),
            "metrics_share": (t.get("metrics", 0) + t.get("scoring", 0)) / t["total"],
            "write_outputs_ms_per_frame": 1000 * t.get("write_outputs", 0.0) / n,
            "peak_rss_mb": r["peak_rss_mb"],
        }
        if mo.get("ms_per_frame"):
            s[key]["loop_vs_model_only"] = (loop / n * 1000) / mo["ms_per_frame"] - 1
            s[key]["analyze_vs_model_only"] = (t["total"] / n * 1000) / mo["ms_per_frame"] - 1
    ref = clip.get("reference", {})
    if ref.get("frames"):
        s["reference_fps"] = ref["frames"] / ref["wall_s"]
    return s


def _f(v: Any, fmt: str = "{:.1f}") -> str:
    return fmt.format(v) if isinstance(v, (int, float)) and v == v else "-"


def table(results: list[dict[str, Any]]) -> str:
    head = ("| clip | size | frames | decode PyAV ms/f | decode OpenCV ms/f | model only ms/f (fps) | "
            "analyze loop fps (vs model) | analyze fps | + outputs fps, no video / video | "
            "metrics+scoring % | outputs ms/f (video) | peak RSS MB (video) | reference loop fps |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in results:
        s = c.get("summary", {})
        nv, wv = s.get("e2e_no_video", {}), s.get("e2e_video", {})
        mo = c.get("model_only", {})
        info = c.get("info", {})
        lines.append("| " + " | ".join([
            Path(c["clip"]).name,
            f"{info.get('width')}x{info.get('height')} {info.get('codec')}",
            str(c.get("e2e_no_video", {}).get("frames", info.get("frames"))),
            _f(c.get("decode_pyav", {}).get("ms_per_frame")),
            _f(c.get("decode_cv2", {}).get("ms_per_frame")),
            f"{_f(mo.get('ms_per_frame'))} ({_f(1000 / mo['ms_per_frame'] if mo.get('ms_per_frame') else None)})",
            f"{_f(nv.get('fps_loop'))} ({_f(100 * nv['loop_vs_model_only'], '{:+.0f}') if 'loop_vs_model_only' in nv else '-'} %)",
            _f(nv.get("fps_analyze")),
            f"{_f(nv.get('fps_with_outputs'))} / {_f(wv.get('fps_with_outputs'))}",
            _f(100 * nv["metrics_share"] if "metrics_share" in nv else None),
            _f(wv.get("write_outputs_ms_per_frame")),
            _f(wv.get("peak_rss_mb"), "{:.0f}"),
            _f(s.get("reference_fps")),
        ]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", nargs="+", type=Path, help="clips to measure (default: sample_videos/ + phone clips)")
    ap.add_argument("--repeat", type=int, default=2, help="repeats per measurement; the best is kept (default 2)")
    ap.add_argument("--quick", action="store_true", help="one repeat, cv2 decoding on 60 frames, no long-clip memory run")
    ap.add_argument("--max-side", type=int, default=None, help="pose.max_side for analyze (default: the config's)")
    ap.add_argument("--num-poses", type=int, default=None, help="pose.num_poses for analyze (default: the config's)")
    ap.add_argument("--decode-threads", type=int, default=None, help="FFmpeg decoder threads (default: valgus's)")
    ap.add_argument("--memory-seconds", type=float, default=120.0,
                    help="length of the long looped phone clip for the memory run (0 = skip; default 120)")
    ap.add_argument("--model-frames", type=int, default=400, help="frames held in memory for the model-only rate")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "speed.json")
    ap.add_argument("--no-reference", action="store_true", help="skip the OpenCV + MediaPipe reference loop")
    ap.add_argument("--max-side-study", type=int, nargs="*", default=None, metavar="SIDE",
                    help="also compare model time and landmarks at these max_side values against full "
                         "resolution on the .mov clips (e.g. 640 960); alone with --study-only")
    ap.add_argument("--study-only", action="store_true", help="run only the max_side study")
    ap.add_argument("--memory-only", action="store_true",
                    help="run only the long-clip memory measurement (updates 'memory' in an existing --out file)")
    ap.add_argument("--memory-direct", action="store_true",
                    help="one memory run at --memory-seconds (e.g. 600) instead of two runs and an extrapolation")
    ap.add_argument("--print", dest="print_json", type=Path, metavar="JSON",
                    help="print the tables of an earlier run's JSON and exit")
    ap.add_argument("--whole-process", action="store_true",
                    help="only the whole-process comparison with the legacy loop (long phone and 720p clips, "
                         "alternating; merged into an existing --out file)")
    ap.add_argument("--legacy-python", metavar="PYTHON",
                    help="an interpreter with mediapipe==0.10.21 and opencv-python==4.11 for the legacy loop "
                         "(tools/valgus_tools/bench/legacy_loop.py); without it a Tasks-API loop stands in")
    ap.add_argument("--startup-old", type=Path, metavar="TREE",
                    help="with --whole-process: also time process start to first frame against this older tree")
    ap.add_argument("--cpu-by-thread", action="store_true",
                    help="one `analyze --no-video` of the long phone clip and one legacy-loop run (with "
                         "--legacy-python), each thread's CPU sampled from /proc (Linux)")
    ap.add_argument("--seams", action="store_true",
                    help="only the seam comparison (cut in 1 and 2 threads vs uncut) on every sample and shared "
                         "clip (merged into an existing --out file)")
    ap.add_argument("--render-options", action="store_true",
                    help="only the CPU cost of the annotated video's options, on the long phone and 720p clips")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    _quiet_native_logs()

    if a.child:
        kind, spec = a.child[0], json.loads(a.child[1])
        if kind == "startup":
            r = child_startup(spec)
        else:
            r = child_e2e(spec) if kind == "e2e" else child_reference(spec)
        print(json.dumps(r))
        return 0

    if a.print_json:
        doc = json.loads(a.print_json.read_text(encoding="utf-8"))
        if doc.get("whole_process"):
            print(whole_table(doc["whole_process"]))
            print(startup_table(doc["whole_process"]))
            print()
        if doc.get("cpu_by_thread"):
            print(cpu_by_thread_table(doc["cpu_by_thread"]))
            print()
        if doc.get("seams"):
            print(seam_table(doc["seams"]["rows"]))
            print()
        if doc.get("render_options"):
            print(render_table(doc["render_options"]))
            print()
        if doc.get("clips"):
            print(table([c for c in doc["clips"] if "summary" in c]))
        if doc.get("max_side_study"):
            sides = sorted({int(k) for r in doc["max_side_study"] for k in r if k.isdigit()})
            print()
            print(study_table(doc["max_side_study"], sides))
        return 0

    if a.cpu_by_thread:
        prev = _read_out(a.out)
        env = dict(os.environ, GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
        with tempfile.TemporaryDirectory(prefix="valgus-bench-threads-") as tmp:
            clips_made = make_bench_clips(Path(tmp))
            if "phone 1080x1920" not in clips_made:
                print("the phone clips of ../shared/clips are missing: nothing to measure", file=sys.stderr)
                return 1
            clip = str(clips_made["phone 1080x1920"]["path"])
            runs = {"valgus": cpu_by_thread([sys.executable, "-m", "valgus", "analyze", clip, "-o",
                                             str(Path(tmp) / "out"), "-q", "--no-video"], env)}
            if a.legacy_python:
                runs["legacy"] = cpu_by_thread([a.legacy_python, str(LEGACY_LOOP), clip], env)
        prev["cpu_by_thread"] = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "uptime": _uptime(),
                                 "clip": "phone 1080x1920 (the whole-process clip)", "runs": runs}
        print(cpu_by_thread_table(prev["cpu_by_thread"]))
        _write_out(a.out, prev)
        return 0

    if a.whole_process or a.seams or a.render_options:
        prev = _read_out(a.out)
        if a.seams:
            rows = []
            for clip in a.clips or seam_clips():
                print(f"[{time.strftime('%H:%M:%S')}] seams: {clip.name}", file=sys.stderr, flush=True)
                rows.append(compare_segments(clip, _seam_config(clip)))
            prev["seams"] = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows}
            print(seam_table(rows))
        if a.render_options:
            with tempfile.TemporaryDirectory(prefix="valgus-bench-render-") as tmp:
                made = make_bench_clips(Path(tmp))
                prev["render_options"] = {
                    "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "uptime": _uptime(),
                    "clips": {name: render_options(c["path"]) for name, c in made.items()}}
            for name, rows in prev["render_options"]["clips"].items():
                print(name)
                for r in rows:
                    print(f"  {r['option']}: {r['cpu_ms_per_frame']:.1f} ms CPU/frame, {r.get('kb_per_frame', 0):.0f} kB/frame")
        if a.whole_process:
            with tempfile.TemporaryDirectory(prefix="valgus-bench-whole-") as tmp:
                clips_made = make_bench_clips(Path(tmp))
                doc = whole_process(clips_made, max(3, a.repeat), a.legacy_python, Path(tmp))
                if a.startup_old:
                    doc["startup"] = startup(REPO / "sample_videos" / "squat_valgus.mp4", a.startup_old, max(3, a.repeat))
                    if "phone 1080x1920" in clips_made:  # a clip cut in two: two segments start at once
                        doc["startup_phone"] = startup(clips_made["phone 1080x1920"]["path"], a.startup_old,
                                                       max(3, a.repeat))
                        doc["startup_phone"]["clip"] = "phone 1080x1920 (the whole-process clip)"
            doc["measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            doc["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
            if prev.get("whole_process"):  # the runs before this one stay (run-to-run noise is large here)
                prev["whole_process_previous"] = [prev["whole_process"], *prev.get("whole_process_previous", [])][:4]
            prev["whole_process"] = doc
            print(whole_table(doc))
            print(startup_table(doc))
        _write_out(a.out, prev)
        return 0

    repeat = 1 if a.quick else max(1, a.repeat)
    clips = a.clips or default_clips()
    spec_base = {"max_side": a.max_side, "num_poses": a.num_poses, "decode_threads": a.decode_threads}
    cfg = _config(spec_base)
    import av
    import cv2
    import mediapipe

    results = []
    study = None
    if a.max_side_study:
        phone = [c for c in clips if c.suffix.lower() == ".mov"] or clips
        study = max_side_study(phone, a.max_side_study, spec_base, repeat)
        print(study_table(study, a.max_side_study))
        if a.study_only:  # merged into an existing --out file, replacing rows of the same clip and num_poses
            prev = _read_out(a.out)
            new_keys = {(r["clip"], r["num_poses"]) for r in study}
            rows = [r for r in prev.get("max_side_study") or [] if (r["clip"], r["num_poses"]) not in new_keys]
            prev["max_side_study"] = rows + study
            prev.setdefault("settings", {})["max_side_study_measured"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            _write_out(a.out, prev)
            return 0
    for clip in [] if a.memory_only else clips:
        name = clip.name
        print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)
        c: dict[str, Any] = {"clip": _rel(clip)}
        try:
            c["info"] = clip_info(clip)
        except Exception as exc:  # an unreadable clip is reported, never ends the run
            c["error"] = f"{type(exc).__name__}: {exc}"
            results.append(c)
            print(f"  skipped: {c['error']}", file=sys.stderr)
            continue
        spec = dict(spec_base, clip=str(clip))
        c["decode_pyav"] = measure_decode_pyav(clip, spec, repeat)
        c["decode_cv2"] = measure_decode_cv2(clip, repeat if not a.quick else 1, 60 if a.quick else None)
        c["model_only"] = measure_model_only(clip, spec, repeat, a.model_frames)
        c["e2e_no_video"] = best_of("e2e", dict(spec, video=False), repeat)
        c["e2e_video"] = best_of("e2e", dict(spec, video=True), repeat)
        if not a.no_reference:
            c["reference"] = best_of("reference", spec, 1)
        c["summary"] = summarise(c)
        results.append(c)

    memory = None
    phone = [c for c in clips if c.suffix.lower() == ".mov"]
    if a.memory_seconds > 0 and (not a.quick or a.memory_only) and phone:
        print(f"[{time.strftime('%H:%M:%S')}] memory: {a.memory_seconds:.0f} s looped clip", file=sys.stderr)
        memory = measure_memory(phone[0], a.memory_seconds, spec_base, direct=a.memory_direct)

    doc = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "pyav": av.__version__, "opencv": cv2.__version__, "mediapipe": mediapipe.__version__},
        "settings": {"repeat": repeat, "quick": a.quick, "max_side": cfg.pose.max_side, "num_poses": cfg.pose.num_poses,
                     "model": cfg.pose.model, "decode_threads": a.decode_threads},
        "units": "ms per frame (ms/f), frames per second (fps), MB = 2**20 bytes; rates are the best of the repeats",
        "clips": results,
        "memory": memory,
        "max_side_study": study,
    }
    if a.memory_only and a.out.exists():  # keep the clip measurements of an earlier full run
        prev = _read_out(a.out)
        prev["memory"] = memory
        prev.setdefault("settings", {})["memory_measured"] = doc["created"]
        doc = prev
    _write_out(a.out, doc, say=False)
    if results:
        print(table(results))
    if memory and "peak_rss_10min_mb_measured" in memory:
        print(f"\nmemory: 10 min ({memory['runs'][0]['clip_frames']} frames, 1080x1920, with annotated.mp4): peak RSS "
              f"{memory['peak_rss_10min_mb_measured']:.0f} MB ({memory.get('peak_rss_analysis_mb') or 0:.0f} MB "
              "before annotated.mp4)")
    if memory and "peak_rss_10min_mb_extrapolated" in memory:
        print(f"\nmemory: peak RSS {memory['runs'][0]['peak_rss_mb']:.0f} MB ({memory['runs'][0]['clip_seconds']:.0f} s), "
              f"{memory['runs'][1]['peak_rss_mb']:.0f} MB ({memory['runs'][1]['clip_seconds']:.0f} s); "
              f"{memory['peak_growth_kb_per_frame']:.1f} kB/frame; 10 min extrapolated "
              f"{memory['peak_rss_10min_mb_extrapolated']:.0f} MB")
    print(f"\nwritten: {_rel(a.out)}  (settings: max_side={cfg.pose.max_side}, num_poses={cfg.pose.num_poses})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
