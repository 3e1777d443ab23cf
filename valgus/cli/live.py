"""``valgus live``: a webcam check, a thin driver over the engine's causal :class:`Session`.

Frames come from a camera (media time = capture time) or a replayed file; each frame goes
through :meth:`Session.update` (pose, causal smoothing, metrics, reps scored as they end); the
window shows a mirrored preview with readable text. On exit by any route the session is written
as ``analyze`` writes a clip (``--record``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from valgus.config import Config

log = logging.getLogger(__name__)


def run_live(args: argparse.Namespace, cfg: Config) -> int:
    """Run the webcam check; prints a cue per rep and the verdict at the end."""
    display = None
    if not args.no_display:
        from valgus.io.display import Display  # cv2 before PyAV: see valgus.io.display

        display = Display()
    from valgus.engine import Session, open_estimator
    from valgus.io.camera import CameraSource
    from valgus.present import words
    from valgus.present.annotate import Annotator
    from valgus.present.overlay import knee_marks
    from valgus.present.report import rep_table
    from valgus.types import VideoInfo

    cam = CameraSource(args.camera, args.width, args.height)
    est = open_estimator(cfg, allow_download=args.download_model)
    ann = Annotator(mirrored=True)
    session: Session | None = None
    last_cue = ""
    try:
        for fr in cam:
            if session is None:
                h, w = fr.image.shape[:2]
                info = VideoInfo(None, w, h, cam.fps, None, None, "camera", source="camera")
                session = Session(cfg, info, est, mode="causal", exercise=args.exercise)
            upd = session.update(fr)
            if upd.rep is not None:
                r = upd.rep
                last_cue = f"rep {r.number} ({r.working_leg}): valgus {r.worst('dynamic_knee_valgus')}"
                log.info("%s", last_cue)
            if display is not None:
                live = session.live
                marks = knee_marks(upd.metrics, args.exercise or (live.reps[-1].exercise if live.reps else None),
                                   live.baseline, session.config.thresholds)
                lines = ["no person in view" if upd.subject is None else f"reps: {len(live.reps)}", last_cue]
                img = ann.annotate(fr.image[:, ::-1].copy(), upd.xy, marks, [x for x in lines if x])
                key = display.show(img)
                if key is None or key in (ord("q"), 27):
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
    if session is None or len(session) == 0:
        print("no frames were captured")
        return 1
    from valgus.errors import NoPersonError

    try:
        a = session.finish(source=args.camera)
    except NoPersonError:
        print("no person was seen during the session")
        return 1
    print(rep_table(a.result))
    print(f"VERDICT: {a.result.verdict}")
    for reason in words.reasons(a.result):
        print(f"  - {reason}")
    if args.record:
        from valgus.io.sinks import prepare_outdir
        from valgus.present.outputs import write_outputs

        out = prepare_outdir(Path(args.record), force=getattr(args, "force", False))
        write_outputs(a, out, write_video=False)
    return 0
