"""Sinks: frames.csv, summary.json, reps.json, report.txt and the output folder itself."""

from __future__ import annotations

import csv
import json
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from valgus import __version__
from valgus.errors import OutputExistsError, ValgusError
from valgus.metrics import column_names

log = logging.getLogger(__name__)


def prepare_outdir(outdir: str | Path, *, force: bool) -> Path:
    """Create ``outdir``; refuse to touch an existing non-empty folder unless ``force``."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputExistsError(f"{out}: output folder exists and is not empty (pass --force to overwrite)")
        for name in ("frames.csv", "summary.json", "reps.json", "report.txt", "annotated.mp4", "config.toml", "log.txt"):
            (out / name).unlink(missing_ok=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValgusError(f"{out}: cannot create output folder ({exc.strerror})") from exc
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(float(v)) else f"{float(v):.4f}"
    if isinstance(v, (np.integer, int)):
        return str(int(v))
    return str(v)


def write_frames_csv(metrics: dict[str, np.ndarray], path: str | Path) -> Path:
    """One row per analysed frame; empty cells are NaN (not measurable in that frame)."""
    path = Path(path)
    cols = column_names()
    n = len(metrics["frame"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i in range(n):
            w.writerow([_fmt(metrics[c][i]) for c in cols])
    return path


def read_frames_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Read a frames.csv back into arrays (numbers as float, NaN for empty cells; flags as str)."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cols = list(rows[0].keys()) if rows else column_names()
    out: dict[str, np.ndarray] = {}
    for c in cols:
        vals = [r[c] for r in rows]
        if c == "flags":
            out[c] = np.array(vals, dtype=object)
        else:
            out[c] = np.array([float(v) if v != "" else np.nan for v in vals])
    return out


def jsonable(obj: Any) -> Any:
    """Convert NumPy scalars/arrays and NaN to JSON-safe values (NaN -> null)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return round(f, 4) if math.isfinite(f) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(data: Any, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return path


def _peaks(analysis: Any) -> dict[str, float | None]:
    """Largest FPPA and hip adduction per leg over the frames of the reps in which that leg works
    (a free leg held in the air, or a frame between reps, says nothing about valgus)."""
    m = analysis.metrics
    reps = analysis.reps.reps if analysis.reps is not None else []
    out: dict[str, float | None] = {}
    for side in ("left", "right"):
        rows = np.zeros(len(m["time_s"]), dtype=bool)
        for r in reps:
            if r.working_leg in (side, "both"):
                idx = np.flatnonzero((m["frame"] >= r.frame_start) & (m["frame"] <= r.frame_end))
                rows[idx] = True
        for key in ("fppa_deg", "hip_adduction_deg"):
            v = m[f"{side}_{key}"][rows]
            out[f"{side}_{key}"] = float(np.nanmax(v)) if np.isfinite(v).any() else None
    return out


def summary_dict(analysis: Any) -> dict[str, Any]:
    """The clip-level summary written to summary.json."""
    info = analysis.info
    m = analysis.metrics
    det = analysis.track_raw.detected
    vis = np.concatenate([m["left_visibility"][det], m["right_visibility"][det]])
    out: dict[str, Any] = {
        "valgus_version": __version__,
        "source": Path(analysis.source).name,
        "video": {
            "width": info.width, "height": info.height, "fps": info.fps, "codec": info.codec,
            "rotation": info.rotation, "frames_decoded": analysis.decode.decoded,
            "frames_lost": analysis.decode.lost, "duration_s": info.duration_s,
        },
        "frames_analysed": analysis.n_frames,
        "frames_with_person": analysis.n_detected,
        "frames_with_several_people": analysis.frames_with_several_people,
        "mean_lower_body_visibility": float(np.mean(vis)) if vis.size else None,
        "peaks": _peaks(analysis),
        "min_knee_ankle_sep_ratio": float(np.nanmin(m["knee_ankle_sep_ratio"]))
        if np.isfinite(m["knee_ankle_sep_ratio"]).any() else None,
        "warnings": list(analysis.warnings),
        "timings_s": analysis.timings,
    }
    if analysis.reps is not None:
        out.update(analysis.reps.summary())
    return out


def copy_log(src: Path | None, outdir: Path) -> None:
    if src is not None and src.exists():
        shutil.copyfile(src, outdir / "log.txt")
