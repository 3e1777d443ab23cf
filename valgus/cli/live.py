"""``valgus live``: a webcam check, a thin driver over the engine's causal :class:`Session`.

Frames come from :class:`~valgus.io.capture.Capture` (its own thread; the newest frame wins, so
a slow machine drops frames instead of falling behind the camera) out of a camera (media time =
capture time) or a replayed file (its own clock; ``--realtime`` paces it at its frame rate, and
without it every frame is analysed, as ``analyze`` does). Each frame goes through
:meth:`Session.update` (pose, causal smoothing, metrics, reps scored as they end) and
:class:`~valgus.present.live_state.LiveState` (set-up guide -> standing calibration ->
exercising); the window shows a mirrored preview with readable text.

On exit by any route (q, Ctrl-C, the window closed, the camera lost, ``--max-seconds``, the end
of a replayed file) the session is written as ``analyze`` writes a clip (``--record DIR``).
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valgus.config import Config

log = logging.getLogger(__name__)

#: Every how many seconds of media time the camera check runs while exercising (every frame
#: during the set-up guide and the calibration).
CHECK_EVERY_S = 0.5
#: The guide's spoken advice is repeated after this many seconds if nothing changed.
GUIDE_REPEAT_S = 6.0
#: The session's own numbers (fps, latency, dropped frames), next to the clip's files.
STATS_FILE = "live.json"
#: A camera's frames as analysed, recorded for annotated.mp4 (a replayed file is re-decoded).
CAMERA_FILE = "camera.mp4"


@dataclass
class _Screen:
    """What stays on screen between frames (the last cue, one-off messages)."""

    cue: str = ""
    cue_level: str = "none"
    message: str = ""
    message_until: float = -1.0
    warning: str | None = None
    next_check_t: float = 0.0
    mirrored: bool = True
    paused: bool = False
    spoken_advice: str | None = None
    guide_said: str | None = None
    spoken_t: float = float("-inf")
    events: list[dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, t: float, seconds: float) -> None:
        self.message, self.message_until = text, t + seconds


class _Terminated(Exception):
    """SIGTERM (``kill``, a logout, a test's timeout): end the session like q, writing it."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def run_live(args: argparse.Namespace, cfg: Config) -> int:
    """Run the webcam check; prints the rep table and the verdict at the end."""
    import signal
    import threading

    from valgus.errors import UsageError

    if not args.hold_seconds > 0:
        raise UsageError(f"--hold-seconds must be more than 0, got {args.hold_seconds:g}")
    if args.max_seconds is not None and not args.max_seconds > 0:
        raise UsageError(f"--max-seconds must be more than 0, got {args.max_seconds:g}")
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _run_display(args, cfg)
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _run_display(args: argparse.Namespace, cfg: Config) -> int:
    display = None
    if not args.no_display:
        # cv2's GUI before anything loads PyAV (valgus.io.display explains the libxcb clash)
        from valgus.io.display import Display

        display = Display()
    try:
        return _run(args, cfg, display)
    finally:
        if display is not None:
            display.close()


def _run(args: argparse.Namespace, cfg: Config, display: Any) -> int:
    from valgus.engine import Session, open_estimator
    from valgus.errors import CameraError, NoPersonError, VideoError
    from valgus.io.camera import CameraSource
    from valgus.io.capture import Capture, FrameMeter
    from valgus.io.sinks import prepare_outdir, write_json
    from valgus.io.video import Frame, VideoWriter
    from valgus.present import live_words as lw
    from valgus.present.live_state import LiveState, LiveTiming, posture
    from valgus.present.live_view import LiveView

    cam = CameraSource(args.camera, args.width, args.height)
    out = None
    try:
        if args.record:  # before the session: an existing folder must not cost a whole session
            out = prepare_outdir(Path(args.record), force=args.force)
        speaker = None
        if args.speak:
            from valgus.io.speech import Speaker

            speaker = Speaker()
            if not speaker.available:
                print("valgus: note: --speak needs espeak-ng (Debian: apt install espeak-ng); no spoken cues")
                speaker = None
        from valgus.pose import limit_malloc_arenas

        limit_malloc_arenas()
        est = open_estimator(cfg, allow_download=args.download_model)
    except BaseException:
        cam.close()
        raise
    session = Session(cfg, cam.info, est, mode="causal", exercise=args.exercise)
    live = session.live
    assert live is not None
    state = LiveState(LiveTiming(hold_s=args.hold_seconds))
    view = LiveView(mirrored=not args.no_mirror)
    scr = _Screen(mirrored=not args.no_mirror)
    meter = FrameMeter()
    paced = cam.is_file and args.realtime
    capture = Capture(cam, paced=paced, lossless=cam.is_file and not args.realtime)
    recorder = None
    record_video = out is not None and not args.no_video and not cam.is_file
    reason = "end of the recording"
    status = 0
    n = 0
    last_img = None
    t_first: float | None = None
    try:
        for item in capture:
            t_work = time.monotonic()
            fr = item.frame
            if not cam.is_file:  # a camera's rows are the frames analysed (= camera.mp4's frames)
                fr = Frame(n, fr.t, fr.image)
            if t_first is None:
                t_first = fr.t
            if record_video:
                if recorder is None:
                    h, w = fr.image.shape[:2]
                    recorder = VideoWriter(out / CAMERA_FILE, w, h, cam.info.fps)
                recorder.write(fr.image)
            upd = session.update(fr)
            n += 1
            row = live.n - 1
            checking = state.phase != "exercise" or fr.t >= scr.next_check_t
            problems = tuple(f.code for f in live.setup_problems()) if checking else None
            if checking:
                scr.next_check_t = fr.t + CHECK_EVERY_S
                scr.warning = lw.exercise_warning(problems or ()) if state.phase == "exercise" else None
            step = state.update(fr.t, row, problems if problems is not None else (), posture(upd.xy),
                                rep_ended=upd.rep is not None)
            if step.calibrate is not None:
                live.calibrate(*step.calibrate)
                scr.events.append({"t": fr.t, "event": "calibrated", "rows": list(step.calibrate)})
            if step.entered == "exercise":
                scr.say(lw.CALIBRATED if step.calibrated else lw.UNCALIBRATED, fr.t, state.timing.message_s)
                if speaker and step.calibrated:
                    speaker.say(lw.SPOKEN_PHASE["exercise"])
            elif step.entered == "calibrate" and speaker:
                speaker.say(lw.SPOKEN_PHASE["calibrate"])
            if step.phase == "guide" and problems is not None:
                said = lw.guide_lines(problems)[0]
                if said != scr.guide_said:
                    scr.guide_said = said
                    scr.events.append({"t": fr.t, "event": "guide", "problems": list(problems), "said": said})
            if speaker and step.phase == "guide" and problems is not None:
                advice = lw.spoken_guide(problems)  # said when it changes, or again after a while
                if advice and (advice != scr.spoken_advice or fr.t - scr.spoken_t >= GUIDE_REPEAT_S):
                    speaker.say(advice)
                    scr.spoken_advice, scr.spoken_t = advice, fr.t
            if step.entered is not None:
                scr.events.append({"t": fr.t, "event": "phase", "phase": step.entered, "problems": list(step.problems)})
            if step.moved:
                scr.say(lw.MOVED, fr.t, 1.0)
            if upd.rep is not None:
                cue = lw.rep_cue(upd.rep, number=len(live.reps))
                scr.cue, scr.cue_level = cue.text, cue.level
                scr.events.append({"t": fr.t, "event": "rep", "t_deepest": upd.rep.t_deepest, "cue": cue.text})
                log.info("%s", cue.text)
                if speaker:
                    speaker.say(cue.spoken)
            if speaker:
                speaker.poll()
            if display is not None:
                last_img = _draw(view, fr.image, upd, session, state, step, scr, meter, capture, args)
                # painted by the display's thread; latency to the moment it was on screen
                key = display.show(last_img, (item.t_capture, time.monotonic() - t_work))
                for (t_cap, cost), painted in display.painted():
                    meter.add(painted, painted - t_cap, cost)
                stop = _keys(key, display, scr, state, live, view, fr.t, last_img, speaker)
                if stop:
                    reason = stop
                    break
            else:
                shown = time.monotonic()
                meter.add(shown, shown - item.t_capture, shown - t_work)
            if args.max_seconds and fr.t - t_first >= args.max_seconds:
                reason = f"--max-seconds {args.max_seconds:g}"
                break
    except KeyboardInterrupt:
        reason = "Ctrl-C"
    except _Terminated:
        reason = "terminated (SIGTERM)"
    except CameraError as exc:
        reason = f"camera lost ({exc})"
        status = 1
    except VideoError as exc:
        reason = f"replay stopped ({exc})"
        status = 1
    finally:
        capture.close()
        cam.close()
        est.close()
        if recorder is not None:
            recorder.close()
        if speaker:
            speaker.close()
    print(f"valgus: live stopped: {reason}; {n} frames analysed, "
          f"{capture.stats.dropped} dropped")
    if len(session) == 0:
        print("valgus: no frames were captured; nothing written")
        return 1
    try:
        a = session.finish(source=str(out / CAMERA_FILE) if recorder is not None else args.camera)
    except NoPersonError:
        print("valgus: no person was seen during the session; nothing written")
        return 1
    from valgus.present.report import rep_table
    from valgus.present import words

    print(rep_table(a.result))
    print(f"VERDICT: {a.result.verdict}")
    for r in words.reasons(a.result):
        print(f"  - {r}")
    summary = {"source": "file" if cam.is_file else "camera", "realtime": bool(paced or not cam.is_file),
               "stopped_by": reason, "frames_analysed": n, "width": cam.info.width, "height": cam.info.height,
               "nominal_fps": cam.info.fps, **meter.summary(capture.stats),
               "clock_start": capture.clock_start,  # time.monotonic() at media time 0 (to match screenshots)
               "events": scr.events,
               # frames handed to the window but replaced by a newer one before it painted them
               "frames_replaced_before_painting": display.replaced if display is not None else 0}
    if out is not None:
        from valgus.present.outputs import write_outputs

        write_video = not args.no_video and (cam.is_file or recorder is not None)
        write_outputs(a, out, write_video=write_video, progress=not args.quiet)
        write_json(summary, out / STATS_FILE)
        print(f"session written to {out}")
    else:
        print("session not written (pass --record DIR to keep frames.csv, reps.json, the report and the video)")
    return status


def _draw(view: Any, image: Any, upd: Any, session: Any, state: Any, step: Any, scr: _Screen, meter: Any,
          capture: Any, args: argparse.Namespace) -> Any:
    from valgus.present import live_words as lw
    from valgus.present.live_view import AMBER, GREEN, RED, Banner, LiveFrame
    from valgus.present.overlay import knee_marks

    live = session.live
    t = upd.t
    banner = None
    if step.phase == "guide":
        lines = lw.guide_lines(step.problems)
        bad = bool(step.problems)
        banner = Banner((f"{lw.GUIDE_TITLE}: {lines[0]}", *lines[1:3]), RED if bad else GREEN)
    elif step.phase == "calibrate":
        sub = scr.message if t < scr.message_until else lw.HOLD_STILL
        banner = Banner((lw.HOLD_STILL if sub == lw.HOLD_STILL else sub,), GREEN if sub == lw.HOLD_STILL else AMBER,
                        big=lw.countdown_text(step.countdown or 0.0))
    elif t < scr.message_until:
        banner = Banner((scr.message,), GREEN if state.calibrated else AMBER)
    exercise = args.exercise or (live.reps[-1].exercise if live.reps else None)
    knees = knee_marks(upd.metrics, exercise, live.baseline, session.config.thresholds) if upd.subject is not None else {}
    fps, lat = meter.rates()
    status = [lw.reps_line(live.reps)]
    if scr.warning:
        status.append(scr.warning)
    frame = LiveFrame(banner=banner, cue=scr.cue, cue_level=scr.cue_level, status=tuple(status),
                      corner=tuple(lw.stats_lines(fps, lat, capture.stats.dropped)), keys=lw.KEYS_LINE, knees=knees)
    view.mirrored = scr.mirrored
    return view.render(image, upd.xy, frame)


def _keys(key: int | None, display: Any, scr: _Screen, state: Any, live: Any, view: Any, t: float, last_img: Any,
          speaker: Any) -> str | None:
    """Act on a key; returns why to stop, or None. Space pauses here until pressed again."""
    from valgus.present import live_words as lw

    while True:
        if key is None:
            return "window closed"
        if key in (ord("q"), 27):
            return "q"
        if key == ord("c"):
            state.recalibrate()
            scr.say(lw.RECALIBRATE, t, state.timing.message_s)
            scr.events.append({"t": t, "event": "recalibrate"})
        elif key == ord("r"):
            live.reset()
            state.reset()
            scr.cue, scr.cue_level = "", "none"
            scr.say(lw.RESET, t, state.timing.message_s)
            scr.events.append({"t": t, "event": "reset"})
        elif key == ord("m"):
            scr.mirrored = not scr.mirrored
        elif key == ord(" "):
            scr.paused = not scr.paused
            scr.events.append({"t": t, "event": "pause" if scr.paused else "resume"})
        if not scr.paused:
            return None
        if speaker:
            speaker.poll()
        key = display.show(view.paused(last_img, lw.PAUSED))
        time.sleep(0.03)
