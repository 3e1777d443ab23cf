#!/usr/bin/env python
"""Regenerate ``sample_videos/``: short rendered exercise clips with exact ground truth.

Needs the optional renderer: ``pip install .[synth]`` and an EGL driver (Debian packages
``libegl1 libegl-mesa0 libgl1-mesa-dri``). Deterministic: the same code gives byte-identical
files; ``--check`` renders into a temporary folder and compares SHA-256 with the committed
``sample_videos/SHA256SUMS``.

Usage::

    python scripts/make_sample_videos.py                  # rewrite sample_videos/
    python scripts/make_sample_videos.py --only squat_good
    python scripts/make_sample_videos.py --check          # verify reproducibility
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from valgus_tools.synth.camera import CameraParams  # noqa: E402
from valgus_tools.synth.clip import ClipSpec, render_clip, render_sequence  # noqa: E402
from valgus_tools.synth.motion import MotionParams  # noqa: E402

OUT = REPO / "sample_videos"
SUMS = "SHA256SUMS"

CLIPS: list[ClipSpec] = [
    ClipSpec(
        "squat_good",
        body="male_average",
        motion=MotionParams("squat", reps=3, depth_deg=95, stance_width=0.36, arms="crossed"),
        seed=0,
    ),
    ClipSpec(
        "squat_valgus",
        body="female_average",
        motion=MotionParams(
            "squat", reps=3, depth_deg=85, stance_width=0.40, arms="hips",
            valgus_left_deg=9, valgus_right_deg=9, fault_reps=(2, 3),
        ),
        seed=1,
    ),
    ClipSpec(
        "single_leg_squat_left_collapse",
        body="female_average",
        motion=MotionParams(
            "single_leg_squat", side="left", reps=3, depth_deg=65, arms="crossed",
            descent_s=1.4, ascent_s=1.2, valgus_left_deg=15, pelvic_drop_deg=7,
            trunk_lean_deg=7, fault_reps=(2, 3),
        ),
        seed=2,
    ),
    ClipSpec(
        "single_leg_squat_left_collapse_mirrored",
        body="male_average",
        motion=MotionParams(
            "single_leg_squat", side="left", reps=2, depth_deg=60, arms="crossed",
            descent_s=1.3, ascent_s=1.1, valgus_left_deg=15, pelvic_drop_deg=6,
            fault_reps=(2,),
        ),
        camera=CameraParams(mirrored=True),
        seed=5,
    ),
    ClipSpec(
        "single_leg_squat_right_good_yaw20",
        body="male_tall_lean",
        motion=MotionParams(
            "single_leg_squat", side="right", reps=2, depth_deg=60, arms="hips",
            descent_s=1.4, ascent_s=1.2,
        ),
        camera=CameraParams(yaw_deg=20.0, distance=3.8),
        seed=3,
    ),
    ClipSpec(
        "step_up_right_pelvic_drop",
        body="male_average",
        motion=MotionParams(
            "step_up", side="right", reps=2, descent_s=1.6, ascent_s=1.6, pause_bottom_s=0.2,
            pause_top_s=0.4, arms="hips", box_height=0.25, pelvic_drop_deg=8,
            valgus_right_deg=14, fault_reps=(2,),
        ),
        seed=4,
    ),
]

_SET = dict(descent_s=1.1, ascent_s=1.0, pause_bottom_s=0.2, pause_top_s=0.4, lead_in_s=0.8)

#: Clips of several parts (one set that switches working leg and exercise): name -> parts.
SEQUENCES: dict[str, list[ClipSpec]] = {
    "mixed_sls_left_then_right_then_squat": [
        ClipSpec("sls_left", body="female_average", seed=6, motion=MotionParams(
            "single_leg_squat", side="left", reps=2, depth_deg=65, arms="crossed",
            valgus_left_deg=18, fault_reps=(1,), **_SET)),
        ClipSpec("sls_right", body="female_average", seed=6, motion=MotionParams(
            "single_leg_squat", side="right", reps=2, depth_deg=65, arms="crossed", **_SET)),
        ClipSpec("squat", body="female_average", seed=6, motion=MotionParams(
            "squat", reps=1, depth_deg=90, stance_width=0.36, arms="crossed", **_SET)),
    ],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_all(out: Path, only: list[str] | None) -> dict[str, str]:
    sums: dict[str, str] = {}
    for spec in CLIPS:
        if only and spec.name not in only:
            continue
        t0 = time.perf_counter()
        truth = render_clip(spec, out)
        dt = time.perf_counter() - t0
        labels = "; ".join(f"rep {r['rep']}: {', '.join(r['labels'])}" for r in truth["reps"])
        video = out / f"{spec.name}.mp4"
        print(f"{spec.name:40s} {truth['n_frames']:4d} frames {dt:6.1f} s "
              f"{video.stat().st_size / 1e6:5.2f} MB  {labels}")
        for f in (video, out / f"{spec.name}.truth.json"):
            sums[f.name] = sha256(f)
    for name, parts in SEQUENCES.items():
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        truth = render_sequence(name, parts, out)
        dt = time.perf_counter() - t0
        labels = "; ".join(f"rep {r['rep']} ({r['exercise']} {r['working_leg']}): {', '.join(r['labels'])}"
                           for r in truth["reps"])
        video = out / f"{name}.mp4"
        print(f"{name:40s} {truth['n_frames']:4d} frames {dt:6.1f} s "
              f"{video.stat().st_size / 1e6:5.2f} MB  {labels}")
        for f in (video, out / f"{name}.truth.json"):
            sums[f.name] = sha256(f)
    return sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="clip names to render")
    parser.add_argument("--check", action="store_true",
                        help="render to a temporary folder and compare with the committed SHA256SUMS")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default sample_videos/)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.check:
        committed = {}
        for line in (OUT / SUMS).read_text().splitlines():
            digest, name = line.split(maxsplit=1)
            committed[name] = digest
        with tempfile.TemporaryDirectory() as tmp:
            sums = render_all(Path(tmp), args.only)
        bad = [n for n, d in sums.items() if committed.get(n) != d]
        for n in bad:
            print(f"DIFFERS: {n}")
        print("reproducible" if not bad else f"{len(bad)} file(s) differ")
        return 1 if bad else 0
    args.out.mkdir(parents=True, exist_ok=True)
    sums = render_all(args.out, args.only)
    if args.out == OUT:
        old = {}
        if (OUT / SUMS).exists():
            for line in (OUT / SUMS).read_text().splitlines():
                digest, name = line.split(maxsplit=1)
                old[name] = digest
        old.update(sums)
        names = {f.name for f in OUT.iterdir()}
        (OUT / SUMS).write_text("".join(f"{d}  {n}\n" for n, d in sorted(old.items()) if n in names))
    total = sum(f.stat().st_size for f in args.out.iterdir() if f.is_file())
    print(f"total size of {args.out.name}/: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
