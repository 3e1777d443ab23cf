#!/usr/bin/env bash
# One-time set-up on a fresh machine; idempotent, safe to run again.
#
# Creates a project virtual environment (.venv, ignored by git) with whatever `python3` is first on
# PATH (a distribution Python under PEP 668, pyenv or conda alike) and installs valgus into it in
# editable mode. With --dev it also installs the maintainer tools (renderer, benchmarks) and the
# system packages the tests use (a virtual screen for the live window test, Chromium for the
# report test, EGL for the renderer).
#   bash scripts/setup.sh         # to analyse videos
#   bash scripts/setup.sh --dev   # to run the tests and benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VALGUS_VENV:-.venv}
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

# OpenCV's wheel needs libGL and glib; a Debian/Ubuntu Python needs python3-venv for `-m venv`.
APT_PKGS="libgl1 libglib2.0-0"
if ! "$PY" -c "import ensurepip, venv" >/dev/null 2>&1; then
  APT_PKGS="$APT_PKGS python3-venv"
fi
if [ "$DEV" = 1 ]; then
  # renderer (EGL + Mesa), live window test (Xvfb, xwd, ImageMagick), report test (Chromium)
  APT_PKGS="$APT_PKGS libegl1 libegl-mesa0 libgl1-mesa-dri xvfb x11-apps imagemagick chromium"
fi
if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
  missing=""
  for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "installing system packages:$missing"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null; } \
      || echo "warning: could not install$missing (tests that need them will be skipped with the reason)"
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating the virtual environment $VENV with $("$PY" --version 2>&1) ($(command -v "$PY"))"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
LOG="$VENV/install.log"
pip_install() {  # pip's and the build backend's chatter goes to the log; shown only on failure
  if ! "$VPY" -m pip install --disable-pip-version-check "$@" >>"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "setup: pip install $* failed (full log: $LOG)" >&2
    exit 1
  fi
}
echo "installing valgus and its dependencies into $VENV (log: $LOG)"
: >"$LOG"
# a distribution's venv starts with an old pip/setuptools (Debian 12: pip 23.0, setuptools 66)
pip_install --upgrade pip "setuptools>=77" wheel
if [ "$DEV" = 1 ]; then
  pip_install -e ".[test]" -e "./tools[render]"
else
  pip_install -e .
fi
echo "valgus installed in $VENV: $("$VPY" -m valgus --version)"
