#!/usr/bin/env bash
# Set up (once), then analyse a bundled sample video (a rendered squat with knee valgus).
# Outputs go to valgus_out/demo; extra arguments are passed to `valgus analyze`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m valgus analyze sample_videos/squat_valgus.mp4 -o valgus_out/demo --force "$@"
