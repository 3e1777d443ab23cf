#!/usr/bin/env python
"""Export a few body shapes of the `anny` parametric human body to small NumPy assets.

Maintainer-only script: it needs ``torch`` and ``anny`` (``pip install torch==2.13.0 anny``; a CPU
wheel of torch avoids pulling CUDA). Nothing else in valgus imports torch or anny: the exported
``tools/valgus_tools/synth/assets/<name>.npz`` files carry everything the NumPy posing and skinning need.

The first ``anny.Anny()`` builds a cache of about 800 MB in ``~/.cache/anny`` (override with the
``ANNY_CACHE_DIR`` environment variable); keep it out of the repository.

Coordinates in the assets (the "synth world" frame): metres, X = the subject's LEFT, Y = up,
Z = anterior (the direction the subject faces); right-handed. The soles rest on Y = 0.

Each asset holds (float32 unless noted):

- ``vertices`` (V, 3): the posed rest state (anny's zero-rotation pose, not its template mesh).
- ``faces`` (F, 3) uint16: triangles.
- ``skin_indices`` (V, K) uint8 and ``skin_weights`` (V, K): the K largest skinning weights per
  vertex, renormalised to sum to 1.
- ``bone_names`` (B,) str, ``bone_parents`` (B,) int16 (-1 for the root),
  ``bone_heads`` (B, 3) and ``bone_rotations`` (B, 3, 3): each bone's rest head position and rest
  orientation (world frame, rest pose).
- ``keypoint_names`` (K,) str, ``keypoint_indices`` (K, S) int32 and ``keypoint_weights`` (K, S):
  anny's COCO-style surface-keypoint regressor (a convex combination of vertices), truncated to
  the S largest weights and renormalised.
- ``phenotype_names`` (P,) str, ``phenotype_values`` (P,): the anny phenotype of this body.

Usage::

    python scripts/export_bodies.py            # all bodies
    python scripts/export_bodies.py --only female_average
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np

ASSET_DIR = pathlib.Path(__file__).resolve().parent.parent / "valgus" / "synth" / "assets"

#: Body name -> anny phenotype. In anny gender 0 is male and 1 female; age 0.5 is an adolescent,
#: about 0.7 a young adult. Unlisted phenotypes stay at anny's default 0.5.
BODIES: dict[str, dict[str, float]] = {
    # Heights (sole to crown): 1.78, 1.66, 1.91 and 1.55 m.
    "male_average": {"gender": 0.0, "age": 0.7, "height": 0.37},
    "female_average": {"gender": 1.0, "age": 0.7, "height": 0.40},
    "male_tall_lean": {"gender": 0.0, "age": 0.72, "height": 0.5, "weight": 0.3, "muscle": 0.65},
    "female_short_heavy": {"gender": 1.0, "age": 0.7, "height": 0.27, "weight": 0.75, "muscle": 0.4},
}

SKIN_TOP_K = 4
KEYPOINT_TOP_K = 48

#: anny frame (X left, Y posterior, Z up) -> synth world (X left, Y up, Z anterior).
ANNY_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def _top_k(weights: np.ndarray, indices: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-weights, axis=1)[:, :k]
    w = np.take_along_axis(weights, order, axis=1)
    i = np.take_along_axis(indices, order, axis=1)
    w = w / w.sum(axis=1, keepdims=True)
    return w, i


def export(model, regressor, name: str, phenotype: dict[str, float]) -> pathlib.Path:
    import torch

    with torch.no_grad():
        out = model(phenotype_kwargs=phenotype)
    verts = out["vertices"][0].double().numpy() @ ANNY_TO_WORLD.T
    poses = out["bone_poses"][0].double().numpy()
    heads = poses[:, :3, 3] @ ANNY_TO_WORLD.T
    rots = np.einsum("ij,bjk->bik", ANNY_TO_WORLD, poses[:, :3, :3])
    floor = verts[:, 1].min()
    verts[:, 1] -= floor
    heads[:, 1] -= floor

    skin_w, skin_i = _top_k(
        model.vertex_bone_weights.double().numpy(),
        model.vertex_bone_indices.numpy(),
        SKIN_TOP_K,
    )
    reg = regressor.regression_weights.double().numpy()
    kp_order = np.argsort(-reg, axis=1)[:, :KEYPOINT_TOP_K]
    kp_w = np.take_along_axis(reg, kp_order, axis=1)
    kp_w = kp_w / kp_w.sum(axis=1, keepdims=True)

    faces = model.get_triangular_faces().numpy()
    assert verts.shape[0] < 65536
    labels = list(model.phenotype_labels)
    values = [float(phenotype.get(k, 0.5)) for k in labels]
    path = ASSET_DIR / f"{name}.npz"
    np.savez_compressed(
        path,
        vertices=verts.astype(np.float32),
        faces=faces.astype(np.uint16),
        skin_indices=skin_i.astype(np.uint8),
        skin_weights=skin_w.astype(np.float32),
        bone_names=np.array(model.bone_labels),
        bone_parents=np.array(model.bone_parents, dtype=np.int16),
        bone_heads=heads.astype(np.float32),
        bone_rotations=rots.astype(np.float32),
        keypoint_names=np.array(regressor.labels),
        keypoint_indices=kp_order.astype(np.int32),
        keypoint_weights=kp_w.astype(np.float32),
        phenotype_names=np.array(labels),
        phenotype_values=np.array(values, dtype=np.float32),
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BODIES), help="bodies to export")
    args = parser.parse_args()
    import anny  # maintainer-only dependency

    t0 = time.perf_counter()
    model = anny.Anny()
    regressor = anny.KeypointsRegressor.coco(model)
    print(f"anny model ready in {time.perf_counter() - t0:.1f} s")
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.only or BODIES:
        path = export(model, regressor, name, BODIES[name])
        height = np.load(path)["vertices"][:, 1].max()
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB, height {height:.2f} m")


if __name__ == "__main__":
    main()
