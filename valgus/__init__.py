"""valgus: rep-by-rep dynamic knee valgus and hip-weakness screening from one camera.

Public API (imported lazily, so ``import valgus`` stays cheap)::

    import valgus
    a = valgus.analyze_video("squat.mp4")          # -> valgus.Analysis (frozen)
    a.result.verdict, a.result.reps                  # -> valgus.ClipResult, [valgus.RepScore]
    valgus.write_outputs(a, "out/")                  # frames.csv, reps.json, summary.json, report
    for clip in valgus.score_clips(["clips/"], workers=2, outdir="results"):  # many clips, in parallel
        clip.status, clip.verdict                      # -> valgus.ClipOutcome, as each clip finishes
"""

from __future__ import annotations

import os

# valgus runs its own threads (a pose model per core, decoders, the live capture); OpenBLAS's
# worker threads then spin against them: on this project's 2-core machine one 64x64 matrix
# product took ~15 ms instead of ~0.05 ms while the pose model ran. NumPy reads this when it is
# first imported (set it yourself before importing NumPy to keep BLAS threads in a program that
# imports NumPy before valgus).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from importlib import import_module  # noqa: E402
from typing import Any  # noqa: E402

#: the one place the version is written (pyproject.toml reads it from here); a constant, not
#: importlib.metadata, which took ~40 ms of every command's start-up
__version__ = "0.1.0"

#: public name -> module that defines it
_API = {
    "analyze_video": "valgus.engine",
    "Analysis": "valgus.engine",
    "ClipResult": "valgus.scoring",
    "RepScore": "valgus.scoring",
    "Flag": "valgus.scoring",
    "Config": "valgus.config",
    "load_config": "valgus.config",
    "write_outputs": "valgus.present.outputs",
    "score_clips": "valgus.batch",
    "ClipOutcome": "valgus.batch",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'valgus' has no attribute {name!r}")
