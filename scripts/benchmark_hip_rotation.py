#!/usr/bin/env python3
"""Thin entry point: see :mod:`valgus_tools.bench.hip_rotation` (installed by ``bash scripts/setup.sh``)."""

import sys

from valgus_tools.bench.hip_rotation import main

if __name__ == "__main__":
    sys.exit(main())
