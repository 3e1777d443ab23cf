"""Synthetic ground truth: render a posed human body doing the exercises with known angles.

Maintainer tooling behind ``scripts/make_sample_videos.py`` and ``scripts/benchmark_accuracy.py``;
nothing else in valgus imports this subpackage. Posing, skinning, projection and truth need NumPy
only; rendering (:mod:`valgus_tools.synth.render`) needs the optional ``moderngl``
(``pip install .[synth]``) and an EGL driver (Debian: ``libegl1 libegl-mesa0 libgl1-mesa-dri``).

Layers, each usable alone:

- :mod:`~valgus_tools.synth.body`: the exported anny bodies (``assets/*.npz``, made by
  ``scripts/export_bodies.py``), clothing regions, linear-blend skinning.
- :mod:`~valgus_tools.synth.kinematics`: anatomical posing; legs by inverse kinematics with a medial
  knee swing about the hip-ankle axis (how dynamic valgus happens with the foot planted).
- :mod:`~valgus_tools.synth.motion`: squat, single-leg squat and step-up as functions of time.
- :mod:`~valgus_tools.synth.camera`, :mod:`~valgus_tools.synth.render`: pinhole camera, offscreen OpenGL.
- :mod:`~valgus_tools.synth.truth`: 2D and 3D truth angles (definitions in ``sample_videos/README.md``).
- :mod:`~valgus_tools.synth.clip`: one clip -> ``<name>.mp4`` + ``<name>.truth.json``.

Example::

    from pathlib import Path
    from valgus_tools.synth.camera import CameraParams
    from valgus_tools.synth.clip import ClipSpec, render_clip
    from valgus_tools.synth.motion import MotionParams

    spec = ClipSpec(
        "sls_left_valgus",
        body="female_average",
        motion=MotionParams("single_leg_squat", side="left", reps=3, valgus_left_deg=15,
                            pelvic_drop_deg=6),
        camera=CameraParams(yaw_deg=15.0),
    )
    truth = render_clip(spec, Path("out"))  # out/sls_left_valgus.mp4 + .truth.json
"""

from __future__ import annotations
