#!/usr/bin/env bash
# Set up (once, with the test tools), then run the whole test suite: unit tests, I/O tests, the
# real model on the sample videos, the renderer, the live window under Xvfb, the HTML report in
# headless Chromium, and the real clips in ../shared/clips when present.
# Fast unit tests only: bash scripts/test.sh -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/python -m pytest -q "$@"
