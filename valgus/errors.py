"""Error hierarchy: every error a user can cause has a one-line message and an exit code.

Exit codes (documented in the README):

====  =====================================================================
0     success
1     analysis failed (bad input video, no person, model problem, ...)
2     usage error (bad flags, bad config file)
3     output folder exists (pass ``--force`` to overwrite)
====  =====================================================================
"""

from __future__ import annotations


class ValgusError(Exception):
    """Base class; `exit_code` is what the CLI returns."""

    exit_code = 1


class UsageError(ValgusError):
    """Bad command-line arguments or configuration values."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration file or value is invalid."""


class VideoError(ValgusError):
    """The input cannot be opened or decoded as a video."""


class CameraError(VideoError):
    """A live camera cannot be opened or stopped delivering frames."""


class ModelError(ValgusError):
    """The pose model cannot be found, fetched or loaded."""


class NoPersonError(ValgusError):
    """No person was detected in any frame of the input."""


class OutputExistsError(ValgusError):
    """Refusing to overwrite existing results without ``--force``."""

    exit_code = 3
