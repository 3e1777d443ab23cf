"""Render one exercise clip to H.264 and write its ground truth beside it.

``render_clip`` -> ``<name>.mp4`` and ``<name>.truth.json`` (schema in
``sample_videos/README.md``). Deterministic: the same arguments give byte-identical files
(x264 runs single-threaded for that).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from valgus_tools.synth.body import load_body
from valgus_tools.synth.camera import CameraParams
from valgus_tools.synth.kinematics import SIDES, pose_body
from valgus_tools.synth.motion import LATER_FIELDS, Motion, MotionParams
from valgus_tools.synth.render import Appearance, Renderer, Scene
from valgus_tools.synth.truth import angles_2d, angles_3d, points_2d

logger = logging.getLogger(__name__)

SCHEMA = "valgus-synth-truth/1"

#: Swing (deg) at or above which a rep is labelled valgus; drop/lean thresholds likewise.
VALGUS_LABEL_SWING_DEG = 8.0
DROP_LABEL_DEG = 4.0
LEAN_LABEL_DEG = 5.0

SKIN_TONES = [(0.80, 0.58, 0.45), (0.62, 0.42, 0.30), (0.42, 0.27, 0.18), (0.88, 0.70, 0.58)]
SHIRTS = [(0.12, 0.28, 0.62), (0.60, 0.12, 0.14), (0.15, 0.45, 0.25), (0.85, 0.85, 0.85)]
SHORTS = [(0.10, 0.10, 0.12), (0.20, 0.22, 0.35), (0.30, 0.30, 0.30)]


def appearance_for_seed(seed: int) -> Appearance:
    """A deterministic choice of skin tone and clothing colours."""
    rng = np.random.default_rng(seed)
    return Appearance(
        skin=SKIN_TONES[rng.integers(len(SKIN_TONES))],
        shirt=SHIRTS[rng.integers(len(SHIRTS))],
        shorts=SHORTS[rng.integers(len(SHORTS))],
    )


@dataclass(frozen=True)
class ClipSpec:
    """Everything that defines one clip."""

    name: str
    body: str = "male_average"
    motion: MotionParams = field(default_factory=MotionParams)
    camera: CameraParams = field(default_factory=CameraParams)
    seed: int = 0
    crf: int = 24


def _r(x: float, nd: int = 2) -> float | None:
    return None if not np.isfinite(x) else round(float(x), nd)


def render_clip(spec: ClipSpec, out_dir: Path, *, write_video: bool = True) -> dict[str, Any]:
    """Render ``spec`` into ``out_dir`` and return the truth dictionary (also written as JSON)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    body = load_body(spec.body)
    motion = Motion(body, spec.motion)
    cam = spec.camera
    j0, n = spec.motion.frame_range(cam.fps)  # j0 > 0: the clip starts part-way into the motion
    scene = Scene(appearance=appearance_for_seed(spec.seed), box=spec.motion.box())
    series: dict[str, list[float | None]] = {"frame": [], "time_s": []}
    joints_2d: dict[str, list[list[float | None]]] = {}
    kps_2d: dict[str, list[list[float | None]]] = {}
    states = []
    t_pose = t_render = t_enc = 0.0
    video_path = out_dir / f"{spec.name}.mp4"
    renderer = Renderer(body, cam, scene) if write_video else None
    container = stream = None
    if write_video:
        import av

        container, stream = _open_writer(video_path, cam, spec.crf)
    try:
        for i in range(n):
            t = i / cam.fps
            t0 = time.perf_counter()
            pose, state = motion.pose_at((j0 + i) / cam.fps if j0 else t)
            posed = pose_body(body, pose, motion.rig)
            t1 = time.perf_counter()
            t_pose += t1 - t0
            states.append(state)
            series["frame"].append(i)
            series["time_s"].append(round(t, 4))
            vals = angles_3d(posed)
            j2, k2 = points_2d(posed, cam)
            vals.update(angles_2d(j2, k2))
            for k, v in vals.items():
                series.setdefault(k, []).append(_r(v))
            for k, v in j2.items():
                joints_2d.setdefault(k, []).append([_r(v[0]), _r(v[1])])
            for k, v in k2.items():
                kps_2d.setdefault(k, []).append([_r(v[0]), _r(v[1])])
            if renderer is not None:
                img = renderer.render(posed.vertices)
                t2 = time.perf_counter()
                t_render += t2 - t1
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
                t_enc += time.perf_counter() - t2
        if container is not None:
            for packet in stream.encode():
                container.mux(packet)
    finally:
        if container is not None:
            container.close()
        if renderer is not None:
            renderer.release()
    reps = _reps(spec.motion, motion, series, states, cam.fps, j0)
    generator = {"body": spec.body, "seed": spec.seed, "motion": motion_dict(spec.motion),
                 "camera": dataclasses.asdict(cam)}
    truth = _truth(video_path.name, cam, n, generator, reps, series, joints_2d, kps_2d)
    truth_path = out_dir / f"{spec.name}.truth.json"
    truth_path.write_text(json.dumps(truth, separators=(",", ":")) + "\n")
    logger.info(
        "%s: %d frames, pose %.1f ms, render %.1f ms, encode %.1f ms per frame",
        spec.name, n, 1e3 * t_pose / n, 1e3 * t_render / n, 1e3 * t_enc / n,
    )
    truth["timing_ms_per_frame"] = {
        "pose": 1e3 * t_pose / n, "render": 1e3 * t_render / n, "encode": 1e3 * t_enc / n,
    }
    return truth


def motion_dict(p: MotionParams) -> dict[str, Any]:
    """``p`` as a dictionary, without the later fields that hold their defaults (so clips made
    before those fields existed keep byte-identical truth files)."""
    return {k: v for k, v in dataclasses.asdict(p).items()
            if k not in LATER_FIELDS or v != LATER_FIELDS[k]}


def _open_writer(path: Path, cam: CameraParams, crf: int) -> tuple[Any, Any]:
    """An H.264 writer; x264 single-threaded so the same frames give byte-identical files."""
    import av

    container = av.open(str(path), mode="w")
    stream = container.add_stream("libx264", rate=int(round(cam.fps)))
    stream.width, stream.height = cam.width, cam.height_px
    stream.pix_fmt = "yuv420p"
    stream.thread_count = 1
    stream.options = {"crf": str(crf), "preset": "medium", "threads": "1"}
    return container, stream


def _truth(clip: str, cam: CameraParams, n_frames: int, generator: dict[str, Any], reps: list[dict[str, Any]],
           series: dict[str, list[Any]], joints_2d: dict[str, list[Any]], kps_2d: dict[str, list[Any]]) -> dict[str, Any]:
    """The truth file's contents (schema in ``sample_videos/README.md``), keys in a fixed order."""
    return {
        "schema": SCHEMA, "clip": clip, "fps": cam.fps, "width": cam.width, "height": cam.height_px,
        "n_frames": n_frames, "mirrored": cam.mirrored, "generator": generator, "reps": reps,
        "frames": series, "joints_2d": joints_2d, "keypoints_2d": kps_2d,
    }


def _reps(
    p: MotionParams, motion: Motion, series: dict[str, list], states: list, fps: float, j0: int = 0
) -> list[dict[str, Any]]:
    """The true reps. Frame indices are the clip's: a clip cropped with ``start_s``/``end_s``
    keeps the reps it shows at least part of, with ``partial: true`` on those it cuts."""
    out = []
    n = len(states)
    bilateral = p.exercise in ("squat", "sit_to_stand")
    for k in range(1, p.reps + 1):
        start = int(np.ceil((p.lead_in_s + (k - 1) * p.rep_duration) * fps - 1e-9)) - j0
        if p.exercise in ("step_up", "lunge"):
            end_t = p.lead_in_s + k * p.rep_duration
        else:
            end_t = p.lead_in_s + (k - 1) * p.rep_duration + p.descent_s + p.pause_bottom_s + p.ascent_s
        end = int(np.floor(end_t * fps + 1e-9)) - j0
        partial = start < 0 or (p.end_s is not None and end > n - 1)
        start, end = max(start, 0), min(end, n - 1)
        if end - start < 2:
            continue  # the crop shows (next to) nothing of this rep
        idx = np.arange(start, end + 1)
        if bilateral:
            flex = 0.5 * (np.array(series["left_knee_flexion_deg"], float)[idx]
                          + np.array(series["right_knee_flexion_deg"], float)[idx])
            working = "both"
        else:
            flex = np.array(series[f"{p.side}_knee_flexion_deg"], float)[idx].copy()
            working = p.side
            if p.exercise == "step_up":
                loaded = np.array([states[i].loaded for i in idx])
                flex[loaded < 0.95] = -np.inf
        deepest = int(idx[int(np.argmax(flex))])
        st = states[deepest]
        swing = {s: st.swing.get(s, 0.0) for s in SIDES}
        peak_frames: dict[str, int] = {}
        if p.valgus_timing != "bottom":
            # The swing peaks away from the deepest frame: label the rep by its largest swing.
            for s in SIDES:
                sw = np.array([states[i].swing.get(s, 0.0) for i in idx])
                peak_frames[s] = int(idx[int(np.argmax(sw))])
                swing[s] = float(sw.max())
        labels = [f"valgus {s}" for s in SIDES if swing[s] >= VALGUS_LABEL_SWING_DEG]
        # Pelvis and trunk labels from the 3D truth at the deepest frame.
        if not bilateral and (series[f"{p.side}_pelvic_drop_deg"][deepest] or 0) >= DROP_LABEL_DEG:
            labels.append(f"pelvic drop (stance {p.side})")
        for s in SIDES:
            if (series[f"{s}_trunk_lean_deg"][deepest] or 0) >= LEAN_LABEL_DEG:
                labels.append(f"trunk lean toward {s}")
        at_deepest = {
            key: series[key][deepest]
            for key in series
            if key not in ("frame", "time_s")
        }
        rep: dict[str, Any] = {
            "rep": k,
            "start_frame": start,
            "deepest_frame": deepest,
            "end_frame": end,
            "exercise": p.exercise,
            "working_leg": working,
            "labels": labels or ["good"],
            "knee_swing_deg": {s: _r(swing[s]) for s in SIDES},
            "at_deepest": at_deepest,
        }
        if peak_frames:
            rep["valgus_peak_frame"] = peak_frames
        if partial:
            rep["partial"] = True
        out.append(rep)
    return out


def render_sequence(name: str, parts: list[ClipSpec], out_dir: Path) -> dict[str, Any]:
    """Render ``parts`` one after another as ONE clip ``<name>.mp4`` with one truth file.

    A set that switches exercise or working leg (e.g. single-leg squats on the left leg, then on
    the right, then a double-leg squat). Every part must use the same body and camera. Each part
    starts and ends standing, but in its own stance (a single-leg squat stands on its stance leg
    with the free foot up), so the body changes stance within one frame between parts. The truth
    is the parts' truths joined: frames renumbered from 0, ``time_s`` continued, reps renumbered
    with their frame indices shifted; ``generator`` holds the body, the camera and each part's
    generator under ``parts`` (``motion`` is the first part's, for readers that expect one).
    The parts are rendered, then decoded and encoded once more into one stream (so the frames
    went through H.264 twice; at the default CRF the landmark model does not notice).
    """
    if not parts:
        raise ValueError("render_sequence needs at least one part")
    if len({(p.body, p.camera, p.seed, p.crf) for p in parts}) != 1:
        raise ValueError("all parts of a sequence must share body, camera, seed and crf")
    import tempfile

    import av

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cam = parts[0].camera
    video_path = out_dir / f"{name}.mp4"
    truths: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, part in enumerate(parts):
            spec = dataclasses.replace(part, name=f"part{k}")
            truths.append(render_clip(spec, Path(tmp)))
        container, stream = _open_writer(video_path, cam, parts[0].crf)
        try:
            for k in range(len(parts)):
                with av.open(str(Path(tmp) / f"part{k}.mp4")) as src:
                    for frame in src.decode(video=0):
                        img = frame.to_ndarray(format="rgb24")
                        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                            container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
    series: dict[str, list[Any]] = {}
    joints_2d: dict[str, list[Any]] = {}
    kps_2d: dict[str, list[Any]] = {}
    reps: list[dict[str, Any]] = []
    offset = 0
    for tr in truths:
        n = tr["n_frames"]
        for key, vals in tr["frames"].items():
            if key == "frame":
                vals = [offset + i for i in range(n)]
            elif key == "time_s":
                vals = [round((offset + i) / cam.fps, 4) for i in range(n)]
            series.setdefault(key, []).extend(vals)
        for src_d, dst in ((tr["joints_2d"], joints_2d), (tr["keypoints_2d"], kps_2d)):
            for key, vals in src_d.items():
                dst.setdefault(key, []).extend(vals)
        for r in tr["reps"]:
            r = dict(r, rep=len(reps) + 1)
            for key in ("start_frame", "deepest_frame", "end_frame"):
                r[key] += offset
            reps.append(r)
        offset += n
    generator = {"body": parts[0].body, "seed": parts[0].seed, "motion": truths[0]["generator"]["motion"],
                 "camera": dataclasses.asdict(cam), "parts": [tr["generator"] for tr in truths]}
    truth = _truth(video_path.name, cam, offset, generator, reps, series, joints_2d, kps_2d)
    (out_dir / f"{name}.truth.json").write_text(json.dumps(truth, separators=(",", ":")) + "\n")
    return truth
