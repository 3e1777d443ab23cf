"""The only place with GUI calls (``cv2.imshow`` / ``waitKey``).

OpenCV is imported at module load, before anything imports PyAV: PyAV's wheel bundles a libxcb
under the same file name as OpenCV's, and when ``av`` is loaded first OpenCV's Qt plugin binds to
PyAV's copy and hangs in its first ``imshow`` (issue 11). Import this module first.
"""

from __future__ import annotations

import cv2
import numpy as np


class Display:
    """A window showing RGB frames; :meth:`show` returns the key pressed (or -1), None when the
    window was closed."""

    def __init__(self, title: str = "valgus live") -> None:
        self.title = title
        # the window takes the image's size (the caller fits it to the screen); no Qt toolbar
        cv2.namedWindow(self.title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)

    def show(self, rgb: np.ndarray) -> int | None:
        cv2.imshow(self.title, cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1)
        try:
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                return None
        except cv2.error:
            return None
        return key & 0xFF if key >= 0 else -1

    def close(self) -> None:
        cv2.destroyAllWindows()
