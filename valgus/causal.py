"""The causal half of the engine: measure each frame and score each rep the moment it ends.

Used by :class:`valgus.engine.Session` in ``mode="causal"`` (``valgus live``). Every step costs
constant time per frame: a causal One-Euro filter (RESEARCH.md: MediaPipe has no temporal
smoothing; live needs a causal filter), the same per-frame metrics as a recorded clip
(:func:`valgus.kinematics.metrics.compute_metrics` on one frame, with the clip-wide references,
leg length, thigh length and floor line, replaced by running estimates over the last
``window_s`` seconds), the same rep state machine (:class:`valgus.temporal.reps.RepSegmenter`),
the same exercise recognition and the same flags. What differs from a recorded clip, and why
numbers can differ a little: the filter lags (a fast rep's bottom reads slightly shallower), and
the references are running estimates instead of whole-clip ones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from valgus.config import Config
from valgus.kinematics.metrics import column_names, compute_metrics
from valgus.kinematics.smoothing import OneEuro
from valgus.landmarks import LM, N_LANDMARKS, SIDES, leg
from valgus.scoring import score_clip
from valgus.scoring.baseline import standing_baseline
from valgus.scoring.camera import camera_check, classify_view, estimate_yaw, width_ratio
from valgus.scoring.exercise import NamedRep, name_squat, name_step_up, other_movements
from valgus.scoring.flags import score_rep
from valgus.scoring.results import ClipResult, Finding, RepScore, finding, leg_summaries
from valgus.scoring.signals import DepthSignals, two_feet_down
from valgus.scoring.verdict import asymmetry, other_movement_finding, verdict
from valgus.temporal.reps import Rep, RepSegmenter
from valgus.types import PersonPose, PoseTrack, VideoInfo

_NAN33 = np.full((N_LANDMARKS, 2), np.nan)


class _Columns:
    """Growable column store (capacity doubling): amortised O(1) append, views without copies."""

    def __init__(self, names: list[str], capacity: int = 512) -> None:
        self.names = names
        self.n = 0
        self._cap = capacity
        self._data = {k: (np.empty(capacity, dtype=object) if k == "flags" else np.full(capacity, np.nan))
                      for k in names}

    def append(self, row: Mapping[str, object]) -> None:
        if self.n == self._cap:
            self._cap *= 2
            for k, a in self._data.items():
                b = np.empty(self._cap, dtype=a.dtype) if a.dtype == object else np.full(self._cap, np.nan)
                b[: self.n] = a[: self.n]
                self._data[k] = b
        for k in self.names:
            self._data[k][self.n] = row[k]
        self.n += 1

    def view(self) -> dict[str, np.ndarray]:
        return {k: a[: self.n] for k, a in self._data.items()}


class _Running:
    """A running 90th percentile over the last ``n`` finite values (robust 'standing' reference).

    Recomputed every ``every`` additions (and while it has fewer than ``every`` values): the
    references move slowly, and a percentile per frame per reference was a third of the
    per-frame cost."""

    def __init__(self, n: int, every: int = 10) -> None:
        self.values: deque[float] = deque(maxlen=n)
        self.every = every
        self._since = 0
        self._p90 = float("nan")

    def add(self, v: float) -> None:
        if np.isfinite(v):
            self.values.append(float(v))
            self._since += 1

    def p90(self) -> float:
        if self.values and (self._since >= self.every or len(self.values) <= self.every or self._p90 != self._p90):
            self._p90 = float(np.percentile(np.fromiter(self.values, float), 90))
            self._since = 0
        return self._p90 if self.values else float("nan")


class LiveScorer:
    """Per-frame metrics, reps and rep scores for a live session (see the module docstring)."""

    def __init__(self, config: Config, info: VideoInfo, *, exercise: str | None = None,
                 baseline: Mapping[str, float] | None = None, window_s: float = 10.0) -> None:
        self.config, self.info, self.exercise = config, info, exercise
        sm = config.smoothing
        self._f_xy, self._f_world, self._f_struct = (OneEuro(max_gap_s=sm.max_gap_s) for _ in range(3))
        n = max(30, int(round(window_s * (info.fps or 30.0))))
        self._leg, self._floor, self._h = _Running(n), _Running(n), _Running(n)
        # Hip heights with one foot down and with any: the standing reference when frames with
        # both feet down are rare (a session that starts on one leg), by the recorded clip's rule
        # (valgus.scoring.signals.depth_signals). Without them a set of single-leg squats from the
        # first frame had no reference, no drop signal and no reps
        # (mixed_sls_left_then_right_then_squat.mp4: the first 380 frames, four reps, were lost).
        # ``_two_feet``: whether each of the last ``n`` measured frames had both feet down.
        self._h_one, self._h_any = _Running(n), _Running(n)
        self._two_feet: deque[bool] = deque(maxlen=n)
        self._two_feet_n = 0
        self._thigh = {s: _Running(n) for s in SIDES}
        self._cols = _Columns(column_names() + ["_drop", "_rise", "_on_floor"])
        self._xy: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._vis: list[np.ndarray] = []
        self._pres: list[np.ndarray] = []
        r = config.reps
        kw = dict(min_depth=r.min_depth, start_fraction=r.start_fraction, end_fraction=r.end_fraction,
                  min_duration_s=r.min_duration_s, max_duration_s=r.max_duration_s,
                  max_gap_s=max(0.5, 1.5 / (info.fps or 30.0)))
        self._seg_drop, self._seg_rise = RepSegmenter(**kw), RepSegmenter(**kw)
        self.named: list[NamedRep] = []
        self.reps: list[RepScore] = []
        self._given_baseline = dict(baseline) if baseline else None
        self.baseline: dict[str, float] | None = None  # from a calibration, else re-taken at each rep
        self._calibrated = False

    # -- per frame --------------------------------------------------------------------------

    @property
    def n(self) -> int:
        return self._cols.n

    def update(self, index: int, t: float, subject: PersonPose | None, n_people: int
               ) -> tuple[np.ndarray, dict[str, float], RepScore | None]:
        """Measure one frame; returns the smoothed landmarks to draw, the frame's metrics and the
        rep that ended here (scored), if any."""
        cfg = self.config
        if subject is None:
            xy_raw, world_raw = _NAN33, np.full((N_LANDMARKS, 3), np.nan)
            vis = pres = np.zeros(N_LANDMARKS)
        else:
            xy_raw, world_raw, vis, pres = subject.xy, subject.world, subject.visibility, subject.presence
        low = vis < cfg.pose.min_visibility
        low_s = vis < min(cfg.measure.structure_min_visibility, cfg.pose.min_visibility)
        xy = self._f_xy.step(t, np.where(low[:, None], np.nan, xy_raw))
        world = self._f_world.step(t, np.where(low[:, None], np.nan, world_raw))
        sxy = self._f_struct.step(t, np.where(low_s[:, None], np.nan, xy_raw))
        self._update_refs(xy, sxy)
        one = dict(t=np.array([t]), frame=np.array([index], dtype=np.int64), visibility=vis[None].copy(),
                   presence=pres[None].copy(), n_people=np.array([n_people], dtype=np.int64))
        track1 = PoseTrack(xy=xy[None], world=world[None], **one)
        raw1 = PoseTrack(xy=np.asarray(xy_raw, float)[None].copy(), world=np.asarray(world_raw, float)[None].copy(), **one)
        struct1 = PoseTrack(xy=sxy[None], world=world[None], **one)
        m = compute_metrics(
            track1, width=self.info.width, height=self.info.height, leg_scale=self._leg.p90(),
            min_visibility=cfg.pose.min_visibility, raw=raw1, structure=struct1,
            min_thigh_fraction=cfg.measure.min_thigh_fraction, hip_ir_max_error_deg=cfg.measure.hip_ir_max_error_deg,
            thigh_ref={s: self._thigh[s].p90() for s in SIDES}, floor_y=self._floor.p90(),
        )
        row: dict[str, float] = {k: v[0] for k, v in m.items()}
        H = float(row["hip_above_floor"])
        on_floor = bool(two_feet_down(np.array([row["left_foot_raise"]]), np.array([row["right_foot_raise"]]),
                                      np.array([row["balance"]]), cfg.recognition)[0])
        if on_floor:
            self._h.add(H)
        if np.isfinite(H):
            if len(self._two_feet) == self._two_feet.maxlen:
                self._two_feet_n -= self._two_feet[0]
            self._two_feet.append(on_floor)
            self._two_feet_n += on_floor
            lowest = np.fmin(row["left_foot_raise"], row["right_foot_raise"])
            if np.isfinite(lowest) and lowest < cfg.recognition.foot_lift:
                self._h_one.add(H)
            self._h_any.add(H)
        h0 = self._h0()
        row["_drop"], row["_rise"], row["_on_floor"] = h0 - H, H - h0, float(on_floor)
        i = self._cols.n
        self._cols.append(row)
        self._xy.append(xy)
        self._world.append(world)
        self._vis.append(vis)
        self._pres.append(pres)
        rep = self._feed(i, t, row["_drop"], row["_rise"])
        return xy, {k: row[k] for k in m}, rep

    def _h0(self) -> float:
        """Standing hip height, the recorded clip's rule on running 90th percentiles: over frames
        with both feet down; when those are fewer than 5 or than ``min_two_feet_fraction`` of the
        recent frames, over frames with one foot down (if 5 or more); failing both, every frame."""
        rc = self.config.recognition
        if self._two_feet_n >= max(5, rc.min_two_feet_fraction * len(self._two_feet)):
            return self._h.p90()
        if len(self._h_one.values) >= 5:
            return self._h_one.p90()
        return self._h.p90() if len(self._h.values) >= 5 else self._h_any.p90()

    def _update_refs(self, xy: np.ndarray, sxy: np.ndarray) -> None:
        for s in SIDES:
            L = leg(s)
            thigh = float(np.linalg.norm(xy[L["knee"]] - xy[L["hip"]]))
            self._thigh[s].add(thigh)
            self._leg.add(thigh + float(np.linalg.norm(xy[L["ankle"]] - xy[L["knee"]])))
        ay = sxy[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1]
        if np.isfinite(ay).any():
            self._floor.add(float(np.nanmax(ay)))

    # -- reps -------------------------------------------------------------------------------

    def _feed(self, i: int, t: float, drop: float, rise: float) -> RepScore | None:
        ex = self.exercise
        found: list[NamedRep] = []
        if ex in (None, "squat", "single_leg_squat"):
            rep = self._seg_drop.update(i, t, drop)
            named_sq = name_squat(self._cols.view(), rep, ex, self.config.recognition) if rep is not None else None
            if named_sq is not None:
                found.append(named_sq)
        if ex in (None, "step_up"):
            rep = self._seg_rise.update(i, t, rise)
            if rep is not None:
                v = self._cols.view()
                named = name_step_up(v, rep, ex, v["_rise"], self.config.recognition)
                if named is not None:
                    found.append(named)
        out = None
        for named in found:
            out = self._accept(named) or out
        return out

    def _accept(self, named: NamedRep) -> RepScore | None:
        rep, ex, side = named
        if rep.depth > self.config.reps.max_depth:
            return None
        if self.exercise is None and ex == "step_up" and any(
                q.start <= rep.deepest <= q.end for q, e, _ in self.named if e != "step_up"):
            return None
        self.named.append(named)
        if not self._calibrated:
            # Re-taken at each rep until a calibration, by the recorded clip's rule over the frames
            # so far (frames before the first rep preferred; if none stood on both feet there, such
            # frames anywhere so far). Frozen at the first rep, a set that started on one leg kept
            # one-leg standing values for a later squat (mixed_sls_left_then_right_then_squat.mp4,
            # rep 5: right FPPA change -18.2 deg live against -1.9 in analyze).
            self.baseline = self._baseline_before(self.named[0][0].start, first=self.named[0][0])
        v = self._cols.view()
        score = score_rep(len(self.reps) + 1, rep, ex, side, v, self.baseline, self.config,
                          assessed=self._view_ok(rep, side), depth=v["_rise"] if ex == "step_up" else v["_drop"])
        self.reps.append(score)
        return score

    def _signals(self, stop: int) -> DepthSignals:
        v = self._cols.view()
        h = self._h0()
        return DepthSignals(drop=v["_drop"][:stop], rise=v["_rise"][:stop], on_floor=v["_on_floor"][:stop] > 0.5, h0=h)

    def _baseline_before(self, stop: int, first: Rep | None = None) -> dict[str, float]:
        """Standing values from the frames before the first rep (as a recorded clip's), or from
        every frame so far when the session started in a rep; a calibration's values win.
        ``first``: the first rep; then every frame so far is looked at, those before it preferred
        (:func:`valgus.scoring.baseline.standing_baseline`'s rule)."""
        if first is not None:
            v = dict(self._cols.view())
            reps = [first]
        else:
            stop = stop if stop > 3 else self._cols.n
            v = {k: a[:stop] for k, a in self._cols.view().items()}
            reps = []
        sig = DepthSignals(drop=v["_drop"], rise=v["_rise"], on_floor=v["_on_floor"] > 0.5, h0=self._h0())
        base = standing_baseline(v, reps, sig, self.config.recognition)
        if self._given_baseline:
            base.update({k: float(x) for k, x in self._given_baseline.items() if k in base and np.isfinite(x)})
        return base

    def calibrate(self, start: int, stop: int) -> dict[str, float]:
        """Take frames ``start:stop`` (standing still) as the standing baseline from now on."""
        v = {k: a[start:stop] for k, a in self._cols.view().items()}
        sig = DepthSignals(drop=v["_drop"], rise=v["_rise"], on_floor=v["_on_floor"] > 0.5, h0=self._h0())
        self.baseline = standing_baseline(v, [], sig, self.config.recognition)
        self._calibrated = True
        return dict(self.baseline)

    def reset(self) -> None:
        """Forget the reps and the baseline (the frames stay recorded)."""
        self.named.clear()
        self.reps.clear()
        self.baseline = None
        self._calibrated = False

    def _view_ok(self, rep: Rep, side: str) -> bool:
        """The rep's view is frontal and its working legs were in view (the camera check, on the
        frames of this rep).

        Working legs only, and the feet-out-of-frame flag, as
        :func:`valgus.scoring.camera.camera_check` judges a recorded clip: the free foot of a
        single-leg squat, held behind the stance leg, is hidden by design. (Both legs' visibility
        used to be required here, which left rep 2 of
        single_leg_squat_left_collapse_mirrored.mp4 unjudged: its free leg was hidden in 67 % of
        the rep's frames, and the session's verdict became "no valgus" where analyze finds valgus.)
        """
        sl = slice(rep.start, rep.end + 1)
        world = np.stack(self._world[sl])
        xy = np.stack(self._xy[sl])
        frames = np.flatnonzero(np.isfinite(xy[:, LM.LEFT_HIP, 0]) | np.isfinite(xy[:, LM.RIGHT_HIP, 0]))
        if frames.size == 0:
            return False
        view = classify_view(estimate_yaw(world, frames), width_ratio(xy, frames), self.config)
        v = self._cols.view()
        legs = SIDES if side == "both" else (side,)
        vis = np.min([v[f"{s}_visibility"][sl] for s in legs], axis=0)
        outside = np.array(["feet_out_of_frame" in str(f) for f in v["flags"][sl]], dtype=bool)
        with np.errstate(invalid="ignore"):
            hidden = float(np.mean(~(vis >= self.config.pose.min_visibility) | outside))
        return view == "frontal" and hidden <= self.config.camera.max_out_of_frame

    # -- set-up guide ------------------------------------------------------------------------

    def setup_problems(self, last_s: float = 1.0) -> tuple[Finding, ...]:
        """What keeps the last ``last_s`` seconds of frames from a good measurement (codes as in
        the camera check: no_person, view, out_of_view, too_small, too_close)."""
        n = self._cols.n
        if n == 0:
            return (finding("no_person"),)
        v = self._cols.view()
        t = v["time_s"]
        k = int(np.searchsorted(t, t[-1] - last_s))
        sl = slice(k, n)
        world = np.stack(self._world[sl])
        xy = np.stack(self._xy[sl])
        det = np.flatnonzero(np.isfinite(xy[:, LM.LEFT_HIP, 0]) | np.isfinite(xy[:, LM.LEFT_SHOULDER, 0]))
        if det.size < max(1, (n - k) // 2):
            return (finding("no_person"),)
        out: list[Finding] = []
        yaw = estimate_yaw(world, det)
        view = classify_view(yaw, width_ratio(xy, det), self.config)
        if view != "frontal":
            out.append(finding("view", value=yaw, threshold=self.config.camera.max_yaw_deg, view=view))
        outside = np.array(["feet_out_of_frame" in str(f) for f in v["flags"][sl]])
        vis = np.minimum(v["left_visibility"][sl], v["right_visibility"][sl])
        with np.errstate(invalid="ignore"):
            hidden = ~(vis >= self.config.pose.min_visibility) | outside
        if hidden.mean() > 0.5:
            out.append(finding("out_of_view", value=float(hidden.mean()), threshold=0.5, in_reps=False))
        leg_px = self._leg.p90()
        h = self.info.height
        if np.isfinite(leg_px):
            if leg_px < self.config.camera.min_leg_fraction * h:
                out.append(finding("too_small", value=leg_px, threshold=self.config.camera.min_leg_fraction * h,
                                   height=h))
            elif leg_px > 0.6 * h:  # legs over 60 % of the frame: head or feet leave it in a squat
                out.append(finding("too_close", value=leg_px, threshold=0.6 * h, height=h))
        return tuple(out)

    # -- end ----------------------------------------------------------------------------------

    def finish(self, raw: PoseTrack, *, frames_with_several: int = 0
               ) -> tuple[PoseTrack, dict[str, np.ndarray], ClipResult]:
        """Close reps under way (partial), then the clip's camera check and verdict over what was
        measured frame by frame."""
        n = self._cols.n
        for seg, ex in ((self._seg_drop, "squat"), (self._seg_rise, "step_up")):
            rep = seg.finish()
            if rep is None:
                continue
            v = self._cols.view()
            named = (name_squat(v, rep, self.exercise, self.config.recognition) if ex == "squat"
                     else name_step_up(v, rep, self.exercise, v["_rise"], self.config.recognition))
            if named is not None:
                self._accept(named)
        v = self._cols.view()
        metrics = {k: np.array(v[k]) for k in column_names()}
        track = PoseTrack(t=raw.t, frame=raw.frame, xy=np.stack(self._xy), visibility=np.stack(self._vis),
                          presence=np.stack(self._pres), world=np.stack(self._world), n_people=raw.n_people)
        if not self.reps:  # nothing scored live: the recorded-clip scorer on the same metrics
            return track, metrics, score_clip(track, metrics, self.info, self.config,
                                              frames_with_several=frames_with_several, exercise=self.exercise,
                                              baseline=self._given_baseline)
        order = sorted(range(len(self.reps)), key=lambda k: self.reps[k].t_start)
        named = [self.named[k] for k in order]
        cam = camera_check(track, metrics, self.info, self.config, reps=named, signals=self._signals(n),
                           frames_with_several=frames_with_several)
        reps = [replace(self.reps[k], number=j + 1) for j, k in enumerate(order)]
        if not cam.ok:
            reps = [replace(r, flags=[replace(f, assessed=False) for f in r.flags]) for r in reps]
        vd = verdict(reps, cam, self.config.thresholds)
        legs = leg_summaries(reps)
        findings = vd.findings + (tuple(asymmetry(legs, self.config.thresholds)) if vd.kind != "cannot assess" else ())
        if self.exercise is None:
            other = other_movement_finding(other_movements(metrics["time_s"], metrics, self.config, self._signals(n)))
            findings += (other,) if other is not None else ()
        exs = sorted({r.exercise for r in reps})
        result = ClipResult(self.exercise or "+".join(exs), tuple(reps), cam, dict(self.baseline or {}), vd.kind,
                            findings, vd.plan_recommended, tuple(legs))
        return track, metrics, result


__all__ = ["LiveScorer"]
