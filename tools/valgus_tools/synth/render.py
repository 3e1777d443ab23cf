"""Offscreen OpenGL rendering of a posed body in a simple room (moderngl on EGL).

Needs the optional ``moderngl`` package (``pip install .[synth]``) and an EGL driver (Debian:
``libegl1 libegl-mesa0 libgl1-mesa-dri``; Mesa's llvmpipe software rasteriser is enough).
Anti-aliasing by 4x multisampling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from valgus_tools.synth.body import BodyModel, Part
from valgus_tools.synth.camera import CameraParams

logger = logging.getLogger(__name__)

F64 = NDArray[np.float64]
RGB = tuple[float, float, float]


class RendererUnavailable(RuntimeError):
    """moderngl or an EGL driver is missing."""


def renderer_available() -> tuple[bool, str]:
    """(True, "") if an offscreen GL context can be made here, else (False, reason)."""
    try:
        import moderngl
    except ImportError:
        return False, "moderngl is not installed (pip install .[synth])"
    try:
        ctx = moderngl.create_standalone_context(backend="egl")
        ctx.release()
    except Exception as exc:  # noqa: BLE001 - any driver failure means "unavailable"
        return False, (
            f"no EGL OpenGL context ({exc}); install libegl1 libegl-mesa0 libgl1-mesa-dri"
        )
    return True, ""


@dataclass(frozen=True)
class Appearance:
    """Colours (linear RGB in [0, 1]) of the person and the room."""

    skin: RGB = (0.80, 0.58, 0.45)
    shirt: RGB = (0.12, 0.28, 0.62)
    shorts: RGB = (0.10, 0.10, 0.12)
    shoes: RGB = (0.92, 0.92, 0.90)
    hair: RGB = (0.12, 0.08, 0.05)
    eyes: RGB = (0.05, 0.04, 0.04)
    floor: RGB = (0.55, 0.47, 0.38)
    wall: RGB = (0.82, 0.82, 0.78)
    box: RGB = (0.35, 0.36, 0.40)

    def part_colours(self) -> NDArray[np.float32]:
        table = {
            Part.SKIN: self.skin,
            Part.SHIRT: self.shirt,
            Part.SHORTS: self.shorts,
            Part.SHOES: self.shoes,
            Part.HAIR: self.hair,
            Part.EYES: self.eyes,
        }
        return np.array([table[p] for p in Part], dtype=np.float32)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box standing on the floor (a step), world metres."""

    centre_x: float
    centre_z: float
    width: float = 0.45  # along X
    depth: float = 0.40  # along Z
    height: float = 0.25


@dataclass(frozen=True)
class Scene:
    appearance: Appearance = field(default_factory=Appearance)
    wall_z: float = -1.6  # the wall behind the subject
    box: Box | None = None


_VERT = """
#version 330
uniform mat4 u_mvp;
in vec3 in_pos;
in vec3 in_norm;
in vec3 in_col;
out vec3 v_pos;
out vec3 v_norm;
out vec3 v_col;
void main() {
    v_pos = in_pos;
    v_norm = in_norm;
    v_col = in_col;
    gl_Position = u_mvp * vec4(in_pos, 1.0);
}
"""

_FRAG = """
#version 330
uniform vec3 u_eye;
uniform int u_pattern;
in vec3 v_pos;
in vec3 v_norm;
in vec3 v_col;
out vec4 f_color;
void main() {
    vec3 n = normalize(v_norm);
    if (dot(n, u_eye - v_pos) < 0.0) n = -n;
    vec3 col = v_col;
    if (u_pattern == 1) {  // floor boards
        float b = floor(v_pos.x / 0.18);
        col *= 0.92 + 0.08 * fract(sin(b * 12.9898) * 43758.5453);
        if (fract(v_pos.x / 0.18) < 0.03) col *= 0.8;
    }
    vec3 key = normalize(vec3(0.35, 0.8, 0.6));
    vec3 fill = normalize(vec3(-0.6, 0.3, 0.5));
    float hemi = 0.5 + 0.5 * n.y;
    vec3 view = normalize(u_eye - v_pos);
    vec3 h = normalize(key + view);
    float spec = pow(max(dot(n, h), 0.0), 24.0) * 0.08;
    vec3 lit = col * (0.30 + 0.12 * hemi + 0.62 * max(dot(n, key), 0.0)
                      + 0.22 * max(dot(n, fill), 0.0)) + spec;
    f_color = vec4(pow(clamp(lit, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
}
"""


def vertex_normals(vertices: F64, faces: NDArray[np.int32]) -> NDArray[np.float32]:
    """Area-weighted vertex normals (V, 3)."""
    v = vertices
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        for c in range(3):
            n[:, c] += np.bincount(faces[:, k], weights=fn[:, c], minlength=len(v))
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n.astype(np.float32)


def _quad(corners: F64, normal: F64, colour: RGB) -> NDArray[np.float32]:
    """Two triangles (6 interleaved pos/norm/col vertices) from 4 corners in order."""
    idx = [0, 1, 2, 0, 2, 3]
    rows = [np.concatenate([corners[i], normal, colour]) for i in idx]
    return np.array(rows, dtype=np.float32)


def _box_mesh(box: Box, colour: RGB) -> NDArray[np.float32]:
    x0, x1 = box.centre_x - box.width / 2, box.centre_x + box.width / 2
    z0, z1 = box.centre_z - box.depth / 2, box.centre_z + box.depth / 2
    y0, y1 = 0.0, box.height
    c = np.array
    faces = [
        (c([[x0, y1, z0], [x0, y1, z1], [x1, y1, z1], [x1, y1, z0]]), c([0, 1, 0])),
        (c([[x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]]), c([0, 0, 1])),
        (c([[x1, y0, z0], [x0, y0, z0], [x0, y1, z0], [x1, y1, z0]]), c([0, 0, -1])),
        (c([[x1, y0, z1], [x1, y0, z0], [x1, y1, z0], [x1, y1, z1]]), c([1, 0, 0])),
        (c([[x0, y0, z0], [x0, y0, z1], [x0, y1, z1], [x0, y1, z0]]), c([-1, 0, 0])),
    ]
    shades = [1.0, 0.92, 0.92, 0.85, 0.85]
    parts = [_quad(q, n.astype(float), tuple(s * np.array(colour))) for (q, n), s in zip(faces, shades)]
    return np.concatenate(parts)


class Renderer:
    """Renders one body in a room to RGB frames. Reuse one instance for a whole clip.

    Use as a context manager, or call :meth:`release` when done.
    """

    def __init__(self, body: BodyModel, camera: CameraParams, scene: Scene | None = None,
                 samples: int = 4) -> None:
        try:
            import moderngl
        except ImportError as exc:
            raise RendererUnavailable("moderngl is not installed (pip install .[synth])") from exc
        try:
            self._ctx = moderngl.create_standalone_context(backend="egl")
        except Exception as exc:  # noqa: BLE001
            raise RendererUnavailable(
                f"cannot create an EGL OpenGL context ({exc}); "
                "install libegl1 libegl-mesa0 libgl1-mesa-dri"
            ) from exc
        ctx = self._ctx
        self.body = body
        self.camera = camera
        self.scene = scene or Scene()
        w, h = camera.width, camera.height_px
        samples = min(samples, ctx.max_samples)
        self._msaa = ctx.framebuffer(
            color_attachments=[ctx.renderbuffer((w, h), 4, samples=samples)],
            depth_attachment=ctx.depth_renderbuffer((w, h), samples=samples),
        )
        self._resolve = ctx.framebuffer(color_attachments=[ctx.renderbuffer((w, h), 4)])
        self._prog = ctx.program(vertex_shader=_VERT, fragment_shader=_FRAG)
        mvp = (camera.projection_matrix() @ camera.view_matrix()).astype(np.float32)
        self._prog["u_mvp"].write(mvp.T.tobytes())
        self._prog["u_eye"].value = tuple(float(v) for v in camera.position)

        app = self.scene.appearance
        colours = app.part_colours()[body.parts]
        n_v = len(body.vertices)
        self._pos = ctx.buffer(reserve=n_v * 12, dynamic=True)
        self._nrm = ctx.buffer(reserve=n_v * 12, dynamic=True)
        self._col = ctx.buffer(colours.astype(np.float32).tobytes())
        self._ibo = ctx.buffer(body.faces.astype(np.int32).tobytes())
        self._body_vao = ctx.vertex_array(
            self._prog,
            [(self._pos, "3f", "in_pos"), (self._nrm, "3f", "in_norm"), (self._col, "3f", "in_col")],
            index_buffer=self._ibo,
            index_element_size=4,
        )
        big = 12.0
        floor = _quad(
            np.array([[-big, 0, -big], [-big, 0, big], [big, 0, big], [big, 0, -big]], float),
            np.array([0.0, 1.0, 0.0]), app.floor,
        )
        wz = self.scene.wall_z
        wall = _quad(
            np.array([[-big, 0, wz], [big, 0, wz], [big, 2 * big, wz], [-big, 2 * big, wz]], float),
            np.array([0.0, 0.0, 1.0]), app.wall,
        )
        self._floor_vao = self._static(floor)
        self._wall_vao = self._static(wall)
        self._box_vao = self._static(_box_mesh(self.scene.box, app.box)) if self.scene.box else None

    def _static(self, data: NDArray[np.float32]):
        buf = self._ctx.buffer(data.tobytes())
        return self._ctx.vertex_array(self._prog, [(buf, "3f 3f 3f", "in_pos", "in_norm", "in_col")])

    def render(self, vertices: F64) -> NDArray[np.uint8]:
        """RGB image (H, W, 3) uint8 of the body with posed ``vertices`` (V, 3), rows top first."""
        import moderngl

        ctx = self._ctx
        self._pos.write(np.ascontiguousarray(vertices, dtype=np.float32).tobytes())
        self._nrm.write(vertex_normals(vertices, self.body.faces).tobytes())
        self._msaa.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.clear(0.0, 0.0, 0.0, 1.0)
        self._prog["u_pattern"].value = 1
        self._floor_vao.render()
        self._prog["u_pattern"].value = 0
        self._wall_vao.render()
        if self._box_vao is not None:
            self._box_vao.render()
        self._body_vao.render()
        ctx.copy_framebuffer(self._resolve, self._msaa)
        w, h = self.camera.width, self.camera.height_px
        raw = self._resolve.read(components=3, alignment=1)
        img = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)[::-1]
        if self.camera.mirrored:
            img = img[:, ::-1]
        return np.ascontiguousarray(img)

    def release(self) -> None:
        self._ctx.release()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
