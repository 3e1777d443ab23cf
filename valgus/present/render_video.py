"""annotated.mp4: a second decoding pass drawing the final (smoothed) landmarks, per-leg FPPA and
each rep's status, so the video shows exactly the numbers in frames.csv and reps.json.

The pass is made cheap rather than avoided (docs/speed.md, "The annotated video"): keeping the
first pass's frames for it would hold 1.4 MB per frame at 720x1280 (830 MB for a 20 s phone clip),
and drawing during the first pass cannot show the final smoothed values. FFmpeg scales each frame
straight to limited-range I420 (half the CPU of scaling to RGB), the decoder skips the deblocking
filter (a quarter less decoding; the picture is scaled down anyway) and x264 runs its
:data:`PRESET`.
"""

from __future__ import annotations

import logging
from pathlib import Path
import numpy as np

import cv2

from valgus.engine import Analysis
from valgus.io.video import VideoSource, VideoWriter
from valgus.present.annotate import Annotator
from valgus.pose import release_free_heap
from valgus.present.overlay import knee_marks
from valgus.scoring.camera import effective_fps

log = logging.getLogger(__name__)

#: x264 preset of annotated.mp4 (see docs/speed.md for the measured CPU and file sizes)
PRESET = "ultrafast"
#: x264 quality (constant rate factor): 23 is x264's default
CRF = 23


def write_annotated(
    analysis: Analysis, path: str | Path, *, progress: bool = False, max_side: int | None = None
) -> Path:
    """Draw ``analysis`` onto its video and write ``path`` (H.264).

    ``max_side``: if set, the annotated video is written with its longer side at most this many
    pixels (the decoder scales; landmarks are scaled to match). Encoding dominates this pass on
    phone clips (1080x1920), so a smaller output is several times faster to write.
    """
    cfg = analysis.config
    m = analysis.metrics
    frame_to_row = {int(f): i for i, f in enumerate(m["frame"])}
    res = analysis.result
    reps = res.reps
    clip_exercise = reps[0].exercise if len({r.exercise for r in reps}) == 1 else None
    ann = Annotator()
    info = analysis.info
    fps = effective_fps(info, cfg)
    out: VideoWriter | None = None
    scale = np.ones(2)
    release_free_heap()  # the pose models' buffers, before the encoder's (peak RSS on phone clips)
    try:
        # Encoding is this pass's bottleneck (x264 on both cores): one decoder thread and a short
        # queue keep up with it and hold less memory (about 25 MB less at 1080x1920).
        with VideoSource(
            analysis.source, stride=cfg.video.stride, max_fps=cfg.video.max_fps or None, max_side=max_side or None,
            prefetch=2, threads=1, pixels="i420", deblock=False,
        ) as src:
            frames = src
            if progress:
                from tqdm import tqdm

                frames = tqdm(src, total=len(m["frame"]), unit="frame", desc="annotated.mp4", leave=False, disable=None)
            for fr in frames:
                img = cv2.cvtColor(fr.image, cv2.COLOR_YUV2RGB_I420)  # a fresh array: drawn on in place
                if out is None:
                    h, w = img.shape[:2]
                    out = VideoWriter(path, w, h, fps, crf=CRF, preset=PRESET)
                    scale = np.array([w / info.width, h / info.height])
                i = frame_to_row.get(fr.index)
                if i is None:
                    out.write(img)
                    continue
                xy = analysis.track.xy[i]
                if max_side:
                    xy = xy * scale
                lines = [f"t={fr.t:5.2f}s"]
                exercise = clip_exercise
                for r in reps:
                    if r.frame_start <= fr.index <= r.frame_end:
                        exercise = r.exercise
                        tag = r.worst("dynamic_knee_valgus")
                        lines.append(f"rep {r.number} {r.exercise.replace('_', ' ')} ({r.working_leg}): valgus {tag}")
                        if fr.index == r.frame_deepest:
                            lines.append("deepest point")
                if not analysis.track.detected[i]:
                    lines.append("no person")
                row = {k: float(m[k][i]) for k in ("left_fppa_deg", "right_fppa_deg", "knee_hip_sep_ratio")}
                out.write(ann.annotate(img, xy, knee_marks(row, exercise, res.baseline, cfg.thresholds), lines))
    finally:
        if out is None:  # no frame decoded: still leave a (frameless) file, as before
            out = VideoWriter(path, info.width, info.height, fps)
        out.close()
    return Path(path)
