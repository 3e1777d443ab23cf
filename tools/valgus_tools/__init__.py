"""Maintainer tooling for valgus, kept out of the installed product.

- :mod:`valgus_tools.synth`: the ground-truth renderer and its body assets.
- :mod:`valgus_tools.bench`: accuracy, speed, live and batch benchmarks (scoring logic included).

Installed in editable mode by ``bash scripts/setup.sh`` (``pip install -e tools``); nothing in
``valgus`` imports it.
"""
