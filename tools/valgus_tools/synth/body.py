"""Exported anny bodies: loading, per-vertex clothing parts and NumPy linear-blend skinning.

Frame ("synth world"): metres, X = the subject's LEFT, Y = up, Z = anterior (the way the
subject faces in the rest pose); right-handed. Soles rest on Y = 0.

Skinning model: every bone ``b`` has a rest head ``h_b`` and, when posed, a world rotation
``R_b`` (applied to rest-pose geometry) and a posed head ``h'_b``. A vertex ``v`` goes to
``sum_k w_k (R_bk (v - h_bk) + h'_bk)``. A bone whose rotation is not given follows its parent
rigidly; a posed head is ``h'_parent + R_parent (h_b - h_parent)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

ASSET_DIR = Path(__file__).resolve().parent / "assets"

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


class Part(IntEnum):
    """Clothing / colour regions of the body surface."""

    SKIN = 0
    SHIRT = 1
    SHORTS = 2
    SHOES = 3
    HAIR = 4
    EYES = 5


def available_bodies() -> list[str]:
    """Names of the exported body assets (``tools/valgus_tools/synth/assets/<name>.npz``)."""
    return sorted(p.stem for p in ASSET_DIR.glob("*.npz"))


@dataclass(frozen=True, eq=False)
class BodyModel:
    """One exported body shape in its rest pose (see module docstring for the frame)."""

    name: str
    vertices: F64  # (V, 3)
    faces: NDArray[np.int32]  # (F, 3)
    skin_indices: NDArray[np.int64]  # (V, K)
    skin_weights: F64  # (V, K)
    bone_names: tuple[str, ...]
    bone_parents: NDArray[np.int64]  # (B,)
    bone_heads: F64  # (B, 3)
    keypoint_names: tuple[str, ...]
    keypoint_indices: NDArray[np.int64]  # (K, S)
    keypoint_weights: F64  # (K, S)
    parts: NDArray[np.int64] = field(repr=False)  # (V,) Part per vertex
    _bone_index: dict[str, int] = field(repr=False)

    def bone(self, name: str) -> int:
        """Index of bone ``name``; ``KeyError`` names the known bones if it is missing."""
        try:
            return self._bone_index[name]
        except KeyError:
            raise KeyError(f"no bone {name!r}; known: {', '.join(self.bone_names)}") from None

    def head(self, name: str) -> F64:
        """Rest head position of bone ``name``, shape (3,)."""
        return self.bone_heads[self.bone(name)]

    @property
    def height(self) -> float:
        return float(self.vertices[:, 1].max())

    def keypoints(self, vertices: F64) -> F64:
        """Surface keypoints (K, 3) regressed from (posed) ``vertices`` (V, 3)."""
        return np.einsum("ks,ksd->kd", self.keypoint_weights, vertices[self.keypoint_indices])


@lru_cache(maxsize=8)
def load_body(name: str) -> BodyModel:
    """Load the exported body ``name`` (see :func:`available_bodies`)."""
    path = ASSET_DIR / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(
            f"no body asset {path.name} in {ASSET_DIR.name}/; available: {available_bodies()}; "
            "run scripts/export_bodies.py to make more"
        )
    d = np.load(path)
    names = tuple(str(s) for s in d["bone_names"])
    verts = d["vertices"].astype(np.float64)
    skin_i = d["skin_indices"].astype(np.int64)
    skin_w = d["skin_weights"].astype(np.float64)
    heads = d["bone_heads"].astype(np.float64)
    index = {n: i for i, n in enumerate(names)}
    parts = _assign_parts(verts, skin_i, skin_w, names, heads, index)
    logger.debug("loaded body %s: %d vertices, %d bones", name, len(verts), len(names))
    return BodyModel(
        name=name,
        vertices=verts,
        faces=d["faces"].astype(np.int32),
        skin_indices=skin_i,
        skin_weights=skin_w,
        bone_names=names,
        bone_parents=d["bone_parents"].astype(np.int64),
        bone_heads=heads,
        keypoint_names=tuple(str(s) for s in d["keypoint_names"]),
        keypoint_indices=d["keypoint_indices"].astype(np.int64),
        keypoint_weights=d["keypoint_weights"].astype(np.float64),
        parts=parts,
        _bone_index=index,
    )


def _assign_parts(
    verts: F64,
    skin_i: NDArray[np.int64],
    skin_w: F64,
    names: tuple[str, ...],
    heads: F64,
    index: dict[str, int],
) -> NDArray[np.int64]:
    """Clothing regions from each vertex's dominant bone and its rest position."""
    dominant = np.array(names)[skin_i[np.arange(len(skin_i)), np.argmax(skin_w, axis=1)]]
    y = verts[:, 1]
    parts = np.full(len(verts), Part.SKIN, dtype=np.int64)

    def startswith(*prefixes: str) -> NDArray[np.bool_]:
        return np.array([d.startswith(prefixes) for d in dominant])

    torso = startswith("root", "pelvis", "spine", "clavicle", "shoulder", "upperarm01")
    parts[torso] = Part.SHIRT
    # Short sleeves: the shirt ends a third of the way down the upper arm.
    for side in "LR":
        sh = heads[index[f"upperarm01.{side}"]]
        el = heads[index[f"lowerarm01.{side}"]]
        axis = (el - sh) / np.linalg.norm(el - sh)
        t = (verts - sh) @ axis / np.linalg.norm(el - sh)
        arm = startswith(f"upperarm01.{side}", f"upperarm02.{side}", f"shoulder01.{side}")
        parts[arm & (t > 0.35)] = Part.SKIN
        parts[arm & (t <= 0.35)] = Part.SHIRT
    hip_y = 0.5 * (heads[index["upperleg01.L"]][1] + heads[index["upperleg01.R"]][1])
    knee_y = 0.5 * (heads[index["lowerleg01.L"]][1] + heads[index["lowerleg01.R"]][1])
    # Shorts: from a little above the hip joint centres to 40 % of the way down the thigh.
    legs = startswith("upperleg", "pelvis", "root", "spine05")
    shorts_bottom = hip_y - 0.4 * (hip_y - knee_y)
    parts[legs & (y >= shorts_bottom) & (y <= hip_y + 0.09)] = Part.SHORTS
    parts[(~legs) & torso & (y < hip_y + 0.09)] = Part.SHORTS
    ankle_y = 0.5 * (heads[index["foot.L"]][1] + heads[index["foot.R"]][1])
    parts[startswith("foot", "toe") | (y < ankle_y + 0.03)] = Part.SHOES
    head = startswith("head", "neck03")
    eye_y = heads[index["eye.L"]][1]
    ear_z = heads[index["head"]][2]
    hair = head & ((y > eye_y + 0.045) | ((verts[:, 2] < ear_z - 0.03) & (y > eye_y - 0.05)))
    parts[hair] = Part.HAIR
    parts[startswith("eye")] = Part.EYES
    return parts


@dataclass(frozen=True)
class PosedBody:
    """A body in one pose: world-frame geometry and the joint centres used as truth."""

    vertices: F64  # (V, 3)
    bone_rotations: F64  # (B, 3, 3)
    bone_heads: F64  # (B, 3)
    joints: dict[str, F64]  # joint centres, name -> (3,)
    keypoints: dict[str, F64]  # surface keypoints, name -> (3,)
    frames: dict[str, F64]  # anatomical segment frames, name -> (3, 3) columns x, y, z


def skin(body: BodyModel, rotations: F64, heads: F64) -> F64:
    """Linear-blend skinning: posed vertices (V, 3) from bone ``rotations`` (B, 3, 3) and
    posed ``heads`` (B, 3)."""
    rel = heads - np.einsum("bij,bj->bi", rotations, body.bone_heads)  # (B, 3)
    # Blend the affine transforms per vertex, then apply: one (V, 3, 4) product.
    affine = np.concatenate([rotations, rel[:, :, None]], axis=2)  # (B, 3, 4)
    blended = np.einsum("vk,vkij->vij", body.skin_weights, affine[body.skin_indices])
    return np.einsum("vij,vj->vi", blended[:, :, :3], body.vertices) + blended[:, :, 3]


def forward_kinematics(
    body: BodyModel, root_position: F64, given: dict[int, F64]
) -> tuple[F64, F64]:
    """World rotations (B, 3, 3) and posed heads (B, 3) of every bone.

    ``given`` maps bone index -> world rotation; the others follow their parent. The root's head
    goes to ``root_position``. Bones are stored parents-first (anny's order), which is checked.
    """
    n = len(body.bone_names)
    rots = np.empty((n, 3, 3))
    heads = np.empty((n, 3))
    for b in range(n):
        p = int(body.bone_parents[b])
        if p < 0:
            rots[b] = given.get(b, np.eye(3))
            heads[b] = root_position
            continue
        if p >= b:
            raise ValueError(f"bone {body.bone_names[b]} comes before its parent")
        rots[b] = given.get(b, rots[p])
        heads[b] = heads[p] + rots[p] @ (body.bone_heads[b] - body.bone_heads[p])
    return rots, heads
