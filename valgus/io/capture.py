"""Capture in its own thread: the newest frame wins.

A camera delivers frames at its own rate whether or not the model keeps up. :class:`Capture`
reads them in a background thread and keeps only the newest one: when the consumer (pose model,
drawing, display) is slower than the camera, the frames it never took are *dropped* and counted,
so the picture shown is never more than one frame behind the camera (the latency stays flat
instead of growing for ever, as in a single-thread loop that reads every frame).

Each frame carries its capture time (``time.monotonic()`` when the frame arrived, or for a paced
replay when it was due), so the driver can measure capture-to-display latency per frame.

Three ways of feeding it (see :class:`Capture`):

- a camera or stream (``paced=False, lossless=False``): frames come at the device's rate; the
  newest wins;
- a file replayed ``--realtime`` (``paced=True``): frame ``i`` is released at its media time
  after the start, like a camera; the newest wins;
- a file replayed as fast as it is consumed (``lossless=True``): nothing is dropped, every frame
  is analysed, so the session gives the same reps as ``analyze``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from valgus.errors import CameraError
from valgus.io.video import Frame

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class Captured:
    """One captured frame: ``seq`` counts frames read from the source (dropped ones included),
    ``t_capture`` is the monotonic clock when it arrived (or was due, for a paced replay)."""

    frame: Frame
    seq: int
    t_capture: float


@dataclass
class CaptureStats:
    """Frames read from the source, taken by the consumer and dropped (never taken)."""

    read: int = 0
    taken: int = 0
    dropped: int = 0


class LatestSlot:
    """A one-item mailbox: :meth:`put` replaces an item not yet taken (counting it as dropped);
    :meth:`take` waits for the next item. Thread-safe; a ``lossless`` slot makes :meth:`put`
    wait until the previous item was taken instead of replacing it."""

    def __init__(self, *, lossless: bool = False) -> None:
        self.lossless = lossless
        self.stats = CaptureStats()
        self._item: Captured | None = None
        self._closed = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()

    def put(self, item: Captured, stop: threading.Event | None = None) -> bool:
        """Offer ``item``; returns False if the slot was closed (or ``stop`` set) meanwhile."""
        with self._cond:
            if self.lossless:
                while self._item is not None and not self._closed and not (stop and stop.is_set()):
                    self._cond.wait(0.05)
            if self._closed or (stop is not None and stop.is_set()):
                return False
            self.stats.read += 1
            if self._item is not None:
                self.stats.dropped += 1
            self._item = item
            self._cond.notify_all()
            return True

    def close(self, error: BaseException | None = None) -> None:
        """No more items (``error``: why, re-raised by :meth:`take` once the slot is empty)."""
        with self._cond:
            self._closed = True
            self._error = error
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> Captured | None:
        """The newest item, waiting for one; None at the end (or after ``timeout`` seconds).

        Raises:
            the error the producer closed the slot with, once every item before it was taken.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._item is None and not self._closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left if left is not None else 0.1)
            if self._item is not None:
                item, self._item = self._item, None
                self.stats.taken += 1
                self._cond.notify_all()
                return item
            if self._error is not None:
                err, self._error = self._error, None
                raise err
            return None

    @property
    def closed(self) -> bool:
        return self._closed and self._item is None


class Capture:
    """Read ``frames`` in a background thread; iterate to get the newest frame each time.

    Args:
        frames: the source's frames (a camera's, or a file's decoded on media time).
        paced: release frame ``i`` at ``frame.t - first.t`` seconds after the start (a file
            replayed at its frame rate, like a camera).
        lossless: never drop (the consumer sets the pace; for a file read as fast as analysed).
        clock, sleep: the monotonic clock and the sleep function (tests pass fakes).

    Iterating yields :class:`Captured` items until the source ends; an error in the source
    (e.g. a :class:`~valgus.errors.CameraError` when a camera is unplugged) is raised in the
    consumer after the frames before it. :attr:`stats` counts frames read, taken and dropped.
    Use as a context manager (or call :meth:`close`).
    """

    def __init__(self, frames: Iterable[Frame], *, paced: bool = False, lossless: bool = False,
                 clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if paced and lossless:
            raise ValueError("a capture is either paced (newest wins) or lossless, not both")
        self._frames = frames
        self.paced, self.clock, self._sleep = paced, clock, sleep
        self.slot = LatestSlot(lossless=lossless)
        self.clock_start: float | None = None  # the clock at media time 0 (the first frame)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stats(self) -> CaptureStats:
        return self.slot.stats

    def run(self) -> None:
        """The producer loop (runs in the capture thread; tests may call it directly)."""
        err: BaseException | None = None
        try:
            t0: float | None = None
            m0 = 0.0
            for seq, fr in enumerate(self._frames):
                if self._stop.is_set():
                    break
                if self.paced:
                    if t0 is None:
                        t0, m0 = self.clock(), fr.t
                    due = t0 + (fr.t - m0)
                    wait = due - self.clock()
                    if wait > 0:
                        self._sleep(wait)
                    t_cap = due
                else:
                    t_cap = self.clock()
                if self.clock_start is None:
                    self.clock_start = t_cap - fr.t
                if not self.slot.put(Captured(fr, seq, t_cap), self._stop):
                    break
        except BaseException as exc:  # handed to the consumer (CameraError, VideoError, ...)
            err = exc
        finally:
            self.slot.close(err)

    def start(self) -> "Capture":
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="valgus-capture", daemon=True)
            self._thread.start()
        return self

    def __iter__(self) -> Iterator[Captured]:
        self.start()
        while True:
            item = self.slot.take()
            if item is None:
                return
            yield item

    def close(self) -> None:
        """Stop the capture thread (frames not taken are counted as dropped only if read)."""
        self._stop.set()
        self.slot.close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            if self._thread.is_alive():  # a camera read blocking in the driver: leave it (daemon)
                log.debug("capture thread still blocked in the source after close")
            self._thread = None

    def __enter__(self) -> "Capture":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class FrameMeter:
    """Per-frame timing of a live session: when each frame was shown (wall clock), its
    capture-to-display latency and the work it cost (model, drawing, display), in seconds.

    :meth:`rates` gives the corner's numbers (over the last ``window_s`` seconds);
    :meth:`summary` the session's (median and 95th percentile latency, cost per minute).
    """

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self.shown: list[float] = []
        self.latency: list[float] = []
        self.cost: list[float] = []

    def add(self, shown: float, latency: float, cost: float) -> None:
        self.shown.append(shown)
        self.latency.append(latency)
        self.cost.append(cost)

    def rates(self) -> tuple[float, float]:
        """(frames per second, median latency in ms) over the last ``window_s`` seconds."""
        if len(self.shown) < 2:
            return float("nan"), (1000 * self.latency[-1] if self.latency else float("nan"))
        t = np.asarray(self.shown[-120:])
        k = int(np.searchsorted(t, t[-1] - self.window_s))
        n = len(t) - k
        span = t[-1] - t[k]
        fps = (n - 1) / span if n > 1 and span > 0 else float("nan")
        return fps, 1000 * float(np.median(self.latency[-n:]))

    def summary(self, stats: CaptureStats | None = None) -> dict[str, object]:
        """The session's numbers (ms; per-minute mean cost; frames read, shown and dropped)."""
        shown = np.asarray(self.shown)
        lat = 1000 * np.asarray(self.latency)
        cost = 1000 * np.asarray(self.cost)
        out: dict[str, object] = {"frames_shown": int(shown.size)}
        if shown.size >= 2:
            span = float(shown[-1] - shown[0])
            out["wall_s"] = span
            out["fps_shown"] = (shown.size - 1) / span if span > 0 else None
            out["latency_ms"] = {"median": float(np.median(lat)), "p95": float(np.percentile(lat, 95)),
                                 "max": float(lat.max())}
            out["cost_ms"] = {"median": float(np.median(cost)), "mean": float(cost.mean())}
            minute = ((shown - shown[0]) // 60).astype(int)
            out["cost_ms_per_minute"] = [float(cost[minute == m].mean()) for m in range(int(minute.max()) + 1)
                                         if (minute == m).any()]
        if stats is not None:
            out.update(frames_read=stats.read, frames_taken=stats.taken, frames_dropped=stats.dropped)
        return out


__all__ = ["Capture", "CaptureStats", "Captured", "CameraError", "FrameMeter", "LatestSlot"]
