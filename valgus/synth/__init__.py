"""Synthetic ground truth: render a posed human body doing the exercises with known angles.

Maintainer tooling for ``scripts/make_sample_videos.py`` and ``scripts/benchmark_accuracy.py``.
Nothing else in valgus imports this subpackage. Posing and skinning need NumPy only; rendering
(:mod:`valgus.synth.render`) needs the optional ``moderngl`` (``pip install .[synth]``) and an EGL
driver.
"""

from __future__ import annotations
