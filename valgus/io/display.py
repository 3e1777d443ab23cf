"""The only place with GUI calls (``cv2.imshow`` / ``waitKey``).

OpenCV is imported at module load, before anything imports PyAV: PyAV's wheel bundles a libxcb
under the same file name as OpenCV's, and when ``av`` is loaded first OpenCV's Qt plugin binds to
PyAV's copy and hangs in its first ``imshow`` (issue 11). Import this module first.

The window lives in its own thread: painting a 1280x720 frame (``imshow`` + ``waitKey``) took
about 10 ms on this project's 2-core machine (an X server without shared memory), a quarter of
the live loop's budget at 25 frames per second, and it now overlaps the next frame's pose model.
The newest frame wins: a frame handed over while the previous one is still waiting is replaced
(counted in :attr:`Display.replaced`). All of HighGUI's calls are made in that one thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import cv2
import numpy as np


class Display:
    """A window showing RGB frames, painted by its own thread.

    :meth:`show` hands a frame over (with ``meta``, any object, returned by :meth:`painted` with
    the time the frame was on screen) and returns the oldest key pressed since (or -1), None once
    the window was closed.
    """

    def __init__(self, title: str = "valgus live") -> None:
        self.title = title
        self._cond = threading.Condition()
        self._slot: tuple[np.ndarray, Any] | None = None
        self._keys: deque[int] = deque()
        self._painted: deque[tuple[Any, float]] = deque()
        self._closed = False
        self._stop = False
        self._error: BaseException | None = None
        self.replaced = 0
        ready = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(ready,), name="valgus-display", daemon=True)
        self._thread.start()
        ready.wait()
        if self._error is not None:
            raise self._error

    def _loop(self, ready: threading.Event) -> None:
        try:
            # the window takes the image's size (the caller fits it to the screen); no Qt toolbar
            cv2.namedWindow(self.title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        except BaseException as exc:  # handed to the constructor's thread
            self._error = exc
            ready.set()
            return
        ready.set()
        try:
            while True:
                with self._cond:
                    if self._slot is None and not self._stop:
                        self._cond.wait(0.02)  # keys and window events are polled meanwhile
                    if self._stop:
                        break
                    item, self._slot = self._slot, None
                if item is not None:
                    cv2.imshow(self.title, item[0])
                key = cv2.waitKey(1)
                if item is not None:
                    with self._cond:
                        self._painted.append((item[1], time.monotonic()))
                if key >= 0:
                    with self._cond:
                        self._keys.append(key & 0xFF)
                try:
                    visible = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) >= 1
                except cv2.error:
                    visible = False
                if not visible:
                    with self._cond:
                        self._closed = True
                    break
        finally:
            try:
                cv2.destroyAllWindows()
                cv2.waitKey(1)
            except cv2.error:
                pass

    def show(self, rgb: np.ndarray, meta: Any = None) -> int | None:
        """Hand ``rgb`` to the window (converted here: the caller may reuse its array)."""
        bgr = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR)
        with self._cond:
            if self._closed:
                return None
            if self._slot is not None:
                self.replaced += 1
            self._slot = (bgr, meta)
            self._cond.notify()
            return self._keys.popleft() if self._keys else -1

    def painted(self) -> list[tuple[Any, float]]:
        """``(meta, time.monotonic() when it was on screen)`` of the frames painted since the
        last call."""
        with self._cond:
            out = list(self._painted)
            self._painted.clear()
        return out

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=5.0)
