#!/usr/bin/env bash
# Set up (once, with the test tools), then run the whole test suite: unit tests, I/O tests, the
# real model on the sample videos, the renderer, the live window under Xvfb, the HTML report in
# headless Chromium, and the real clips in ../shared/clips when present.
# Only the fast tests: .venv/bin/python -m pytest   (unit and I/O, a few seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/python -m pytest -q -m "slow or not slow" "$@"
