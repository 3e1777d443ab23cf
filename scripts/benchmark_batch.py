#!/usr/bin/env python3
"""Thin entry point: see :mod:`valgus_tools.bench.batch` (installed by ``bash scripts/setup.sh --dev``)."""

import sys

from valgus_tools.bench.batch import main

if __name__ == "__main__":
    sys.exit(main())
