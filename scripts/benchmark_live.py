#!/usr/bin/env python3
"""Thin entry point: see :mod:`valgus_tools.bench.live` (installed by ``bash scripts/setup.sh``)."""

import sys

from valgus_tools.bench.live import main

if __name__ == "__main__":
    sys.exit(main())
