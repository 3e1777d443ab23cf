"""The real pose model's analysis of each bundled sample video, made once per test session and
shared by the integration tests that need the default analysis of a sample (it takes seconds)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"

_CACHE: dict[str, object] = {}


def truth(path: Path) -> dict:
    return json.loads(path.read_text())


def analysed(name: str):
    """analyze_video on a sample clip with the default settings, once per session (``--mirrored``
    for mirrored renders, as their truth file says)."""
    from valgus.config import Config, override
    from valgus.engine import analyze_video

    if name not in _CACHE:
        t = SAMPLES / name.replace(".mp4", ".truth.json")
        mirrored = bool(truth(t).get("mirrored")) if t.exists() else False
        cfg = override(Config(), "video", mirrored=mirrored)
        _CACHE[name] = analyze_video(SAMPLES / name, cfg)
    return _CACHE[name]
