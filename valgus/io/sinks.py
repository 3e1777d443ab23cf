"""File sinks: the output folder, frames.csv and JSON files (written atomically)."""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from valgus.errors import OutputExistsError, ValgusError
from valgus.kinematics.metrics import column_names
from valgus.types import PoseTrack, VideoInfo

log = logging.getLogger(__name__)


#: Every file ``write_outputs`` may leave in a clip's folder (removed by ``--force`` first).
OUTPUT_FILES = ("frames.csv", "summary.json", "reps.json", "report.txt", "report.html", "annotated.mp4", "config.toml",
                "landmarks.npz", "live.json", "camera.mp4")


def prepare_outdir(outdir: str | Path, *, force: bool) -> Path:
    """Create ``outdir``; refuse to touch an existing non-empty folder unless ``force``."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OutputExistsError(f"{out}: output folder exists and is not empty (pass --force to overwrite)")
        for name in OUTPUT_FILES:
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


def write_text_atomic(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader (or a killed run) never sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(data: Any, path: str | Path) -> Path:
    return write_text_atomic(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n", path)


def write_landmarks(raw: PoseTrack, track: PoseTrack, info: VideoInfo, path: str | Path,
                    frames_with_several: int = 0) -> Path:
    """``landmarks.npz``: the subject's landmarks as the model gave them (``raw_*``) and as
    measured (masked and smoothed), pixels and world metres, with the video facts, so a clip can
    be re-scored (or studied) without running the pose model again: the raw landmarks are kept in
    float64, so a re-analysis gives the same numbers; the smoothed copies in float32."""
    path = Path(path)
    arrays = {
        "t": raw.t, "frame": raw.frame, "n_people": raw.n_people,
        "raw_xy": raw.xy, "raw_world": raw.world, "visibility": raw.visibility, "presence": raw.presence,
        "xy": track.xy.astype(np.float32), "world": track.world.astype(np.float32),
        "video": np.array([info.width, info.height, info.fps, info.frame_count or 0, info.duration_s or 0.0,
                           info.rotation, frames_with_several], dtype=np.float64),
        "codec": np.array(info.codec),
    }
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def read_landmarks(path: str | Path) -> tuple[PoseTrack, VideoInfo, int]:
    """The raw track, the video facts and the frames with several people of a ``landmarks.npz``."""
    with np.load(Path(path)) as z:
        raw = PoseTrack(t=z["t"].astype(np.float64), frame=z["frame"].astype(np.int64),
                        xy=z["raw_xy"].astype(np.float64), visibility=z["visibility"].astype(np.float64),
                        presence=z["presence"].astype(np.float64), world=z["raw_world"].astype(np.float64),
                        n_people=z["n_people"].astype(np.int64))
        w, h, fps, n, dur, rot, several = z["video"].tolist()
        info = VideoInfo(path=None, width=int(w), height=int(h), fps=float(fps), frame_count=int(n) or None,
                         duration_s=float(dur) or None, codec=str(z["codec"]), rotation=int(rot))
    return raw, info, int(several)
