"""Batch execution: the worker side (one clip -> :class:`ClipOutcome`) and the runners that feed
workers and yield outcomes as clips finish: a local process pool or a ``dask.distributed`` cluster."""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from valgus.batch.jobs import (
    ClipJob, ClipOutcome, History, clip_config, clip_result, failed_outcome, file_id, outcome_from_analysis,
)
from valgus.batch.store import PARTIAL
from valgus.config import Config
from valgus.errors import NoPersonError, UsageError, ValgusError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipTask:
    """What a worker needs to score one clip (picklable: sent to worker processes and Dask)."""

    job: ClipJob
    config: Config
    root: Path | None  # the batch's output folder (None: no clip folders)
    write_video: bool
    allow_download: bool
    ids: Mapping[str, Any]  # model, model_sha256, config_hash, valgus_version, input_*, run_id
    threads_per_clip: int = 1
    history: History | None = None


_WORKER: dict[str, Any] = {}  # per worker process: readiness, the baseline cache


def _init_worker(config: Config | None = None, log_level: int = logging.WARNING, parent_pid: int | None = None,
                 quiet_native: bool = True, warm: bool = True) -> None:
    """Process-pool initializer: warm up once, ignore Ctrl-C (the parent stops the pool), exit
    when the parent dies (a SIGKILLed batch leaves no orphan), keep MediaPipe's native log lines
    off the terminal (Python logging still reaches it)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = logging.getLogger("valgus")
    if quiet_native and hasattr(os, "dup"):
        try:
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
            sys.stderr = io.TextIOWrapper(os.fdopen(saved, "wb", buffering=0), write_through=True)
        except OSError:
            pass
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(log_level)
    root.propagate = False
    if parent_pid is not None:
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True, name="valgus-parent-watch").start()
    if warm:
        _ensure_worker_ready(config)


def _ensure_worker_ready(config: Config | None = None, allow_download: bool = False) -> None:
    """Once per process: import the engine and open (then close) one pose estimator,
    which loads MediaPipe and its native libraries (about 1.6 s, once per worker, not per clip)."""
    if _WORKER.get("ready"):
        return
    _WORKER["ready"] = True
    _WORKER["baselines"] = {}
    _tune_malloc()
    from valgus.pose import limit_malloc_arenas

    limit_malloc_arenas()
    from valgus.engine import open_estimator

    try:
        open_estimator(config or Config(), allow_download=allow_download).close()
    except ValgusError as exc:  # reported by each clip instead
        log.debug("warm-up: %s", exc)


def _tune_malloc() -> None:
    """Let glibc keep freed frame buffers for reuse. A Dask nanny starts its workers with
    ``MALLOC_TRIM_THRESHOLD_=65536``, which also switches off glibc's adaptive mmap threshold: every
    1080x1920 frame buffer (6 MB) is then mmapped and unmapped afresh. Measured on a 72-frame phone
    clip: 3.4x the page faults and 1.2 s more system time (about 17 ms a frame); these two settings
    (the adaptive scheme's own ceiling: mmap above 32 MB, trim above 64 MB) bring it back below the
    default's. No-op outside glibc."""
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        libc.mallopt(m_mmap_threshold, 32 << 20)
        libc.mallopt(m_trim_threshold, 64 << 20)
    except (OSError, AttributeError):  # pragma: no cover
        pass


def _baseline_values(job: ClipJob, cfg: Config, allow_download: bool, threads: int) -> dict[str, float] | None:
    """The standing baseline measured on the job's calibration clip (cached per worker)."""
    if job.baseline is None:
        return None
    key = (file_id(job.baseline), cfg.to_toml())
    cache = _WORKER.setdefault("baselines", {})
    if key not in cache:  # by the same rules as a clip's own baseline (upright, feet down)
        cal = _analyze(job.baseline, cfg, exercise=None, baseline=None, allow_download=allow_download,
                       threads=threads)
        cache[key] = dict(clip_result(cal).baseline)
    return cache[key]


def _analyze(video: Path, cfg: Config, *, exercise: str | None, baseline: dict[str, float] | None,
             allow_download: bool, threads: int) -> Any:
    """One clip through the engine (the only call into it). ``threads``: the clip's share of the
    cores (``threads_per_clip``): segments analysed at once, and with 1 also one FFmpeg decoder
    thread, so that workers x threads stays within the cores."""
    import valgus

    return valgus.analyze_video(video, cfg, exercise=exercise, baseline=baseline, allow_download=allow_download,
                                progress=False, threads=threads, decode_threads=1 if threads == 1 else None)


def _write(analysis: Any, outdir: Path, *, write_video: bool) -> None:
    """A clip's folder (the only call into the sinks)."""
    import valgus

    outdir.mkdir(parents=True)
    valgus.write_outputs(analysis, outdir, write_video=write_video, progress=False)


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _finish_ids(task: ClipTask, t0: float) -> dict[str, Any]:
    return dict(task.ids, seconds=round(time.perf_counter() - t0, 2), worker=f"{socket.gethostname()}:{os.getpid()}",
                worker_peak_rss_mb=_peak_rss_mb(), finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def score_job(task: ClipTask) -> ClipOutcome:
    """Score one clip (in a worker process or a Dask task). Never raises for a clip's problem.

    With an output folder the clip's files go to ``<root>/.partial/<name>.<pid>.<random>``; the
    parent renames that folder into place (``SummaryStore.add``)."""
    t0 = time.perf_counter()
    _ensure_worker_ready(task.config, task.allow_download)
    job = task.job
    tmp, keep = None, False
    if task.root is not None:
        tmp = task.root / PARTIAL / f"{job.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        from valgus import __version__
        from valgus.io.video import probe

        wanted = task.ids.get("valgus_version")
        if wanted and wanted != __version__:  # a Dask worker with another installation
            raise ValgusError(f"this worker runs valgus {__version__}, the batch {wanted}: install the same version")
        probe(job.path)  # missing, not a video, unsupported codec, nothing decodable
        cfg = clip_config(task.config, job)
        base = _baseline_values(job, cfg, task.allow_download, task.threads_per_clip)
        a = _analyze(job.path, cfg, exercise=job.exercise, baseline=base, allow_download=task.allow_download,
                     threads=task.threads_per_clip)
        if tmp is not None:
            _write(a, tmp, write_video=task.write_video)
        if task.history is not None and task.history.subject:
            from valgus.io.history import record_clip  # never raises: one warning line

            h = task.history
            record_clip(a, job.subject or h.subject, path=h.path, date=h.date)
        out = outcome_from_analysis(a, job, **_finish_ids(task, t0))
        if tmp is not None:
            out = replace(out, outdir=str(tmp))
        log.debug("%s: %s in %.1f s", job.video, out.verdict, out.seconds)
        keep = True
        return out
    except NoPersonError as exc:  # a readable video without anybody: no verdict is possible
        return replace(failed_outcome(job, _reason(exc, job), **_finish_ids(task, t0)), status="cannot assess")
    except ValgusError as exc:
        return failed_outcome(job, _reason(exc, job), **_finish_ids(task, t0))
    except Exception as exc:  # one broken clip never ends the batch
        log.debug("%s: internal error", job.video, exc_info=True)
        return failed_outcome(job, f"internal error: {type(exc).__name__}: {exc}", **_finish_ids(task, t0))
    finally:
        if tmp is not None and not keep:
            shutil.rmtree(tmp, ignore_errors=True)  # never leave a half folder behind


def _reason(exc: BaseException, job: ClipJob) -> str:
    """The error's message without the clip's path in front (the row names the clip)."""
    msg = str(exc)
    for prefix in (f"{job.path}: ", f"{job.video}: "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    return msg


# ------------------------------------------------------------------------------------------------
# Runners: a local process pool or a Dask cluster; both yield outcomes as clips finish
# ------------------------------------------------------------------------------------------------


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def run_local(tasks: list[ClipTask], workers: int, *, fn: Callable[[ClipTask], ClipOutcome] = score_job,
              warm: bool = True) -> Iterator[ClipOutcome]:
    """A pool of ``workers`` spawned processes, each scoring one clip at a time and keeping its
    imports warm. A worker that dies (a native crash on a bad file) breaks the pool: the clips in
    flight are then re-run one at a time in a new pool, so only the clip that kills its worker
    again is marked failed. ``fn`` and ``warm`` (warm-up in each new worker) are for tests."""
    import multiprocessing as mp

    level = logging.getLogger("valgus").getEffectiveLevel()
    quiet_native = level > logging.DEBUG and os.environ.get("GLOG_minloglevel") != "0"

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                   initargs=(tasks[0].config if tasks else None, max(level, logging.WARNING), os.getpid(),
                                             quiet_native, warm))

    pending = deque(tasks)
    suspects: deque[ClipTask] = deque()
    inflight: dict[Future[ClipOutcome], ClipTask] = {}
    pool = new_pool()
    try:
        while pending or suspects or inflight:
            while True:
                if suspects:
                    if inflight:
                        break
                    t = suspects.popleft()
                elif pending and len(inflight) < workers:
                    t = pending.popleft()
                else:
                    break
                inflight[pool.submit(fn, t)] = t
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            broken: list[ClipTask] = []
            for f in done:
                t = inflight.pop(f)
                try:
                    yield f.result()
                except BrokenProcessPool:
                    broken.append(t)
                except Exception as exc:  # pickling trouble and the like: that clip only
                    yield failed_outcome(t.job, f"internal error: {type(exc).__name__}: {exc}", **t.ids)
            if broken:
                broken += list(inflight.values())  # every other future of a broken pool fails too
                inflight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = new_pool()
                if len(broken) == 1:
                    yield failed_outcome(broken[0].job, "the worker process died while analysing this clip", **broken[0].ids)
                else:
                    log.warning("a worker process died; re-running the %d clips it may have been on one at a time",
                                len(broken))
                    suspects.extend(broken)
    finally:
        _stop_pool(pool)


def run_inline(tasks: list[ClipTask]) -> Iterator[ClipOutcome]:
    """Every clip in this process, one after another (``workers=0``: debugging, tests)."""
    for t in tasks:
        yield score_job(t)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for clips in progress (Ctrl-C, or the caller stopped
    reading): the worker processes this pool started are terminated."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _dask_client(scheduler: str, workers: int) -> tuple[Any, Any]:
    """A ``distributed.Client`` for ``ADDRESS`` or ``local[:N]`` (a local cluster of N
    one-thread worker processes, closed with the client)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("--scheduler needs Dask: pip install 'valgus[dask]'") from exc
    cluster = None
    try:
        if scheduler == "local" or scheduler.startswith("local:"):
            n = int(scheduler.partition(":")[2] or workers)
            if n < 1:
                raise UsageError(f"--scheduler local:N needs N >= 1, got {n}")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            return Client(cluster), cluster
        return Client(scheduler, timeout="15s"), None
    except ValueError as exc:
        raise UsageError(f"--scheduler: {scheduler!r} is not local:N or a scheduler address ({exc})") from exc
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ValgusError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc


def run_dask(tasks: list[ClipTask], scheduler: str, workers: int) -> Iterator[ClipOutcome]:
    """One Dask task per clip on a ``dask.distributed`` cluster; outcomes as they complete.
    Workers import valgus themselves (it must be installed there) and keep it warm between tasks;
    with an output folder, that folder must be on a file system the workers share."""
    from distributed import as_completed

    client, cluster = _dask_client(scheduler, workers)
    try:
        futs = {client.submit(score_job, t, key=f"valgus-{t.ids['run_id']}-{t.job.name}", pure=False): t
                for t in tasks}
        for fut in as_completed(list(futs)):
            t = futs.pop(fut)
            try:
                yield fut.result()
            except Exception as exc:  # KilledWorker (the clip killed its worker 3 times), lost connection
                yield failed_outcome(t.job, f"Dask task failed: {type(exc).__name__}: {exc}", **t.ids)
    finally:
        for fut in list(futs):
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()


