"""Everything ``analyze`` leaves in a clip's folder, written from one frozen :class:`Analysis`.

``frames.csv`` (per frame), ``reps.json`` (per rep, with the verdict), ``summary.json`` (per
clip), ``config.toml`` (the effective configuration), ``report.txt`` and ``report.html`` (for a
person) and ``annotated.mp4`` (the video with the overlay). ``analyze``, ``batch`` and ``live --record``
all call :func:`write_outputs`, so their files agree.
"""

from __future__ import annotations

import time
from pathlib import Path

from valgus.engine import Analysis
from valgus.io.sinks import write_frames_csv, write_json, write_landmarks, write_text_atomic
from valgus.present.html import write_report
from valgus.present.report import report_text
from valgus.present.serialize import clip_dict, summary_dict

#: annotated.mp4 at most this many pixels on the long side: a phone clip's H.264 encoder at
#: 1080x1920 alone took ~170 MB (10-minute 1080p clip: peak 615 -> ~500 MB) and 45 -> 29 ms CPU
#: per frame.
ANNOTATED_MAX_SIDE = 1280


def write_outputs(analysis: Analysis, outdir: str | Path, *, write_video: bool = True, progress: bool = False,
                  max_side: int = ANNOTATED_MAX_SIDE, landmarks: bool = False) -> Path:
    """Write every output of ``analysis`` into ``outdir`` (which must exist; see
    :func:`valgus.io.sinks.prepare_outdir`). ``landmarks``: also ``landmarks.npz`` (the pose
    model's output, to re-score or study the clip without the model). Returns ``outdir``."""
    out = Path(outdir)
    t0 = time.perf_counter()
    cfg = analysis.config
    write_frames_csv(dict(analysis.metrics), out / "frames.csv")
    write_json(clip_dict(analysis.result, cfg), out / "reps.json")
    write_text_atomic(cfg.to_toml(), out / "config.toml")
    write_text_atomic(report_text(analysis), out / "report.txt")
    if landmarks:
        write_landmarks(analysis.track_raw, analysis.track, analysis.info, out / "landmarks.npz",
                        analysis.frames_with_several_people)
    if write_video:
        from valgus.present.render_video import write_annotated

        write_annotated(analysis, out / "annotated.mp4", progress=progress, max_side=max_side)
    t1 = time.perf_counter()
    write_report(analysis, out / "report.html", video=out / "annotated.mp4" if write_video else None)
    timings = {**analysis.timings, "write_outputs": time.perf_counter() - t0, "report_html": time.perf_counter() - t1}
    write_json(summary_dict(analysis, timings), out / "summary.json")
    return out
