#!/usr/bin/env bash
# Set up, then run the test suite (fast unit tests, I/O tests, the real model on sample videos,
# and the real clips in ../shared/clips when present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 -m pytest -q "$@"
