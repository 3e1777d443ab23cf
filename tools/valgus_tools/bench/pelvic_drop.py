#!/usr/bin/env python
"""Does the pose model see a contralateral pelvic drop? Rendered clips with known drops.

Renders single-leg squats (left stance) and step-ups (right lead) for two bodies with a true
contralateral pelvic drop of 0, 6 and 12 degrees at depth (and with and without a 15-degree
valgus knee swing, because both change the hip region's appearance), runs the pipeline
(``valgus.engine.analyze_video``) and compares, at each true rep's deepest (loaded) frame and,
for step-ups, at the top of the step (single-leg stance on a nearly straight lead leg):

- ``truth``: the 3D pelvic drop (hip joint centres), + = the free side is lower;
- ``surface``: the same line from the body's surface hip keypoints as the camera sees them
  (what a person watching the video sees);
- ``model``: the pipeline's 2D pelvic drop (the line through MediaPipe's two hip landmarks);
- ``world``: the same from MediaPipe's 3D world landmarks.

Prints a table and the response of each estimate (least-squares slope of estimate against the
true drop: 1 = follows it fully, 0 = blind to it) and writes ``benchmarks/pelvic_drop.json``.
This is what decides ``thresholds.pelvic_drop_in_verdict`` (see README, "Pelvic drop").
Needs the optional renderer (``pip install .[synth]``); about 6 minutes on 2 cores.

Usage::

    python scripts/benchmark_pelvic_drop.py [--keep DIR] [--out JSON]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")

ROOT = Path(__file__).resolve().parents[3]

OUT_JSON = ROOT / "benchmarks" / "pelvic_drop.json"
BODIES = ("female_average", "male_average")
DROPS = (0.0, 6.0, 12.0)
SWINGS = (0.0, 15.0)


def spec(body: str, exercise: str, drop: float, swing: float):
    from valgus_tools.synth.camera import CameraParams
    from valgus_tools.synth.clip import ClipSpec
    from valgus_tools.synth.motion import MotionParams

    common = dict(reps=2, descent_s=1.0, ascent_s=0.9, pause_bottom_s=0.3, pause_top_s=0.35, lead_in_s=0.8)
    name = f"{body}__{exercise}__drop{drop:g}__v{swing:g}"
    if exercise == "single_leg_squat":
        m = MotionParams("single_leg_squat", side="left", depth_deg=65, arms="crossed",
                         valgus_left_deg=swing, pelvic_drop_deg=drop, **common)
    else:
        common.update(descent_s=1.3, ascent_s=1.3)
        m = MotionParams("step_up", side="right", arms="hips", valgus_right_deg=swing,
                         pelvic_drop_deg=drop, **common)
    return ClipSpec(name, body=body, motion=m, camera=CameraParams(), seed=11)


def _tilt(a: Any, b: Any) -> float:
    from valgus.kinematics import geometry as g

    return float(g.pelvic_drop_deg(np.asarray(a, float), np.asarray(b, float)))


def run_one(args: tuple[Any, Path]) -> list[dict[str, Any]]:
    """Render (unless already there), analyse, and return one row per measured frame."""
    s, work = args
    from valgus.engine import analyze_video
    from valgus_tools.synth.clip import render_clip

    d = work / s.name
    video = d / f"{s.name}.mp4"
    truth_path = d / f"{s.name}.truth.json"
    if not (video.exists() and truth_path.exists()):
        render_clip(s, d)
    truth = json.loads(truth_path.read_text())
    a = analyze_video(video)
    side = truth["generator"]["motion"]["side"]
    other = "right" if side == "left" else "left"
    S, O = (23, 24) if side == "left" else (24, 23)
    tf, kp = truth["frames"], truth["keypoints_2d"]
    raw = a.track_raw
    pos = {int(f): i for i, f in enumerate(raw.frame)}
    # standing: the median over the lead-in, before the first rep
    first = truth["reps"][0]["start_frame"]
    stand = [i for f, i in pos.items() if f < first]
    base = float(np.nanmedian([_tilt(raw.xy[i, S], raw.xy[i, O]) for i in stand]))
    rows = []
    for r in truth["reps"]:
        frames = [("deepest", r["deepest_frame"])]
        if s.motion.exercise == "step_up":
            # top of the step: the pelvis at its highest (lead leg straight, trailing foot up)
            idx = range(r["start_frame"], r["end_frame"] + 1)
            jy = truth["joints_2d"]
            top = min(idx, key=lambda k: jy["left_hip"][k][1] + jy["right_hip"][k][1])
            frames.append(("top", top))
        for where, k in frames:
            i = pos.get(k)
            if i is None:
                continue
            w = raw.world[i]
            rows.append({
                "clip": s.name, "body": s.body, "exercise": s.motion.exercise, "swing": s.motion.valgus_left_deg
                or s.motion.valgus_right_deg, "where": where, "frame": k,
                "truth": tf[f"{side}_pelvic_drop_deg"][k],
                "surface": _tilt(kp[f"{side}_hip"][k], kp[f"{other}_hip"][k]),
                "model": _tilt(raw.xy[i, S], raw.xy[i, O]),
                "model_change": _tilt(raw.xy[i, S], raw.xy[i, O]) - base,
                "world": float(np.degrees(np.arctan2(w[O, 1] - w[S, 1], abs(w[O, 0] - w[S, 0])))),
            })
    return rows


def slope(x: list[float], y: list[float]) -> float | None:
    x_, y_ = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x_) & np.isfinite(y_)
    if ok.sum() < 3 or np.ptp(x_[ok]) == 0:
        return None
    return round(float(np.polyfit(x_[ok], y_[ok], 1)[0]), 3)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ex in ("single_leg_squat", "step_up"):
        for where in ("deepest", "top"):
            sel = [r for r in rows if r["exercise"] == ex and r["where"] == where]
            if not sel:
                continue
            key = f"{ex}@{where}"
            t = [r["truth"] for r in sel]
            out[key] = {
                "n": len(sel),
                **{f"response_{k}": slope(t, [r[k] for r in sel]) for k in ("surface", "model", "model_change", "world")},
                "model_at_drop0": [round(r["model_change"], 1) for r in sel if abs(r["truth"]) < 0.5],
                "model_at_drop12": [round(r["model_change"], 1) for r in sel if abs(r["truth"] - 12) < 0.5],
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep rendered clips here (reused when present)")
    parser.add_argument("--out", type=Path, default=OUT_JSON)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    specs = [spec(b, ex, d, v) for b in BODIES for ex in ("single_leg_squat", "step_up") for d in DROPS for v in SWINGS]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
            rows = [r for part in pool.map(run_one, [(s, work) for s in specs]) for r in part]
    print(f"{'clip':42s} {'at':8s} {'truth':>6s} {'surface':>8s} {'model':>6s} {'change':>7s} {'world':>6s}")
    for r in rows:
        print(f"{r['clip']:42s} {r['where']:8s} {r['truth']:+6.1f} {r['surface']:+8.1f} {r['model']:+6.1f} "
              f"{r['model_change']:+7.1f} {r['world']:+6.1f}")
    summary = summarise(rows)
    print("\nresponse (slope of estimate vs true drop; 1 = follows it, 0 = blind):")
    for k, v in summary.items():
        print(f"  {k:26s} surface {v['response_surface']}  model {v['response_model']}  "
              f"model change {v['response_model_change']}  world {v['response_world']}")
    result = {"schema": "valgus-pelvic-drop/1", "wall_time_s": round(time.perf_counter() - t0, 1),
              "summary": summary, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
