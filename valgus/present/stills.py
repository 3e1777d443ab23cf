"""Rep stills for the HTML report: each rep's worst frame with the overlay, cropped to the legs.

:func:`worst_frame` decides which frame (pure NumPy over the per-frame metrics); :func:`read_frames`
decodes just those frames (one pass, stops after the last one); :func:`leg_still` draws the
overlay with :class:`valgus.present.annotate.Annotator`, labels each leg as the subject's own, and crops.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np

from valgus.io.seek import iter_frames_at
from valgus.io.video import VideoSource
from valgus.landmarks import LM, SIDES, leg
from valgus.present.annotate import Annotator, KneeMark
from valgus.types import VideoInfo

log = logging.getLogger(__name__)

R = TypeVar("R")

#: Longest side of a still in pixels (about twice its size on a phone screen, for sharpness).
STILL_MAX_SIDE = 560
JPEG_QUALITY = 82
#: At most this many rep stills in a report (the reps where the knee came in most): a
#: 10-minute live session of 180 reps held 180 full frames at once (~500 MB) and took 36 s.
STILLS_MAX = 24


def rep_rows(metrics: dict[str, np.ndarray], rep: Any) -> np.ndarray:
    """Row indices of ``metrics`` (frames.csv rows) inside ``rep`` (frame_start..frame_end)."""
    f = metrics["frame"]
    return np.flatnonzero((f >= rep.frame_start) & (f <= rep.frame_end))


def worst_frame(metrics: dict[str, np.ndarray], rep: Any) -> int:
    """The frame (source frame number) of ``rep`` where the knee caves most.

    The measure is FPPA change from the leg's standing value (``rep.values[leg]
    ["fppa_deg_standing"]``; raw FPPA when there is none), the larger over the rep's working
    leg(s), searched over the half of the rep nearest the deepest frame in hip height (knees can
    come in mid-descent and go back out at the bottom, so the worst frame is not always the
    deepest; but a good rep's largest value is often at its very start, standing, which shows
    nothing). Falls back to the deepest frame when FPPA is never measurable there.
    """
    rows = rep_rows(metrics, rep)
    if rows.size == 0:
        return int(rep.frame_deepest)
    hip = metrics["hip_above_floor"][rows]
    deep = int(np.searchsorted(metrics["frame"], rep.frame_deepest))
    if np.isfinite(hip).any() and deep < len(metrics["frame"]) and np.isfinite(metrics["hip_above_floor"][deep]):
        dist = np.abs(hip - metrics["hip_above_floor"][deep])
        far = np.nanmax(dist)
        with np.errstate(invalid="ignore"):
            near = dist <= 0.5 * far
        if near.any():
            rows = rows[near]
    legs = SIDES if rep.working_leg == "both" else (rep.working_leg,)
    cols = []
    for s in legs:
        ref = rep.values.get(s, {}).get("fppa_deg_standing", float("nan"))
        col = metrics[f"{s}_fppa_deg"][rows]
        cols.append(col - ref if np.isfinite(ref) else col)
    score = np.vstack(cols)
    if not np.isfinite(score).any():
        return int(rep.frame_deepest)
    best = np.nanmax(np.where(np.isfinite(score), score, -np.inf), axis=0)
    return int(metrics["frame"][rows[int(np.argmax(best))]])


def read_frames(path: str | Path, frames: dict[int, float]) -> dict[int, np.ndarray]:
    """Decode the frames ``frames`` (frame number -> media time, as in frames.csv) as upright RGB
    arrays at the source's full size (all held at once: for a few frames), as
    :func:`render_frames` finds them."""
    return render_frames(path, frames, lambda _i, img: img, workers=1)


def render_frames(path: str | Path, frames: dict[int, float], render: Callable[[int, np.ndarray], R], *,
                  workers: int = 2, deblock: bool = True, info: VideoInfo | None = None) -> dict[int, R]:
    """``render(frame, image)`` for each frame of ``frames`` (frame number -> media time), each
    decoded frame reduced at once (a full frame is held only while it is rendered), by seeking
    (:func:`valgus.io.seek.iter_frames_at`) in up to ``workers`` threads, each with its own
    decoder over a consecutive stretch of the frames (FFmpeg and OpenCV release the GIL); any
    frame not found by seeking is decoded from the start. Frames that do not exist are left out.
    ``deblock=False``: the decoder skips its deblocking filter (a fifth less decoding; for stills
    scaled down, as the annotated video's frames are). ``info``: the clip's header as the analysis
    read it (the decoders do not decode its first frame again for the rotation)."""
    out: dict[int, R] = {}
    if not frames:
        return out
    order = sorted(frames, key=lambda i: frames[i])
    k = max(1, min(workers, len(order)))
    parts = [order[j * len(order) // k:(j + 1) * len(order) // k] for j in range(k)]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(part: list[int]) -> None:
        by_t = {float(frames[i]): i for i in part}
        try:
            for t, img in iter_frames_at(path, by_t, deblock=deblock, info=info):
                b = render(by_t[t], img)
                with lock:
                    out[by_t[t]] = b
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,), name=f"valgus-stills-{j}", daemon=True)
               for j, p in enumerate(parts[1:], 1)]
    for th in threads:
        th.start()
    work(parts[0])
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    missing = set(frames) - set(out)
    if missing:
        log.debug("%s: %d frame(s) not found by seeking; decoding from the start", path, len(missing))
        last = max(missing)
        with VideoSource(path, prefetch=0, only=missing, deblock=deblock, info=info) as src:
            for fr in src:
                if fr.index in missing:
                    out[fr.index] = render(fr.index, fr.image)
                if fr.index >= last:
                    break
    return out


def pick_reps(reps: list[Any], limit: int = STILLS_MAX) -> list[Any]:
    """The reps to show a still of: all of them up to ``limit``; beyond, the ``limit`` reps with
    the worst knee-valgus category (earlier reps first among equals), in rep order."""
    if len(reps) <= limit:
        return list(reps)
    from valgus.scoring.results import CATEGORY_ORDER

    def rank(r: Any) -> tuple[int, int]:
        assessed = any(f.assessed for f in r.flags if f.name == "dynamic_knee_valgus")
        return (-(CATEGORY_ORDER[r.worst("dynamic_knee_valgus")] + 1 if assessed else 0), r.number)

    keep = {r.number for r in sorted(reps, key=rank)[:limit]}
    return [r for r in reps if r.number in keep]


def leg_box(xy: np.ndarray, shape: tuple[int, int], *, pad: float = 0.15, aspect: float = 0.8) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` around both legs' hip, knee, ankle, heel and toe, padded by ``pad``
    of the legs' height (twice that below the feet, room for the labels), widened or heightened
    to ``aspect`` (width / height) so that stills line up in a grid, and clamped to the image;
    the whole image when no leg landmark is finite."""
    h, w = shape
    idx = [leg(s)[k] for s in SIDES for k in ("hip", "knee", "ankle", "heel", "toe")]
    p = xy[idx]
    p = p[np.isfinite(p).all(axis=1)]
    if p.size == 0:
        return 0, 0, w, h
    (ax, ay), (bx, by) = p.min(axis=0), p.max(axis=0)
    m = pad * max(by - ay, 1.0)
    x0, x1, y0, y1 = ax - m, bx + m, ay - m, by + 2 * m
    bw, bh = x1 - x0, y1 - y0
    if bw < aspect * bh:  # too narrow: widen about the centre
        cx = 0.5 * (x0 + x1)
        x0, x1 = cx - 0.5 * aspect * bh, cx + 0.5 * aspect * bh
    else:  # too wide: add height above the hips
        y0 = y1 - bw / aspect
    # shift into the image rather than cut, then clamp
    dx = max(0.0, -x0) - max(0.0, x1 - w)
    dy = max(0.0, -y0) - max(0.0, y1 - h)
    x0, x1, y0, y1 = x0 + dx, x1 + dx, y0 + dy, y1 + dy
    X0, X1, Y0, Y1 = int(max(0, x0)), int(min(w, x1)), int(max(0, y0)), int(min(h, y1))
    if X1 - X0 < 8 or Y1 - Y0 < 8:
        return 0, 0, w, h
    return X0, Y0, X1, Y1


def leg_still(image: np.ndarray, xy: np.ndarray, knees: dict[str, KneeMark]) -> np.ndarray:
    """The overlay on ``image`` (a copy; ``knees``: each knee's category and label, as the
    annotated video draws them), LEFT/RIGHT written under each foot (the subject's own side, as
    the landmarks are), cropped to the legs and scaled to at most :data:`STILL_MAX_SIDE`."""
    ann = Annotator()
    img = ann.annotate(np.ascontiguousarray(image).copy(), xy, knees, [])
    h, w = img.shape[:2]
    x0, y0, x1, y1 = leg_box(xy, (h, w))
    # widen the crop to the knees' labels (drawn right of each knee), so that none is cut off
    for side, knee in (("left", LM.LEFT_KNEE), ("right", LM.RIGHT_KNEE)):
        mark = knees.get(side)
        if mark is not None and mark.label and np.isfinite(xy[knee]).all():
            x1 = max(x1, min(w, ann.knee_label_right(img.shape, xy[knee], mark.label) + 4))
    s = max(1.0, (y1 - y0) / 500.0)  # text size for the crop, not the whole frame
    thick = max(1, int(round(1.5 * s)))
    for side in SIDES:
        L = leg(side)
        foot = xy[[L["ankle"], L["heel"], L["toe"]]]
        foot = foot[np.isfinite(foot).all(axis=1)]
        if foot.size == 0:
            continue
        text = side.upper()
        scale = 0.6 * s
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        cx, bottom = float(np.mean(foot[:, 0])), float(np.max(foot[:, 1]))
        org = (int(np.clip(cx - tw / 2, x0 + 2, max(x0 + 2, x1 - tw - 2))), int(min(y1 - 4, bottom + 10 * s + th)))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    crop = img[y0:y1, x0:x1]
    k = STILL_MAX_SIDE / max(crop.shape[:2])
    if k < 1.0:
        crop = cv2.resize(crop, (max(1, int(crop.shape[1] * k)), max(1, int(crop.shape[0] * k))),
                          interpolation=cv2.INTER_AREA)
    return crop


def encode_jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """JPEG bytes of an RGB image."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV failing to encode a valid array
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


__all__ = ["STILLS_MAX", "encode_jpeg", "leg_box", "leg_still", "pick_reps", "read_frames", "render_frames",
           "rep_rows", "worst_frame"]
