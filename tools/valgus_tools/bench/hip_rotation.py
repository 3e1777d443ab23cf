#!/usr/bin/env python
"""How well can one camera measure hip internal rotation? Candidate estimators against rendered truth.

Reads the clips the accuracy benchmark kept (``benchmark_accuracy.py --grid variants --keep DIR``:
each ``<name>.truth.json`` with the product's output ``<name>_out/frames.csv``, made by ``valgus
analyze`` exactly as a user runs it) and compares, frame by frame and per leg, these estimates of
hip internal rotation (degrees, + = internal) with the renderer's 3D truth (Grood & Suntay
Cardan angles of the thigh in the pelvis frame, ``valgus_tools.synth.truth``):

- ``world_raw``: the product's estimate as reported (``valgus.kinematics.geometry.hip_internal_rotation_deg``
  on the smoothed world landmarks: the knee's flexion axis against the pelvis axis, about the
  femur). Compared with the raw truth.
- ``world_change_standing``: the same minus its own median over the standing frames (the
  product's 3D knee flexion within 5 degrees of its 10th percentile over the clip: a straight
  leg reads 5-20 degrees). Compared with the truth's change from standing.
- ``world_change_bent``: minus its median over the frames with product knee flexion 20-35
  degrees instead (the flexion axis of a straight knee is undefined, so a standing reference is
  noise; a slightly bent one is not). Compared with the truth's change from standing.
- ``image_fppa_swing``: the rotation of the leg's hinge plane about the hip-ankle axis read from
  the image FPPA and the 3D knee flexion. For a hinge leg with equal thigh and shank, flexed by
  theta and turned by phi about the hip-ankle axis (the renderer's and the usual description of
  dynamic valgus with the foot planted), seen square on with that axis in the image plane, the
  projected angle is FPPA = 2 atan(tan(theta/2) sin(phi)), so
  phi = asin(tan(FPPA/2) / tan(theta/2)). ``image_fppa_swing_change`` uses FPPA minus its
  standing value. Change-type estimates (0 = knee straight ahead), compared with the truth's
  change from standing. RESEARCH.md: "any hip-rotation number from one camera is an estimate
  (e.g. from 3D world landmarks or the knee's offset from the foot line)".
- ``image_foot_line``: the knee's offset from the foot line (``{side}_knee_medial_offset``, a
  fraction of the leg length; BMC SSMR 2021, Ageberg 2010), change from standing, turned into the
  same swing: the knee lies 0.5 sin(theta/2) leg lengths from the hip-ankle axis, so
  phi = asin(offset change / (0.5 sin(theta/2))).
- ``world_swing`` (only with ``--landmarks``, which runs the pose model once more per clip and
  caches ``<name>.landmarks.npz``): the same swing from the world landmarks, from the plane through
  the hip-ankle axis and the pelvis's forward direction.

Conditions: exercise, leg role (working / free), whether the clip has the renderer's femoral
rotation (``hip_ir_*_deg``: the thigh turns about its own axis and no joint centre moves, so no
estimate from joint landmarks can see it; clips without it have hip rotation only from the knee
swing, which moves the knee), knee-flexion band (0-30, 30-60, 60+) by the
*product's* 3D knee flexion (what the product can condition on) and by the truth, camera yaw,
split (variants / heldout: the held-out clips are reported apart and must not be used to choose).

Per estimator and condition: n frames, bias, MAE, 90th-percentile absolute error, Pearson r with
the truth and the truth's own spread. A value is worth reporting only where the error is smaller
than the effect: patients with patellofemoral pain differ from controls by a few degrees of hip
internal rotation and adduction, so the summary marks every condition whose MAE exceeds
``WITHHOLD_MAE_DEG`` (5) as "withhold".

Usage::

    python scripts/benchmark_accuracy.py --grid variants --workers 1 --keep DIR_V
    python scripts/benchmark_accuracy.py --grid heldout --workers 1 --keep DIR_H
    python scripts/benchmark_hip_rotation.py DIR_V DIR_H       # benchmarks/hip_rotation.json
    python scripts/benchmark_hip_rotation.py DIR_V --landmarks      # + world_swing (pose model again)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

REPO = Path(__file__).resolve().parents[3]
OUT_JSON = REPO / "benchmarks" / "hip_rotation.json"

#: Above this mean absolute error (degrees) a hip-IR number is larger than the effect it should
#: show (published PFP-vs-healthy differences in hip IR / adduction are a few degrees).
WITHHOLD_MAE_DEG = 5.0

ESTIMATORS: dict[str, str] = {
    "world_raw": "raw",
    "world_change_standing": "change",
    "world_change_bent": "change",
    "image_fppa_swing": "change",
    "image_fppa_swing_change": "change",
    "image_foot_line": "change",
    "world_swing": "change",
}

BANDS = (("0-30", -1e9, 30.0), ("30-60", 30.0, 60.0), ("60+", 60.0, 1e9))
SIDES = ("left", "right")


def _band(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, "", dtype=object)
    for name, lo, hi in BANDS:
        out[(x >= lo) & (x < hi)] = name
    return out


def _yaw_group(yaw: float) -> str:
    a = abs(yaw)
    return "0" if a < 4 else ("8" if a < 15 else "30")


# --------------------------------------------------------------------------------------------
# landmarks
# --------------------------------------------------------------------------------------------


def landmarks(clip: Path) -> dict[str, np.ndarray]:
    """The product's smoothed landmarks and metrics of ``clip``, cached beside it."""
    cache = clip.with_suffix(".landmarks.npz")
    if cache.exists():
        with np.load(cache) as z:
            return {k: z[k] for k in z.files}
    from valgus.engine import analyze_video

    a = analyze_video(clip)
    keep = {"frame": a.track.frame, "xy": a.track.xy, "world": a.track.world,
            "visibility": a.track.visibility}
    for s in SIDES:
        for k in ("hip_internal_rotation_deg", "knee_flexion_deg", "hip_ir_confidence",
                  "knee_medial_offset", "fppa_deg", "hip_adduction_deg"):
            keep[f"{s}_{k}"] = np.asarray(a.metrics[f"{s}_{k}"], float)
    np.savez_compressed(cache, **keep)
    return keep


# --------------------------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / n


def _median_where(x: np.ndarray, ok: np.ndarray) -> float:
    ok = ok & np.isfinite(x)
    return float(np.median(x[ok])) if ok.any() else float("nan")


def world_swing_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, other_hip: np.ndarray,
                    heel: np.ndarray, toe: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Rotation (degrees, + = knee medial) of the hip-knee-ankle plane about the hip-ankle axis,
    from the plane through that axis and the pelvis's forward direction. Points (n, 3), any
    right-handed frame; ``up`` (3,) the vertical. NaN where the knee is on the axis."""
    e = _unit(ankle - hip)
    ml = other_hip - hip  # medial
    ml_h = ml - np.sum(ml * up, axis=-1, keepdims=True) * up
    fwd = np.cross(ml_h, up)
    # forward = the way the toes point (robust to the frame's handedness and the leg's side)
    foot = toe - heel
    sgn = np.sign(np.nanmedian(np.sum(fwd * foot, axis=-1)))
    fwd = fwd * (sgn if np.isfinite(sgn) and sgn != 0 else 1.0)
    n0 = _unit(fwd - np.sum(fwd * e, axis=-1, keepdims=True) * e)
    k = knee - hip
    k = k - np.sum(k * e, axis=-1, keepdims=True) * e
    med = _unit(ml - np.sum(ml * e, axis=-1, keepdims=True) * e)
    x = np.sum(k * n0, axis=-1)
    y = np.sum(k * med, axis=-1)
    r = np.linalg.norm(k, axis=-1)
    ang = np.degrees(np.arctan2(y, x))
    return np.where(r > 1e-3, ang, np.nan)


def estimates(fr: dict[str, np.ndarray], side: str, lm: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every candidate estimate for one leg, per frame (NaN where undefined), from the product's
    ``frames.csv`` columns ``fr`` (and world landmarks ``lm`` for ``world_swing``)."""
    flex = fr[f"{side}_knee_flexion_deg"]
    raw = fr[f"{side}_hip_internal_rotation_deg"]
    # Standing: the product's 3D knee flexion of a straight leg reads 5-20 degrees, so "straight"
    # is within 5 degrees of the clip's own 10th percentile.
    standing = flex <= np.nanpercentile(flex, 10) + 5 if np.isfinite(flex).any() else np.zeros(len(flex), bool)
    bent = (flex >= 20) & (flex <= 35)
    out = {
        "world_raw": raw,
        "world_change_standing": raw - _median_where(raw, standing),
        "world_change_bent": raw - _median_where(raw, bent),
    }
    half = np.radians(np.where(flex >= 20, flex, np.nan)) / 2  # a straight knee has no hinge plane
    fppa = fr[f"{side}_fppa_deg"]
    kmo = fr[f"{side}_knee_medial_offset"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, f in (("image_fppa_swing", fppa), ("image_fppa_swing_change", fppa - _median_where(fppa, standing))):
            out[name] = np.degrees(np.arcsin(np.clip(np.tan(np.radians(f) / 2) / np.tan(half), -1, 1)))
        dk = kmo - _median_where(kmo, standing)
        out["image_foot_line"] = np.degrees(np.arcsin(np.clip(dk / (0.5 * np.sin(half)), -1, 1)))
    if lm is not None:
        from valgus.landmarks import leg

        L = leg(side)
        w = lm["world"]
        sw = world_swing_deg(w[:, L["hip"]], w[:, L["knee"]], w[:, L["ankle"]], w[:, L["other_hip"]],
                             w[:, L["heel"]], w[:, L["toe"]], np.array([0.0, -1.0, 0.0]))
        full = np.full(len(flex), np.nan)
        idx = lm["frame"].astype(int)
        pos = {int(f): i for i, f in enumerate(fr["frame"].astype(int))}
        for j, f in enumerate(idx):
            if f in pos:
                full[pos[f]] = sw[j]
        out["world_swing"] = np.where(flex >= 20, full, np.nan)
    return out


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def clip_frames(truth: dict[str, Any], fr: dict[str, np.ndarray], split: str,
                lm: dict[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """Per leg: the truth, every estimate and the conditions, as arrays over the clip's frames."""
    n = truth["n_frames"]
    g = truth["generator"]
    ex, side = g["motion"]["exercise"], g["motion"]["side"]
    tf = {k: np.array([np.nan if v is None else v for v in vals], float) for k, vals in truth["frames"].items()}
    idx = fr["frame"].astype(int)
    ok = (idx >= 0) & (idx < n)
    rows = []
    for s in SIDES:
        est = estimates(fr, s, lm)
        t_ir = tf[f"{s}_hip_internal_rotation_deg"][idx[ok]]
        t_flex = tf[f"{s}_knee_flexion_deg"][idx[ok]]
        t_stand = _median_where(t_ir, t_flex < 10)
        rows.append({
            "clip": truth["clip"].removesuffix(".mp4"), "split": split, "exercise": ex,
            "role": "working" if ex in ("squat", "sit_to_stand") or s == side else "free",
            "yaw": _yaw_group(float(g["camera"]["yaw_deg"])),
            # the renderer's femoral rotation about the thigh's axis moves no joint centre
            "femoral_rotation": bool(g["motion"].get(f"hip_ir_{s}_deg", 0.0)),
            "truth_raw": t_ir, "truth_change": t_ir - t_stand,
            "truth_flex": t_flex, "pred_flex": fr[f"{s}_knee_flexion_deg"][ok],
            "conf": fr[f"{s}_hip_ir_confidence"][ok],
            "est": {k: v[ok] for k, v in est.items()},
        })
    return rows


def _stats(err: np.ndarray, t: np.ndarray, e: np.ndarray) -> dict[str, Any]:
    if err.size < 5:
        return {"n": int(err.size)}
    r = None
    if np.std(t) > 1e-6 and np.std(e) > 1e-6:
        r = round(float(np.corrcoef(t, e)[0, 1]), 3)
    mae = float(np.mean(np.abs(err)))
    return {"n": int(err.size), "bias": round(float(np.mean(err)), 2), "mae": round(mae, 2),
            "p90": round(float(np.percentile(np.abs(err), 90)), 2), "r": r,
            "truth_sd": round(float(np.std(t)), 2), "withhold": mae > WITHHOLD_MAE_DEG}


def table(rows: list[dict[str, Any]], keys: tuple[str, ...], keep: Callable[[dict[str, Any]], bool] = lambda r: True,
          band_by: str = "pred_flex", min_conf: float | None = None) -> dict[str, Any]:
    """estimator -> condition -> stats, pooled over the frames of ``rows`` passing ``keep``."""
    out: dict[str, Any] = {}
    for name, kind in ESTIMATORS.items():
        acc: dict[str, list[np.ndarray]] = {}
        for r in rows:
            if not keep(r):
                continue
            t = r[f"truth_{kind}"]
            if name not in r["est"]:
                continue
            e = r["est"][name]
            band = _band(r[band_by])
            ok = np.isfinite(t) & np.isfinite(e) & (band != "")
            if min_conf is not None:
                ok &= r["conf"] > min_conf
            for b in np.unique(band[ok]):
                sel = ok & (band == b)
                key = " / ".join(str(b) if k == "band" else str(r[k]) for k in keys)
                acc.setdefault(key, []).append(np.stack([t[sel], e[sel]]))
        out[name] = {}
        for key in sorted(acc):
            te = np.concatenate(acc[key], axis=1)
            out[name][key] = _stats(te[1] - te[0], te[0], te[1])
    return out


def run(dirs: list[Path], limit: int | None = None, with_landmarks: bool = False) -> dict[str, Any]:
    from valgus_tools.bench.accuracy import read_frames_csv

    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    clips = []
    for d in dirs:
        for tp in sorted(Path(d).glob("*.truth.json")):
            name = tp.name.removesuffix(".truth.json")
            csv_path = tp.parent / f"{name}_out" / "frames.csv"
            if csv_path.exists():
                clips.append((tp.parent / f"{name}.mp4", tp, csv_path))
    for k, (clip, tp, csv_path) in enumerate(clips[:limit]):
        truth = json.loads(tp.read_text())
        split = "heldout" if clip.name.startswith("held__") else "variants"
        lm = landmarks(clip) if with_landmarks and clip.exists() else None
        rows += clip_frames(truth, read_frames_csv(csv_path), split, lm)
        print(f"[{k + 1}/{len(clips)}] {clip.name}", file=sys.stderr, flush=True)
    res: dict[str, Any] = {
        "schema": "valgus-hip-rotation/1",
        "withhold_mae_deg": WITHHOLD_MAE_DEG,
        "estimators": ESTIMATORS,
        "clips": sorted({r["clip"] for r in rows}),
        "wall_time_s": round(time.perf_counter() - t0, 1),
    }
    for split in ("variants", "heldout"):
        inside = lambda r, s=split: r["split"] == s  # noqa: E731
        wk = lambda r, s=split: r["split"] == s and r["role"] == "working"  # noqa: E731
        fr = lambda r, s=split: r["split"] == s and r["role"] == "free"  # noqa: E731
        if not any(inside(r) for r in rows):
            continue
        res[split] = {
            "working_by_band": table(rows, ("band",), wk),
            "working_by_band_truth_flexion": table(rows, ("band",), wk, band_by="truth_flex"),
            "working_by_exercise_band": table(rows, ("exercise", "band"), wk),
            "working_by_yaw_band": table(rows, ("yaw", "band"), wk),
            "working_by_band_conf_gt_0.3": table(rows, ("band",), wk, min_conf=0.3),
            "working_by_femoral_rotation_band": table(rows, ("femoral_rotation", "band"), wk),
            "working_by_femoral_rotation_band_truth_flexion": table(rows, ("femoral_rotation", "band"), wk,
                                                                     band_by="truth_flex"),
            "working_by_yaw_band_truth_flexion": table(rows, ("yaw", "band"), wk, band_by="truth_flex"),
            "free_leg_by_exercise_band": table(rows, ("exercise", "band"), fr),
            "by_clip": table(rows, ("clip", "role", "band"), inside),
        }
    return res


def markdown_table(section: dict[str, Any], estimators: list[str] | None = None) -> str:
    """estimator x condition table of MAE (bias, r), '*' = withhold."""
    est = estimators or list(ESTIMATORS)
    conds = sorted({c for e in est for c in section.get(e, {})})
    lines = ["| condition | " + " | ".join(est) + " |", "|---" * (len(est) + 1) + "|"]
    for c in conds:
        cells = []
        for e in est:
            st = section.get(e, {}).get(c)
            if not st or "mae" not in st:
                cells.append("-")
                continue
            r = "-" if st["r"] is None else f"{st['r']:.2f}"
            cells.append(f"{st['mae']:.1f} ({st['bias']:+.1f}, r {r}, n {st['n']}){' *' if st['withhold'] else ''}")
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path, help="folders of kept rendered clips (--keep of the accuracy benchmark)")
    parser.add_argument("--out", type=Path, default=OUT_JSON, help="output JSON (default benchmarks/hip_rotation.json)")
    parser.add_argument("--limit", type=int, help="only the first N clips (a quick look)")
    parser.add_argument("--landmarks", action="store_true",
                        help="also run the pose model per clip for the world-landmark swing (slow)")
    parser.add_argument("--markdown", action="store_true", help="print the markdown tables")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    res = run(args.dirs, args.limit, args.landmarks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    for split in ("variants", "heldout"):
        if split in res:
            for sec in ("working_by_band", "working_by_yaw_band", "working_by_exercise_band"):
                print(f"\n### {split}: {sec}\n")
                print(markdown_table(res[split][sec]))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
