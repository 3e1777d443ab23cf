"""Many clips at once: inputs -> clip jobs -> worker processes (or a Dask cluster) -> one table.

Library use::

    from valgus.batch import score_clips

    for clip in score_clips(["study/", "extra.mp4"], workers=2, outdir="results"):
        print(clip.video, clip.status, clip.verdict)   # as each clip finishes

What this module guarantees (docs/batch.md says it for users):

* **One bad clip never stops the batch.** Every clip ends as a :class:`ClipOutcome` with status
  ``ok``, ``cannot assess`` (analysed, but the view, the motion or the lack of a person does not
  allow a verdict) or ``failed`` (missing, not a video, corrupt, unsupported codec, a worker
  that died while analysing it, ...), with the reason.
* **Written as each clip finishes, atomically.** A clip's folder is written under
  ``<outdir>/.partial/`` and renamed into place when complete; its row is then appended to
  ``summary.jsonl`` with one ``write`` + ``fsync`` and ``summary.csv`` is rewritten through a
  temporary file and ``os.replace``. A SIGKILL at any moment loses no finished clip; a torn last
  line of ``summary.jsonl`` (a row that was being written) is dropped on the next run.
* **Resumable.** A re-run skips clips already scored from the same input (size and mtime), model
  file (SHA-256), configuration (hash of the effective settings) and valgus version, and refuses
  (``BatchMismatchError``) to mix results of another configuration unless ``force``.

Workers are processes (``spawn``), each keeping MediaPipe and OpenCV imported and the model
resolved across clips. Each clip gets a fresh PoseLandmarker: VIDEO mode needs strictly increasing
timestamps per landmarker and carries tracking state from frame to frame, so reusing one across
clips would change results; opening one costs about 0.25 s in a warm worker, against about 1.6 s
before the first frame in a fresh process (imports 1.3 s, first landmarker 0.3 s; idle 2-core machine).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from valgus import __version__
from valgus.batch.jobs import (
    CSV_COLUMNS, EXERCISES, LIST_COLUMNS, VIDEO_EXTS, ClipJob, ClipOutcome, History, LegValues, expand_inputs,
    read_clip_list, settings_hash,
)
from valgus.batch.store import SummaryStore, read_rows
from valgus.batch.workers import ClipTask, default_workers, run_dask, run_inline, run_local
from valgus.config import Config
from valgus.errors import OutputExistsError, UsageError

log = logging.getLogger(__name__)

#: exit code of ``valgus batch`` when at least one clip failed (the others are in the table)
EXIT_SOME_FAILED = 4

__all__ = [
    "CSV_COLUMNS", "EXERCISES", "EXIT_SOME_FAILED", "LIST_COLUMNS", "VIDEO_EXTS", "BatchMismatchError", "ClipJob",
    "ClipOutcome", "History", "LegValues", "SummaryStore", "default_workers", "exit_code", "expand_inputs",
    "read_clip_list", "read_rows", "score_clips",
]


class BatchMismatchError(OutputExistsError):
    """The output folder holds results of another configuration, model or valgus version."""


def _assign_names(jobs: list[ClipJob], previous: Mapping[str, ClipOutcome], *,
                  occupied: Iterable[str] = ()) -> list[ClipJob]:
    """Clip folder names: the file's stem, with a short hash of its path when two clips share a
    stem; a clip keeps the name an earlier run gave it; no name of another earlier clip, nor of a
    folder in the output folder that no earlier row claims (``occupied``), is given out."""
    reserved = {r.name: p for p, r in previous.items()}
    reserved.update({n: "" for n in occupied if n not in reserved})
    used: set[str] = set()
    stems: dict[str, int] = {}
    for j in jobs:
        stems[j.path.stem] = stems.get(j.path.stem, 0) + 1
    out = []
    for j in jobs:
        key = str(j.path)
        prev = previous.get(key)
        stem = j.path.stem.lstrip(".") or "clip"  # never a hidden folder (.partial is ours)
        name = prev.name if prev is not None and prev.name else stem
        if stems[j.path.stem] > 1 and prev is None:
            name = f"{stem}_{hashlib.sha1(key.encode()).hexdigest()[:6]}"
        while name in used or reserved.get(name, key) != key:
            name = f"{name}_{hashlib.sha1((name + key).encode()).hexdigest()[:4]}"
        used.add(name)
        out.append(replace(j, name=name))
    return out


def _input_stat(path: Path) -> tuple[int | None, int | None]:
    try:
        st = path.stat()
    except OSError:
        return None, None
    return st.st_size, st.st_mtime_ns


def _model_identity(config: Config, allow_download: bool) -> tuple[str, str]:
    from valgus.io.models import file_sha256, resolve_model

    path = resolve_model(config.pose.model, allow_download=allow_download)
    return str(config.pose.model or "full"), file_sha256(path)[:16]


def score_clips(
    paths: Iterable[str | os.PathLike[str] | ClipJob],
    *,
    workers: int | None = None,
    config: Config | None = None,
    outdir: str | Path | None = None,
    force: bool = False,
    write_video: bool = False,
    scheduler: str | None = None,
    threads_per_clip: int | None = None,
    exercise: str | None = None,
    baseline: str | Path | None = None,
    allow_download: bool = False,
    progress: bool = False,
    history: History | None = None,
) -> Iterator[ClipOutcome]:
    """Score many clips in parallel, yielding a :class:`ClipOutcome` as each clip finishes.

    Args:
        paths: video files, folders (searched recursively), glob patterns, clip lists (``.csv``,
            see :func:`read_clip_list`) or :class:`ClipJob` objects.
        workers: worker processes on this machine (default: the cores; 0: one clip after another
            in this process, for debugging); with ``scheduler`` only the size of a ``"local"``
            cluster given without N.
        config: settings for every clip (default ``Config()``); a clip list's ``sex`` and
            ``mirrored`` override it per clip.
        outdir: write each clip's folder, ``summary.csv`` and ``summary.jsonl`` here, and resume:
            clips already scored there with the same input, model, configuration and valgus
            version are yielded first with ``skipped=True`` and not analysed again.
            ``None``: nothing is written.
        force: analyse every clip again, and accept that ``outdir`` holds results of another
            configuration (their rows are replaced as the clips are redone).
        write_video: also write each clip's annotated video.
        scheduler: ``"local:N"`` (a local Dask cluster of N processes) or the address of a running
            ``dask.distributed`` scheduler: one task per clip (needs ``valgus[dask]``).
        threads_per_clip: threads one clip may use: the engine's segment threads (default: cores
            // workers, at least 1, so that workers x threads does not exceed the cores; 1 with
            ``scheduler``).
        exercise, baseline: force the exercise / use a standing calibration clip for every clip
            that the clip list does not give one for.
        allow_download: allow fetching a named model that is not bundled.
        progress: a progress bar on stderr.
        history: store each scored clip in a subject's history (see :class:`History`).

    Raises (when iteration starts; nothing is analysed then):
        UsageError: no clips in the inputs, a malformed clip list.
        BatchMismatchError: ``outdir`` holds results of another configuration, model or version.
        ModelError: the pose model cannot be resolved.
        ValgusError: ``outdir`` cannot be created or another batch is writing to it.

    Example::

        >>> from valgus.batch import score_clips
        >>> for clip in score_clips(["sample_videos"], workers=2, outdir="results"):  # doctest: +SKIP
        ...     print(clip.name, clip.status, clip.verdict, clip.n_reps)
        squat_good ok no valgus 3
        ...

    Stop early by breaking out of the loop (or ``close()`` on the iterator): clips in progress
    are abandoned and the worker processes stopped; finished clips stay in ``outdir``.
    """
    cfg = config or Config()
    n = workers if workers is not None else default_workers()
    if n < 0 or (threads_per_clip is not None and threads_per_clip < 1):
        raise UsageError(f"workers must be 0 (in this process) or more and threads per clip 1 or more, "
                         f"got {n} and {threads_per_clip}")
    if scheduler is not None and (scheduler == "local" or scheduler.startswith("local:")):
        if not scheduler.partition(":")[2].isdigit() and scheduler != "local":
            raise UsageError(f"--scheduler local:N needs a whole number N >= 1, got {scheduler!r}")
    given = list(paths)
    jobs = [p for p in given if isinstance(p, ClipJob)]
    rest = [p for p in given if not isinstance(p, ClipJob)]
    if rest:
        jobs += expand_inputs(rest, exclude=outdir)
    if not jobs:
        raise UsageError("no video files found in the given inputs")
    if exercise is not None and exercise not in EXERCISES:
        raise UsageError(f"exercise must be one of {', '.join(EXERCISES)}, got {exercise!r}")
    bl = Path(os.path.abspath(baseline)) if baseline is not None else None
    jobs = [replace(j, exercise=j.exercise or exercise, baseline=j.baseline or bl) for j in jobs]
    model, model_sha = _model_identity(cfg, allow_download)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
    store = SummaryStore(outdir, force=force).open() if outdir is not None else None
    try:
        previous = store.rows if store is not None else {}
        on_disk = [p.name for p in store.root.iterdir() if p.is_dir()] if store is not None else []
        jobs = _assign_names(jobs, previous, occupied=on_disk)
        root = store.root if store is not None else None
        todo, skipped = _plan(jobs, previous, root, cfg, model, model_sha, run_id, force)
        n = min(n, max(1, len(todo))) if n else 0
        # a cluster's workers are one-thread processes (docs/batch.md); here: share the cores
        tpc = threads_per_clip or (1 if scheduler else max(1, default_workers() // max(n, 1)))
        tasks = [ClipTask(j, cfg, root, write_video, allow_download, ids, tpc, history) for j, ids in todo]
        log.info("clips: %d, to analyse: %d, already scored in %s: %d", len(jobs), len(tasks),
                 outdir if outdir is not None else "-", len(skipped))
        yield from skipped
        if tasks:
            yield from _run(tasks, store, scheduler, n, run_id, progress, len(jobs), len(skipped))
    finally:
        if store is not None:
            store.close()


def _run(tasks: list[ClipTask], store: SummaryStore | None, scheduler: str | None, workers: int, run_id: str,
         progress: bool, total: int, done: int) -> Iterator[ClipOutcome]:
    """Feed the runner, file each outcome (folder, journal, table), show progress."""
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    counts = {"ok": 0, "cannot assess": 0, "failed": 0}
    with contextlib.ExitStack() as stack:
        bar = stack.enter_context(tqdm(total=total, initial=done, unit="clip", desc="batch", disable=not progress,
                                       dynamic_ncols=True))
        if progress:  # log lines above the bar, not through it
            stack.enter_context(logging_redirect_tqdm(loggers=[logging.getLogger("valgus")]))
        runner = (run_dask(tasks, scheduler, workers or default_workers()) if scheduler
                  else run_local(tasks, workers) if workers else run_inline(tasks))
        stack.callback(runner.close)
        for o in runner:
            if store is not None:
                o = store.add(o)
            counts[o.status] += 1
            bar.update(1)
            if o.status == "failed":
                log.debug("failed: %s: %s", o.video, o.reason)
            yield o
    log.info("run %s: clips analysed: %d (%d ok, %d cannot assess, %d failed)", run_id, sum(counts.values()),
             counts["ok"], counts["cannot assess"], counts["failed"])


def _plan(jobs: list[ClipJob], previous: Mapping[str, ClipOutcome], root: Path | None, cfg: Config, model: str,
          model_sha: str, run_id: str, force: bool) -> tuple[list[tuple[ClipJob, dict[str, Any]]], list[ClipOutcome]]:
    """Which clips to analyse (with their identity fields) and which earlier rows stand."""
    todo, skipped, mismatched = [], [], []
    for j in jobs:
        size, mtime = _input_stat(j.path)
        ids = dict(model=model, model_sha256=model_sha, config_hash=settings_hash(cfg, j), valgus_version=__version__,
                   input_size=size, input_mtime_ns=mtime, run_id=run_id)
        prev = previous.get(str(j.path))
        if prev is not None and prev.scored and not force:
            same = (prev.model_sha256, prev.config_hash, prev.valgus_version) == (model_sha, ids["config_hash"], __version__)
            if not same:
                mismatched.append((j, prev, ids))
                continue
            folder = root / prev.name if root is not None else None
            has_folder = folder is not None and folder.is_dir()
            # an analysed clip's folder must still be there (no person found: no folder was written)
            intact = prev.name == j.name and (has_folder or prev.frames is None)
            if (prev.input_size, prev.input_mtime_ns) == (size, mtime) and intact:
                skipped.append(replace(prev, skipped=True, outdir=str(folder) if has_folder else ""))
                continue
            log.info("%s: the input changed since it was scored; analysing it again", j.video)
        todo.append((j, ids))
    if mismatched:
        j, prev, ids = mismatched[0]
        what = ("configuration" if prev.config_hash != ids["config_hash"] else
                "model" if prev.model_sha256 != model_sha else "valgus version")
        raise BatchMismatchError(
            f"{len(mismatched)} clip(s) in this folder were scored with another {what} (e.g. {j.video}); "
            "pass --force to redo them, or choose another -o")
    return todo, skipped


def exit_code(outcomes: Iterable[ClipOutcome]) -> int:
    """``valgus batch``'s exit code: 0 when every clip was scored (``cannot assess`` included),
    :data:`EXIT_SOME_FAILED` when at least one failed."""
    return EXIT_SOME_FAILED if any(not o.scored for o in outcomes) else 0
