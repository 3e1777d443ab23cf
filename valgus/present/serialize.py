"""The JSON documents of a clip: ``reps.json`` (per rep) and ``summary.json`` (per clip).

Data from scoring plus the words of :mod:`valgus.present.words`, so a reader of the JSON gets
both the codes and the sentences.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from valgus import __version__
from valgus.config import Config
from valgus.engine import Analysis
from valgus.landmarks import SIDES
from valgus.present import words
from valgus.scoring.results import CameraCheck, ClipResult


def camera_dict(cam: CameraCheck) -> dict[str, Any]:
    return {
        "view": cam.view, "yaw_deg": cam.yaw_deg, "yaw_se_deg": cam.yaw_se_deg, "ok": cam.ok,
        "reasons": words.camera_reasons(cam), "fixes": words.camera_fixes(cam),
        "warnings": [words.notice(f) for f in cam.notes],
        "problems": [f.to_dict() for f in cam.problems], "notes": [f.to_dict() for f in cam.notes],
    }


def hip_rotation_dict(config: Config | None) -> dict[str, Any]:
    """Whether hip internal rotation is reported, and the measured error that decides it."""
    from valgus.kinematics.metrics import HIP_IR_MEASURED_ERROR

    limit = (config or Config()).measure.hip_ir_max_error_deg
    bands = [{"knee_flexion_deg": [lo, hi], "mae_deg": mae, "p90_error_deg": p90, "reported": mae <= limit}
             for lo, hi, mae, p90 in HIP_IR_MEASURED_ERROR]
    reported = any(b["reported"] for b in bands)
    return {"reported": reported, "max_error_deg": limit, "measured_error": bands,
            "reason": None if reported else words.HIP_ROTATION_WITHHELD}


def clip_dict(result: ClipResult, config: Config | None = None) -> dict[str, Any]:
    """``reps.json``: the verdict with its reasons and findings, the camera check, the baseline,
    the per-leg summary and every rep with its values and flags."""
    d: dict[str, Any] = {
        "exercise": result.exercise,
        "verdict": result.verdict,
        "reasons": words.reasons(result),
        "findings": [f.to_dict() for f in result.findings],
        "strength_plan": words.plan(result),
        "camera": camera_dict(result.camera),
        "baseline": result.baseline,
        "legs": [asdict(x) for x in result.legs],
        "hip_internal_rotation": hip_rotation_dict(config),
        "reps": [asdict(r) for r in result.reps],
    }
    if config is not None:
        d["config"] = config.to_dict()
    return d


def peaks(a: Analysis) -> dict[str, float | None]:
    """Largest FPPA and hip adduction per leg over the frames of the reps in which that leg works
    (a free leg held in the air, or a frame between reps, says nothing about valgus)."""
    m = a.metrics
    out: dict[str, float | None] = {}
    for side in SIDES:
        rows = np.zeros(len(m["time_s"]), dtype=bool)
        for r in a.result.reps:
            if side in r.legs:
                rows[(m["frame"] >= r.frame_start) & (m["frame"] <= r.frame_end)] = True
        for key in ("fppa_deg", "hip_adduction_deg"):
            v = m[f"{side}_{key}"][rows]
            out[f"{side}_{key}"] = float(np.nanmax(v)) if np.isfinite(v).any() else None
    return out


def notices(a: Analysis) -> list[str]:
    """Everything worth telling about the clip that is not the verdict, in words."""
    return [words.notice(f) for f in a.notices + a.result.camera.notes]


def summary_dict(a: Analysis, timings: dict[str, float] | None = None) -> dict[str, Any]:
    """The clip-level summary written to summary.json."""
    info, m, r = a.info, a.metrics, a.result
    det = a.track_raw.detected
    vis = np.concatenate([m["left_visibility"][det], m["right_visibility"][det]])
    return {
        "valgus_version": __version__,
        "source": Path(a.source).name,
        "video": {
            "width": info.width, "height": info.height, "fps": info.fps, "codec": info.codec,
            "rotation": info.rotation, "frames_decoded": a.decode.decoded,
            "frames_lost": a.decode.lost, "duration_s": info.duration_s,
        },
        "frames_analysed": a.n_frames,
        "frames_with_person": a.n_detected,
        "frames_with_several_people": a.frames_with_several_people,
        "mean_lower_body_visibility": float(np.mean(vis)) if vis.size else None,
        "peaks": peaks(a),
        "min_knee_ankle_sep_ratio": float(np.nanmin(m["knee_ankle_sep_ratio"]))
        if np.isfinite(m["knee_ankle_sep_ratio"]).any() else None,
        "warnings": notices(a),
        "timings_s": dict(timings if timings is not None else a.timings),
        "exercise": r.exercise,
        "n_reps": r.n_reps,
        "verdict": r.verdict,
        "reasons": words.reasons(r),
        "camera": camera_dict(r.camera),
        "legs": [asdict(x) for x in r.legs],
    }
