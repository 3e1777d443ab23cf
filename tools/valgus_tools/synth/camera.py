"""Pinhole camera looking at the subject, and projection of world points to image pixels.

Pixels: x right, y down, continuous coordinates in which pixel column ``i`` covers
``[i, i + 1)`` (so a landmark's normalised x times the width is its pixel x). World: see
:mod:`valgus_tools.synth.body` (X = subject's left, Y = up, Z = the way the subject faces).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class CameraParams:
    """Camera placement and image format.

    The camera stands ``distance`` metres from the point between the subject's feet, at
    ``height`` metres, turned ``yaw_deg`` about the vertical axis (+ = toward the subject's left
    side), looking at ``target_height`` on the subject's vertical axis. ``mirrored`` flips the
    image left-right like a selfie/webcam preview.
    """

    distance: float = 3.4
    height: float = 1.0
    yaw_deg: float = 0.0
    target_height: float = 0.9
    width: int = 720
    height_px: int = 1280
    fov_y_deg: float = 46.0
    fps: float = 30.0
    mirrored: bool = False
    near: float = 0.1
    far: float = 30.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.distance <= 20:
            raise ValueError(f"distance must be in [0.5, 20] m, got {self.distance}")
        if not -90 <= self.yaw_deg <= 90:
            raise ValueError(f"yaw_deg must be in [-90, 90], got {self.yaw_deg}")
        if self.width < 16 or self.height_px < 16:
            raise ValueError(f"image must be at least 16x16 px, got {self.width}x{self.height_px}")
        if not 1 <= self.fps <= 240:
            raise ValueError(f"fps must be in [1, 240], got {self.fps}")

    @property
    def position(self) -> F64:
        yaw = np.radians(self.yaw_deg)
        return np.array([self.distance * np.sin(yaw), self.height, self.distance * np.cos(yaw)])

    def view_matrix(self) -> F64:
        """World -> camera (OpenGL convention: camera looks down -Z, Y up), 4x4."""
        eye = self.position
        target = np.array([0.0, self.target_height, 0.0])
        f = target - eye
        f /= np.linalg.norm(f)
        r = np.cross(f, [0.0, 1.0, 0.0])
        r /= np.linalg.norm(r)
        u = np.cross(r, f)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, u, -f
        m[:3, 3] = -m[:3, :3] @ eye
        return m

    def projection_matrix(self) -> F64:
        """OpenGL perspective projection, 4x4."""
        aspect = self.width / self.height_px
        t = 1.0 / np.tan(np.radians(self.fov_y_deg) / 2)
        n, f = self.near, self.far
        return np.array(
            [
                [t / aspect, 0, 0, 0],
                [0, t, 0, 0],
                [0, 0, (f + n) / (n - f), 2 * f * n / (n - f)],
                [0, 0, -1, 0],
            ]
        )

    def project(self, points: F64) -> F64:
        """Pixel coordinates (..., 2) of world points (..., 3), after mirroring if set."""
        p = np.asarray(points, dtype=np.float64)
        h = np.concatenate([p, np.ones(p.shape[:-1] + (1,))], axis=-1)
        clip = h @ (self.projection_matrix() @ self.view_matrix()).T
        ndc = clip[..., :2] / clip[..., 3:4]
        x = (ndc[..., 0] + 1) / 2 * self.width
        y = (1 - ndc[..., 1]) / 2 * self.height_px
        if self.mirrored:
            x = self.width - x
        return np.stack([x, y], axis=-1)
