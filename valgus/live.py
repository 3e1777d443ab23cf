"""``valgus live``: webcam check with skeleton overlay and cues.

The same engine as ``analyze``: MediaPipe in VIDEO mode, the same subject selector, metrics and
scoring. Differences: frames come from a camera, their media time is the capture time, and
landmarks are smoothed causally (One-Euro) because the future is not known yet; the numbers can
therefore read a little lower at the bottom of fast reps than ``analyze`` on a recording of the
same movement. The window shows a mirror image (what people expect of a webcam) but the frames
analysed are the camera's own, so left and right are the subject's.

GUI calls (``cv2.imshow``/``waitKey``) live only in :class:`Display`.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from valgus.config import Config, override
from valgus.errors import CameraError
from valgus.video import Frame

log = logging.getLogger(__name__)


class CameraSource:
    """Frames from a webcam (index), a stream URL/device path, or a video file played as if live.

    Media time is the capture time for cameras and streams; for a file it is the file's own
    timestamps, so a recording replayed through ``live`` gives the same reps at any speed.
    """

    def __init__(self, spec: str, width: int = 1280, height: int = 720, *, max_failures: int = 30) -> None:
        import cv2

        self._cv2 = cv2
        try:  # OpenCV prints multi-line probe warnings for a missing camera; our error says it once
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        except AttributeError:  # pragma: no cover
            pass
        dev: int | str = int(spec) if spec.isdigit() else spec
        self.cap = cv2.VideoCapture(dev)
        if not self.cap.isOpened():
            raise CameraError(f"camera {spec!r} cannot be opened (is it connected and not used by another program?)")
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.spec = spec
        self.is_file = Path(spec).is_file()
        self.max_failures = max_failures
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 30.0) or 30.0

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        fails = 0
        i = 0
        while True:
            ok, bgr = self.cap.read()
            if (not ok or bgr is None) and self.is_file:
                return  # end of the recording
            if not ok or bgr is None:
                fails += 1
                if fails >= self.max_failures:
                    raise CameraError(f"camera {self.spec!r} stopped delivering frames (unplugged?)")
                time.sleep(0.01)
                continue
            fails = 0
            if self.is_file:  # the file's frame clock (constant frame rate, as analyze decodes it)
                t = i / self.fps
            else:  # live media time = capture time since the start of the session
                t = time.monotonic() - t0
            yield Frame(i, t, self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB))
            i += 1

    def close(self) -> None:
        self.cap.release()


class Display:
    """The only place with GUI calls."""

    def __init__(self, title: str = "valgus live (q to quit)") -> None:
        import cv2

        self._cv2 = cv2
        self.title = title

    def show(self, rgb: np.ndarray) -> bool:
        """Show a frame (mirrored for the user); False when the user asked to quit."""
        cv2 = self._cv2
        cv2.imshow(self.title, cv2.cvtColor(np.ascontiguousarray(rgb[:, ::-1]), cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        return key not in (ord("q"), 27)

    def close(self) -> None:
        self._cv2.destroyAllWindows()


def _session(ts: list, idx: list, people: list, counts: list, info: object, cfg: Config, sel: object,
             exercise: str | None) -> object | None:
    """Analyse and score the session so far with the shared engine; None when nobody was seen."""
    from valgus.pipeline import Analysis, analyze_track
    from valgus.scoring import score_clip
    from valgus.types import PoseTrack
    from valgus.video import DecodeStats

    raw = PoseTrack.from_people(ts, idx, people, counts)
    if not raw.detected.any():
        return None
    track, metrics = analyze_track(raw, info, cfg)  # type: ignore[arg-type]
    a = Analysis("camera", info, cfg, raw, track, metrics, DecodeStats(),  # type: ignore[arg-type]
                 sel.frames_with_several, sel.switches, {})  # type: ignore[attr-defined]
    a.reps = score_clip(a, exercise=exercise)
    return a


def run_live(args: argparse.Namespace, cfg: Config) -> int:
    """Run the webcam check; prints cues per rep and a verdict at the end."""
    from valgus.annotate import Annotator
    from valgus.pipeline import open_estimator
    from valgus.pose import SubjectSelector
    from valgus.report import rep_table
    from valgus.smoothing import OneEuro
    from valgus.types import PersonPose, VideoInfo

    cfg = override(cfg, "smoothing", kind="causal")
    cam = CameraSource(args.camera, args.width, args.height)
    display = None if args.no_display else Display()
    est = open_estimator(cfg, allow_download=args.download_model)
    sel = SubjectSelector()
    ann = Annotator()
    filt = OneEuro()
    ts: list[float] = []
    idx: list[int] = []
    people: list[PersonPose | None] = []
    counts: list[int] = []
    info: VideoInfo | None = None
    n_reps_seen = 0
    last_cue = ""
    try:
        for fr in cam:
            h, w = fr.image.shape[:2]
            if info is None:
                info = VideoInfo(None, w, h, cam.fps, None, None, "camera", source="camera")
            poses = est(fr.image, fr.t, fr.index)
            subj = sel.select(poses)
            ts.append(fr.t)
            idx.append(fr.index)
            people.append(subj)
            counts.append(len(poses.people))
            xy = filt.step(fr.t, subj.xy) if subj is not None else np.full((33, 2), np.nan)
            # re-score the session so far every half second of media time (cheap: NumPy only)
            if len(ts) >= 10 and (len(ts) % max(1, int(cam.fps // 2)) == 0):
                a = _session(ts, idx, people, counts, info, cfg, sel, args.exercise)
                if a is not None:
                    res = a.reps
                    done = [r for r in res.reps if not r.partial]
                    if len(done) > n_reps_seen:
                        n_reps_seen = len(done)
                        r = done[-1]
                        last_cue = f"rep {r.number}: valgus {r.worst('dynamic_knee_valgus')}"
                        if r.worst("dynamic_knee_valgus") in ("mild", "marked"):
                            last_cue += " - push your knees out over your toes"
                        log.info("%s", last_cue)
            if display is not None:
                vals = {}
                if subj is not None:
                    from valgus.geometry import fppa_deg
                    from valgus.landmarks import leg

                    for s in ("left", "right"):
                        L = leg(s)
                        vals[f"{s}_fppa_deg"] = float(fppa_deg(xy[L["hip"]], xy[L["knee"]], xy[L["ankle"]], xy[L["other_hip"]]))
                lines = ["no person in view" if subj is None else f"reps: {n_reps_seen}", last_cue]
                img = ann.annotate(fr.image.copy(), xy, vals, [x for x in lines if x])
                if not display.show(img):
                    break
            if args.max_seconds and fr.t >= args.max_seconds:
                break
    except KeyboardInterrupt:
        pass
    finally:
        cam.close()
        est.close()
        if display is not None:
            display.close()
    a = _session(ts, idx, people, counts, info, cfg, sel, args.exercise) if info is not None else None
    if a is None:
        print("no person was seen during the session")
        return 1
    metrics = a.metrics
    print(rep_table(a.reps))
    print(f"VERDICT: {a.reps.verdict}")
    for reason in a.reps.reasons:
        print(f"  - {reason}")
    if args.record:
        from valgus.outputs import prepare_outdir, write_frames_csv, write_json

        out = prepare_outdir(Path(args.record), force=getattr(args, "force", False))
        write_frames_csv(metrics, out / "frames.csv")
        write_json(a.reps.to_dict(cfg), out / "reps.json")
    return 0
