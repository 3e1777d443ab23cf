"""The ``valgus`` command (see :mod:`valgus.cli.main`)."""

from valgus.cli.main import main

__all__ = ["main"]
