"""Batch inputs and results: files, folders, globs and clip lists -> :class:`ClipJob`; an analysed
clip -> :class:`ClipOutcome`, the row of ``summary.csv`` / ``summary.jsonl``."""

from __future__ import annotations

import csv
import glob
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from valgus import __version__
from valgus.config import Config, override
from valgus.errors import UsageError
from valgus.scoring.results import EXERCISES

VIDEO_EXTS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".gif", ".mpg", ".mpeg", ".wmv",
                        ".flv", ".3gp"})
#: columns a clip list (CSV) may have; only ``path`` is required
LIST_COLUMNS = ("path", "subject", "sex", "exercise", "leg", "mirrored", "baseline")
Status = Literal["ok", "cannot assess", "failed"]
STATUSES: tuple[str, ...] = ("ok", "cannot assess", "failed")


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClipJob:
    """One clip to score, with the per-clip facts a clip list may give.

    ``sex`` and ``mirrored`` override the configuration for this clip, ``exercise`` forces the
    exercise, ``baseline`` is a standing calibration clip; ``leg`` is the leg the study expects to
    work (the engine recognises the working leg itself; a mismatch is noted, not forced).
    """

    path: Path  # absolute
    video: str  # as given (for people reading the table)
    subject: str = ""
    sex: str | None = None
    exercise: str | None = None
    leg: str | None = None
    mirrored: bool | None = None
    baseline: Path | None = None
    name: str = ""  # the clip's output folder, unique in the batch (assigned by plan)


@dataclass(frozen=True)
class History:
    """Store each scored clip in a subject's history (``valgus history``): only when ``subject`` is
    given; a clip list's ``subject`` then names each clip's subject. ``path``: the database
    (default: valgus's); ``date``: the session date (default: each video file's date)."""

    subject: str | None = None
    path: str | None = None
    date: str | None = None


def _has_magic(s: str) -> bool:
    return any(c in s for c in "*?[")


def _videos_under(folder: Path, exclude: Path | None) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        d = Path(dirpath)
        # hidden folders and the batch's own output folder are not inputs
        dirnames[:] = sorted(n for n in dirnames if not n.startswith(".")
                             and (exclude is None or (d / n).resolve() != exclude))
        out.extend(d / f for f in sorted(filenames)
                   if not f.startswith(".") and Path(f).suffix.lower() in VIDEO_EXTS)
    return out


def expand_inputs(inputs: Iterable[str | os.PathLike[str]], *, exclude: str | Path | None = None) -> list[ClipJob]:
    """Files, folders (searched recursively), glob patterns and clip lists (``.csv``) -> jobs.

    A file named explicitly is kept even when it does not exist or is not a video (it becomes a
    ``failed`` row); folders and patterns contribute video files only (by extension). The same
    file given twice is scored once. ``exclude``: a folder never searched (the output folder).

    Raises:
        UsageError: a clip list is malformed, or no input gave any clip.
    """
    ex = Path(exclude).resolve() if exclude is not None else None
    jobs: list[ClipJob] = []
    for item in inputs:
        s = os.fspath(item)
        p = Path(s)
        if p.suffix.lower() == ".csv" and p.is_file():
            jobs.extend(read_clip_list(p))
        elif p.is_dir():
            jobs.extend(ClipJob(path=q.resolve(), video=str(q)) for q in _videos_under(p, ex))
        elif _has_magic(s) and not p.exists():
            for q in sorted(glob.glob(s, recursive=True)):
                qp = Path(q)
                if qp.is_dir():
                    jobs.extend(ClipJob(path=r.resolve(), video=str(r)) for r in _videos_under(qp, ex))
                elif qp.suffix.lower() in VIDEO_EXTS:
                    jobs.append(ClipJob(path=qp.resolve(), video=q))
        else:
            jobs.append(ClipJob(path=Path(os.path.abspath(p)), video=s))
    seen: set[Path] = set()
    unique = []
    for j in jobs:
        if j.path not in seen:
            seen.add(j.path)
            unique.append(j)
    if not unique:
        raise UsageError("no video files found in the given inputs")
    return unique


def _bool(v: str, where: str) -> bool | None:
    t = v.strip().lower()
    if t == "":
        return None
    if t in ("1", "true", "yes", "y"):
        return True
    if t in ("0", "false", "no", "n"):
        return False
    raise UsageError(f"{where}: mirrored must be true or false, got {v!r}")


def _choice(v: str, options: Sequence[str], what: str, where: str) -> str | None:
    t = v.strip().lower()
    if t == "":
        return None
    if t not in options:
        raise UsageError(f"{where}: {what} must be one of {', '.join(options)}, got {v!r}")
    return t


def read_clip_list(path: str | Path) -> list[ClipJob]:
    """Read a clip list: a CSV with a header row and the columns of :data:`LIST_COLUMNS` (only
    ``path`` required). Paths (clips and baselines) are relative to the CSV's folder.

    Raises:
        UsageError: no ``path`` column, an unknown column, or a value out of its choices, with
            the file and line.
    """
    import difflib

    p = Path(path)
    base = p.resolve().parent
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip().lower() for c in (reader.fieldnames or [])]
        for c in cols:
            if c not in LIST_COLUMNS:
                close = difflib.get_close_matches(c, LIST_COLUMNS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (columns: {', '.join(LIST_COLUMNS)})"
                raise UsageError(f"{p}: unknown column {c!r}{hint}")
        if "path" not in cols:
            raise UsageError(f"{p}: a clip list needs a 'path' column (columns: {', '.join(LIST_COLUMNS)})")
        jobs = []
        for row in reader:
            r = {k.strip().lower(): (v or "") for k, v in row.items() if k is not None}
            where = f"{p}:{reader.line_num}"
            if not r.get("path", "").strip():
                continue
            clip = Path(r["path"].strip()).expanduser()
            full = clip if clip.is_absolute() else base / clip
            bl = r.get("baseline", "").strip()
            jobs.append(ClipJob(
                path=Path(os.path.abspath(full)), video=str(clip),
                subject=r.get("subject", "").strip(),
                sex=_choice(r.get("sex", ""), ("female", "male"), "sex", where),
                exercise=_choice(r.get("exercise", ""), EXERCISES, "exercise", where),
                leg=_choice(r.get("leg", ""), ("left", "right", "both"), "leg", where),
                mirrored=_bool(r.get("mirrored", ""), where),
                baseline=Path(os.path.abspath(Path(bl) if Path(bl).is_absolute() else base / bl)) if bl else None,
            ))
    return jobs


def clip_config(config: Config, job: ClipJob) -> Config:
    """The configuration of one clip: the batch's, with the clip list's ``sex`` and ``mirrored``."""
    cfg = override(config, "thresholds", sex=job.sex)
    return override(cfg, "video", mirrored=job.mirrored)


def file_id(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def settings_hash(config: Config, job: ClipJob) -> str:
    """12 hex digits of SHA-256 over everything that changes a clip's result besides the input
    and the model: the effective configuration, the forced exercise and the baseline clip."""
    text = clip_config(config, job).to_toml()
    text += f"\n[clip]\nexercise = {job.exercise!r}\nbaseline = {file_id(job.baseline)!r}\n"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegValues:
    """One leg's complete reps of one exercise (``ClipResult.legs``), averaged."""

    exercise: str
    leg: str
    reps: int
    valgus_reps: int
    mean_fppa_deg: float | None
    mean_fppa_change_deg: float | None
    mean_knee_medial_offset: float | None


@dataclass(frozen=True)
class ClipOutcome:
    """What happened to one clip. ``skipped``: taken from an earlier run (not analysed again)."""

    video: str
    path: str
    name: str
    status: Status
    reason: str = ""
    subject: str = ""
    expected_leg: str = ""
    exercise: str = ""
    n_reps: int | None = None
    verdict: str = ""
    view: str = ""
    frames: int | None = None
    frames_with_person: int | None = None
    mean_visibility: float | None = None
    max_left_fppa_deg: float | None = None
    max_right_fppa_deg: float | None = None
    min_knee_ankle_sep_ratio: float | None = None
    left_right_fppa_diff_deg: float | None = None
    valgus_reps: str = ""  # e.g. "2l:mild 3r:marked" (rep number, leg, category)
    flags: str = ""  # assessed mild-or-worse flags per kind, e.g. "dynamic_knee_valgus:2"
    legs: tuple[LegValues, ...] = ()
    warnings: str = ""
    model: str = ""
    model_sha256: str = ""
    config_hash: str = ""
    valgus_version: str = __version__
    input_size: int | None = None
    input_mtime_ns: int | None = None
    seconds: float = 0.0
    run_id: str = ""
    worker: str = ""
    worker_peak_rss_mb: float | None = None
    finished_utc: str = ""
    outdir: str = field(default="", compare=False)  # the clip's folder ("" when none was written)
    skipped: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")

    @property
    def scored(self) -> bool:
        """True unless the clip failed (``cannot assess`` is a result)."""
        return self.status != "failed"

    def leg_totals(self, leg: str) -> dict[str, Any]:
        """Per leg over all its complete reps (all exercises): reps, valgus reps, mean FPPA."""
        xs = [x for x in self.legs if x.leg == leg]
        n = sum(x.reps for x in xs)

        def mean(key: str) -> float | None:
            vals = [(getattr(x, key), x.reps) for x in xs if getattr(x, key) is not None]
            w = sum(k for _, k in vals)
            return sum(v * k for v, k in vals) / w if w else None

        return {f"{leg}_reps": n if xs else None, f"{leg}_valgus_reps": sum(x.valgus_reps for x in xs) if xs else None,
                f"{leg}_mean_fppa_deg": mean("mean_fppa_deg"),
                f"{leg}_mean_fppa_change_deg": mean("mean_fppa_change_deg"),
                f"{leg}_mean_knee_medial_offset": mean("mean_knee_medial_offset")}

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("skipped")
        d.pop("outdir")
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ClipOutcome":
        names = {f.name for f in fields(cls)} - {"skipped", "outdir"}
        kw = {k: v for k, v in d.items() if k in names}
        kw["legs"] = tuple(LegValues(**x) for x in d.get("legs") or ())
        return cls(**kw)

    def to_row(self) -> dict[str, str]:
        """The flat ``summary.csv`` row (empty cell = not measured / not applicable)."""
        d = self.to_json()
        d.pop("legs")
        d.update(self.leg_totals("left"))
        d.update(self.leg_totals("right"))
        return {c: _cell(d.get(c)) for c in CSV_COLUMNS}


CSV_COLUMNS = [
    "video", "subject", "status", "reason", "exercise", "n_reps", "verdict", "view", "frames",
    "frames_with_person", "mean_visibility", "max_left_fppa_deg", "max_right_fppa_deg",
    "min_knee_ankle_sep_ratio", "left_right_fppa_diff_deg", "valgus_reps", "flags",
    *(f"{s}_{k}" for s in ("left", "right") for k in ("reps", "valgus_reps", "mean_fppa_deg",
                                                      "mean_fppa_change_deg", "mean_knee_medial_offset")),
    "expected_leg", "warnings", "name", "path", "model", "model_sha256", "config_hash", "valgus_version",
    "input_size", "input_mtime_ns", "seconds", "run_id", "worker", "worker_peak_rss_mb", "finished_utc",
]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1000 else f"{v:.1f}"
    return str(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 4) if f == f and abs(f) != float("inf") else None


def clip_result(analysis: Any) -> Any:
    """The scored clip (``ClipResult``) of an analysis, before and after the engine restructure."""
    return getattr(analysis, "result", None) or analysis.reps


def outcome_from_analysis(analysis: Any, job: ClipJob, **ids: Any) -> ClipOutcome:
    """The table row of an analysed clip (``ids``: model, hashes, input and run fields)."""
    from valgus.present.serialize import summary_dict
    from valgus.scoring.results import left_right_fppa

    s = summary_dict(analysis)
    r = clip_result(analysis)
    full = [x for x in r.reps if not x.partial]
    kinds: dict[str, int] = {}
    for rep in full:
        for f in rep.flags:
            if f.assessed and f.category in ("mild", "marked"):
                kinds[f.name] = kinds.get(f.name, 0) + 1
    diffs = [lf - rt for lf, rt in left_right_fppa(list(r.legs)).values()]
    warnings = list(s.get("warnings") or [])
    worked = {x.working_leg for x in full}
    if job.leg and full and job.leg not in worked and not (job.leg != "both" and "both" in worked):
        warnings.append(f"the clip list says the {job.leg} leg works; the reps found use {', '.join(sorted(worked))}")
    cannot = r.verdict == "cannot assess"
    return ClipOutcome(
        video=job.video, path=str(job.path), name=job.name, subject=job.subject, expected_leg=job.leg or "",
        status="cannot assess" if cannot else "ok", reason="; ".join(s["reasons"]) if cannot else "",
        exercise=r.exercise, n_reps=len(full), verdict=r.verdict, view=r.camera.view,
        frames=analysis.n_frames, frames_with_person=analysis.n_detected,
        mean_visibility=_num(s["mean_lower_body_visibility"]),
        max_left_fppa_deg=_num(s["peaks"]["left_fppa_deg"]), max_right_fppa_deg=_num(s["peaks"]["right_fppa_deg"]),
        min_knee_ankle_sep_ratio=_num(s["min_knee_ankle_sep_ratio"]),
        left_right_fppa_diff_deg=_num(max(diffs, key=abs)) if diffs else None,
        valgus_reps=" ".join(f"{x.number}{x.working_leg[0]}:{x.worst('dynamic_knee_valgus')}" for x in full
                             if x.worst("dynamic_knee_valgus") in ("mild", "marked")),
        flags=" ".join(f"{k}:{v}" for k, v in sorted(kinds.items())),
        legs=tuple(LegValues(x.exercise, x.leg, x.n_reps, x.valgus_reps, _num(x.fppa_deg),
                             _num(x.fppa_deg_change), _num(x.knee_medial_offset)) for x in r.legs),
        warnings="; ".join(warnings), **ids,
    )


def failed_outcome(job: ClipJob, reason: str, **ids: Any) -> ClipOutcome:
    """The row of a clip that could not be scored."""
    return ClipOutcome(video=job.video, path=str(job.path), name=job.name, subject=job.subject,
                       expected_leg=job.leg or "", status="failed", reason=reason, **ids)
