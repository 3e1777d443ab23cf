#!/usr/bin/env bash
# Set up, then analyse a bundled sample video (rendered squat with knee valgus).
set -euo pipefail
cd "$(dirname "$0")/.."
VALGUS_EXTRAS=${VALGUS_EXTRAS:-test} bash scripts/setup.sh
python3 -m valgus analyze sample_videos/squat_valgus.mp4 -o valgus_out/demo --force "$@"
