"""Spoken cues with an offline text-to-speech program, never blocking the frame loop.

Debian's ``espeak-ng`` (or the older ``espeak``) run as a child process: one utterance at a time;
a cue that arrives while one is being spoken waits, and only the newest waiting cue is kept (a
stale "left knee in" is worse than none). Why not PyPI's ``pyttsx3``: on Linux it drives the same
eSpeak library, but through a blocking ``runAndWait`` event loop that has to own a thread and
whose engine is not safe to share between threads; a child process gives the same voice, no
Python dependency, and nothing that can stall the frame loop.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence

log = logging.getLogger(__name__)

#: The programs tried, in order.
TTS_PROGRAMS = ("espeak-ng", "espeak")


class Speaker:
    """Say short cues aloud without waiting for them.

    Args:
        command: the program and its options (default: the first of :data:`TTS_PROGRAMS` on the
            PATH, at 165 words per minute); the text is appended as the last argument.

    :attr:`available` is False when no program was found; :meth:`say` then does nothing.
    """

    def __init__(self, command: Sequence[str] | None = None) -> None:
        if command is None:
            exe = next((p for p in (shutil.which(n) for n in TTS_PROGRAMS) if p), None)
            command = [exe, "-s", "165"] if exe else None
        self.command = list(command) if command else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._waiting: str | None = None
        self.spoken: list[str] = []  # what was handed to the program (tests, the session log)

    @property
    def available(self) -> bool:
        return self.command is not None

    @property
    def busy(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def say(self, text: str) -> None:
        """Speak ``text`` now, or after the current utterance (replacing any cue waiting)."""
        if not self.available or not text:
            return
        self._waiting = text
        self.poll()

    def poll(self) -> None:
        """Start the waiting cue if nothing is being spoken (call once per frame)."""
        if self._waiting is None or self.busy:
            return
        text, self._waiting = self._waiting, None
        try:
            self._proc = subprocess.Popen([*self.command, text], stdin=subprocess.DEVNULL,  # type: ignore[misc]
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.spoken.append(text)
        except OSError as exc:
            log.warning("spoken cues off: %s", exc)
            self.command = None

    def close(self, timeout: float = 3.0) -> None:
        """Let the current utterance finish (up to ``timeout`` seconds), then stop."""
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.terminate()
            self._proc.wait(timeout=1.0)
        self._proc = None


__all__ = ["Speaker", "TTS_PROGRAMS"]
