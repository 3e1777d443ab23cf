#!/usr/bin/env bash
# One-time set-up on a fresh machine: system libraries (when we can install them) and the package.
# Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# System libraries: OpenCV's GUI wheel needs libGL/glib; the optional renderer (tests of the
# ground-truth generator) needs EGL with Mesa's software rasteriser.
APT_PKGS="libgl1 libglib2.0-0 libegl1 libegl-mesa0 libgl1-mesa-dri"
if command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "installing system packages:$missing"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing >/dev/null \
      || echo "warning: could not install$missing (renderer tests will be skipped)"
  fi
fi

EXTRAS=${VALGUS_EXTRAS:-test,synth}
"$PY" -m pip install -q --disable-pip-version-check -e ".[${EXTRAS}]"
echo "valgus installed: $("$PY" -m valgus --version)"
