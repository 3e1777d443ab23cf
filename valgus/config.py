"""Configuration: frozen dataclasses, optionally loaded from a TOML file.

Precedence: defaults < ``--config file.toml`` < explicit command-line flags. Unknown keys are
rejected with a close-match suggestion; out-of-range values name the key and the valid range.
The effective configuration is written into every output folder (``config.toml``).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from valgus.errors import ConfigError


def _range(name: str, value: float | int | None, lo: float | None = None, hi: float | None = None) -> None:
    if value is None:
        return
    if value != value or (lo is not None and value < lo) or (hi is not None and value > hi):  # NaN too
        rng = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        raise ConfigError(f"{name} = {value} is out of range; valid range is {rng}")


@dataclass(frozen=True)
class PoseConfig:
    """Pose model settings."""

    model: str = "full"  # "full" (bundled), "lite", "heavy" (downloaded when allowed) or a .task path
    num_poses: int = 2  # people the model may return per frame (>1 so bystanders are seen, not merged)
    min_detection: float = 0.5
    min_presence: float = 0.5
    min_tracking: float = 0.5
    min_visibility: float = 0.5  # landmarks below this visibility are treated as missing
    # Frames whose longer side exceeds this are scaled down (in the decoder's colour conversion)
    # before the model; 0 = never. Off by default: on the phone clips (1080x1920 yuvj420p) FFmpeg's
    # scaler costs more CPU than the model saves (decode + RGB 12.4 ms/frame at full size, 20.0 ms
    # scaled to 720x1280; model 22-25 ms either way), and on 2 cores that CPU slows the model.
    max_side: int = 0
    # With num_poses > 1: a one-person model does the work and a num_poses model counts the people
    # once per this many seconds of media time; a multi-person model takes over while it sees two
    # (the multi-person model costs ~1.6x the CPU per frame: 40 vs 26 ms on a 1080x1920 phone
    # frame, docs/speed.md). 0 = multi-person every frame.
    people_check_s: float = 1.0
    # After a hand-over to the multi-person model, the one-person model takes back over once
    # nobody else has been seen for this many seconds of media time (0 = never).
    people_revert_s: float = 3.0
    # Long recorded clips are cut into segments of about this many seconds of media time; the pose
    # model starts afresh (re-detects, no tracking history) at each segment's first frame, so the
    # segments can be analysed in parallel, one per core, with results identical to one pass
    # whatever the number of cores (docs/speed.md). Clips shorter than two segments are one
    # segment. 0 = never cut (one pass, tracking from the first frame to the last).
    segment_s: float = 10.0

    def __post_init__(self) -> None:
        _range("pose.num_poses", self.num_poses, 1, 10)
        _range("pose.segment_s", self.segment_s, 0.0, 86400.0)
        if 0.0 < self.segment_s < 1.0:
            raise ConfigError(f"pose.segment_s = {self.segment_s:g}: use 0 (never cut) or at least 1 second")
        _range("pose.people_check_s", self.people_check_s, 0.0, 60.0)
        _range("pose.people_revert_s", self.people_revert_s, 0.0, 3600.0)
        for k in ("min_detection", "min_presence", "min_tracking", "min_visibility"):
            _range(f"pose.{k}", getattr(self, k), 0.0, 1.0)
        _range("pose.max_side", self.max_side, 0, 8192)


@dataclass(frozen=True)
class SmoothingConfig:
    """Temporal filtering of landmarks (see valgus.kinematics.smoothing)."""

    kind: Literal["zero-phase", "causal", "none"] = "zero-phase"
    cutoff_hz: float = 6.0
    max_gap_s: float = 0.25

    def __post_init__(self) -> None:
        _range("smoothing.cutoff_hz", self.cutoff_hz, 0.5, 30.0)
        _range("smoothing.max_gap_s", self.max_gap_s, 0.0, 2.0)


@dataclass(frozen=True)
class VideoConfig:
    """Which frames to analyse."""

    stride: int = 1  # analyse every n-th frame
    max_fps: float = 0.0  # 0 = every frame; else at most this many frames per second of media time
    mirrored: bool = False  # the picture is a mirror image (selfie-view recording)

    def __post_init__(self) -> None:
        _range("video.stride", self.stride, 1, 100)
        _range("video.max_fps", self.max_fps, 0.0, 1000.0)


@dataclass(frozen=True)
class RepConfig:
    """Rep segmentation (hysteresis on the depth signal, media time)."""

    min_depth: float = 0.10  # leg lengths the hips must drop below standing to count as a rep
    start_fraction: float = 0.35  # a rep starts when this fraction of min_depth is crossed...
    end_fraction: float = 0.35  # ...and ends when the hips come back above it
    min_duration_s: float = 0.5
    max_duration_s: float = 15.0
    # Leg lengths. A deep squat lowers the hips about 0.55-0.6 leg lengths and a 50 cm step raises
    # them about 0.6; a "rep" beyond one leg length is a tracking error or a different person (e.g.
    # pedestrians passing a street camera), not an exercise.
    max_depth: float = 1.0

    def __post_init__(self) -> None:
        _range("reps.min_depth", self.min_depth, 0.02, 1.0)
        _range("reps.max_depth", self.max_depth, 0.2, 10.0)
        _range("reps.start_fraction", self.start_fraction, 0.05, 0.95)
        _range("reps.end_fraction", self.end_fraction, 0.05, 0.95)
        _range("reps.min_duration_s", self.min_duration_s, 0.05, 10.0)
        _range("reps.max_duration_s", self.max_duration_s, 1.0, 600.0)


@dataclass(frozen=True)
class RecognitionConfig:
    """How the exercise and the working leg are recognised, and which frames are 'standing'.

    Lengths in leg lengths (hip-knee-ankle in the image), balance as a 0-1 fraction. Chosen on the
    rendered grid (``benchmarks/accuracy.json``), never on the real clips.
    """

    # Balance (trunk centre between the ankles, 0 = over the left ankle) below this, or above
    # 1 - this, over a rep: single-leg stance (the centre of mass must be over the stance foot;
    # a double-leg squat stays near 0.5).
    single_leg_balance: float = 0.35
    # A foot this far above the floor line is off the floor (heel rise at push-off lifts the
    # ankle 0.04-0.05 on rendered step-ups while the toes are still down).
    foot_lift: float = 0.08
    # A foot this far above the floor line is up on a step.
    foot_on_step: float = 0.12
    # Standing hip height comes from frames with both feet on the floor unless fewer than this
    # fraction of the frames are such (a single-leg set with the free foot held up throughout):
    # then from frames with at least one foot down (valgus.scoring.signals).
    min_two_feet_fraction: float = 0.2
    # Upright: hips within this of standing height (standing baseline frames).
    upright_tolerance: float = 0.03
    # A step-up's start is walked back at most this far while the lead foot is up (a foot that
    # merely looks higher, e.g. from perspective, must not stretch the rep to the clip's start).
    stepup_walkback_s: float = 2.0
    # A step-up's lead foot is planted on the step while the hips rise and the trailing foot
    # pushes off and swings: when one ankle's vertical path over the rise (leg lengths) is at
    # least this many times the other's, and at least ``stepup_planted_min_path``, the stiller
    # foot is the lead, and "on the step" for it means above ``foot_lift``. Chosen on the variants
    # grid (lead/trailing path 0.013-0.028 / 0.059-0.55; a 15-cm step read 0.07-0.11 up, under
    # ``foot_on_step``, while the swinging trailing foot read higher); both ankles still (under
    # the minimum) leave the decision to foot height.
    stepup_planted_ratio: float = 1.5
    stepup_planted_min_path: float = 0.04
    # Split stance: a rep with the trunk centred between the feet (not single-leg by balance)
    # whose feet are split front-back in the body's frame (``feet_split``, 75th percentile of its
    # absolute value over the rep) by at least this many leg lengths is a lunge or split squat:
    # none of the three, no verdict. Variants and main grids: lunges 0.66-0.73; squats 0.25 or
    # less (yaw 0-30); single-leg squats 0.42 or less at yaw 0-8 (free foot forward or behind).
    split_stance: float = 0.5
    # A step-up's lead foot must be at least this many leg lengths above its own lowest level in
    # the clip (its 5th percentile of foot raise) at the loaded frame: it stepped up. Otherwise
    # the foot never moved up and the "rise" came from the floor line (set by a foot placed
    # forward in a lunge, lower in the picture). Chosen on the variants grid, between the
    # lunges' "lead" feet (0.001-0.005) and the 15-cm step (0.068-0.070).
    stepup_min_lead_rise: float = 0.03
    # Seated bottom: a rep whose trunk flexes forward on the way down and is back this many
    # degrees more upright at the deepest frame (peak forward flexion over the rep minus its value
    # at the bottom, world landmarks) sat on something: a sit-to-stand, none of the three. In a
    # squat the trunk is most flexed at the bottom. Variants and main grid: sit-to-stand 41-42,
    # squats and single-leg squats 4.6 or less.
    seated_trunk_return_deg: float = 20.0

    def __post_init__(self) -> None:
        _range("recognition.seated_trunk_return_deg", self.seated_trunk_return_deg, 0.0, 90.0)
        _range("recognition.split_stance", self.split_stance, 0.0, 10.0)
        _range("recognition.stepup_min_lead_rise", self.stepup_min_lead_rise, 0.0, 1.0)
        _range("recognition.stepup_planted_ratio", self.stepup_planted_ratio, 1.0, 100.0)
        _range("recognition.stepup_planted_min_path", self.stepup_planted_min_path, 0.0, 10.0)
        _range("recognition.single_leg_balance", self.single_leg_balance, 0.0, 0.5)
        _range("recognition.foot_lift", self.foot_lift, 0.0, 1.0)
        _range("recognition.foot_on_step", self.foot_on_step, 0.0, 1.0)
        _range("recognition.upright_tolerance", self.upright_tolerance, 0.0, 0.5)
        _range("recognition.min_two_feet_fraction", self.min_two_feet_fraction, 0.0, 1.0)
        _range("recognition.stepup_walkback_s", self.stepup_walkback_s, 0.0, 30.0)
        if self.foot_lift > self.foot_on_step:
            raise ConfigError(f"recognition.foot_lift ({self.foot_lift}) must not exceed "
                              f"recognition.foot_on_step ({self.foot_on_step})")


@dataclass(frozen=True)
class MeasureConfig:
    """When a per-frame measure is trusted."""

    # Visibility below which a landmark is dropped from the *structure* signals (hip height, foot
    # raise, balance) that find and name reps; angles keep pose.min_visibility. In a front-view
    # single-leg squat the free foot, held behind the stance leg, is hidden: on rendered clips its
    # ankle read visibility 0.36-0.49 at the bottom of every rep while MediaPipe's estimate of
    # where it is stayed right; masking it at 0.5 turned those reps into "squats".
    structure_min_visibility: float = 0.2
    # A thigh shorter in the image than this fraction of its standing length points at the camera
    # (deep squats, pistols): FPPA and 2D hip adduction are then noise and left empty.
    min_thigh_fraction: float = 0.3
    # Hip internal rotation is reported only where its typical measured error (mean absolute,
    # against rendered 3D truth, valgus.kinematics.metrics.HIP_IR_MEASURED_ERROR) is within this
    # many degrees: the effect it would show (patellofemoral pain vs controls) is a few degrees.
    # The measured error is 7-14 deg (P90 10-28) at every knee flexion: no value is reported.
    hip_ir_max_error_deg: float = 5.0

    def __post_init__(self) -> None:
        _range("measure.structure_min_visibility", self.structure_min_visibility, 0.0, 1.0)
        _range("measure.min_thigh_fraction", self.min_thigh_fraction, 0.0, 1.0)
        _range("measure.hip_ir_max_error_deg", self.hip_ir_max_error_deg, 0.0, 90.0)


@dataclass(frozen=True)
class ThresholdConfig:
    """Flag thresholds (degrees unless noted). Sources in comments; see also the README.

    Categories for dynamic knee valgus: value < borderline -> none; < mild -> borderline;
    < marked -> mild; else marked. The uncertainty band reported with every flag is
    ``sem_deg + pipeline error`` (Munro 2012: manual 2D FPPA SEM 2.7-3.0 deg; our measured error
    from the rendered-clip benchmark).
    """

    sex: Literal["unknown", "female", "male"] = "unknown"
    # Single-leg squat FPPA (+ = valgus). Kinect cut-off for visible medial knee: 6 (sens 0.86,
    # spec 0.78); men with patellofemoral pain 9.80; women with PFP 16.8 +- 5.4; healthy women
    # 8.4 +- 5.1, healthy men 6.96 (RESEARCH.md, "Published values").
    sls_fppa_borderline: float = 6.0
    sls_fppa_mild: float = 10.0
    sls_fppa_marked: float = 16.8
    sls_fppa_mild_female: float = 13.5  # healthy women mean + 1 SD (8.4 + 5.1)
    sls_fppa_mild_male: float = 9.8  # men with patellofemoral pain
    # Step-up (closest published task: step landing, normal range women 5-12, men 1-9).
    stepup_fppa_borderline: float = 6.0
    stepup_fppa_mild: float = 12.0
    stepup_fppa_marked: float = 18.0
    # Bilateral squat: knee width at the bottom relative to standing (knee-to-hip ratio, change):
    # a squat-form app flags below 0.70-0.80; FPPA from the MediaPipe hip is unreliable here
    # (RESEARCH.md, "Measured on real clips").
    squat_knee_width_borderline: float = 0.90
    squat_knee_width_mild: float = 0.80
    squat_knee_width_marked: float = 0.70
    # Squat depth (leg lengths the hips drop). Thigh and shank ~half a leg each, shank tilted
    # ~25 deg: 70 deg of knee flexion drops the hips ~0.2, thighs parallel ~0.55. Below 0.2 is a
    # partial squat (rendered squats to 85-95 deg drop 0.24-0.30).
    squat_shallow_depth: float = 0.20
    # When a rep is judged (valgus.scoring.loaded): "loaded" = each valgus measure's worst value
    # over the loaded phase (knee flexed >= loaded_min_knee_flexion_deg, measure defined); a knee
    # can cave on the way down or up and be back over the foot at the bottom (RESEARCH.md, "When
    # to read the angle"). "deepest" = at the deepest frame only, the published 2D protocol
    # (Willson & Davis 2008; Munro 2012: FPPA at peak knee flexion of a single-leg squat).
    valgus_phase: Literal["loaded", "deepest"] = "loaded"
    loaded_min_knee_flexion_deg: float = 20.0
    # Bilateral squat FPPA change from standing also counts (same SLS thresholds, on the change).
    # Knee medial to the foot (leg lengths): clinicians fail a knee "clearly over or medial to the
    # big toe"; the big toe sits ~0.04 leg lengths medial of the foot centre.
    knee_over_foot_borderline: float = 0.02
    knee_over_foot_mild: float = 0.05
    # Contralateral pelvic drop, change from standing (Bramah 2018; MediaPipe reads ~4 deg of a
    # true 7 and shows false 4-6 deg drops: judge against the person's standing posture).
    pelvic_drop_borderline: float = 3.0
    pelvic_drop_mild: float = 5.0
    # Whether the pelvic drop flag counts as a hip sign in the verdict. Off: on rendered single-leg
    # squats and step-ups with 0, 6 and 12 deg of true drop (scripts/benchmark_pelvic_drop.py) the
    # MediaPipe hip line followed 15 % of the drop at the bottom of a single-leg squat, 5 % at the
    # top of a step-up and read a false 3-6 deg on clean step-ups at the loaded frame, while the
    # body's surface keypoints followed 76-88 %: the drop is visible, the model does not place its
    # hip landmarks by it. Pelvic drop is still measured and reported.
    pelvic_drop_in_verdict: bool = False
    # Lateral trunk lean towards the stance leg, change from standing (Crossley 2011 "trunk" sign).
    trunk_lean_borderline: float = 5.0
    trunk_lean_mild: float = 10.0
    # 2D hip adduction rise from standing that counts as a hip sign (the femur carries the valgus).
    hip_adduction_sign: float = 5.0
    # Heel lift (leg lengths), a foot sign checked before blaming the hip.
    heel_lift: float = 0.03
    # Left-right difference in mean FPPA (same exercise, complete reps) worth reporting: the
    # smallest detectable difference of 2D FPPA, 7.5-8.9 deg (Munro, Herrington & Carolan 2012).
    asymmetry_deg: float = 8.0
    # Uncertainty: literature SEM plus the pipeline's own measured FPPA error.
    sem_deg: float = 3.0
    pipeline_error_deg: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                _range(f"thresholds.{f.name}", v, -90.0, 90.0)
        # Categories need borderline <= mild <= marked (knee width: smaller is worse, so reversed).
        for prefix, keys in (("sls_fppa", ("borderline", "mild", "marked")),
                             ("stepup_fppa", ("borderline", "mild", "marked")),
                             ("knee_over_foot", ("borderline", "mild")),
                             ("pelvic_drop", ("borderline", "mild")),
                             ("trunk_lean", ("borderline", "mild"))):
            vals = [getattr(self, f"{prefix}_{k}") for k in keys]
            if vals != sorted(vals):
                names = " <= ".join(f"thresholds.{prefix}_{k}" for k in keys)
                got = ", ".join(f"{k}={v:g}" for k, v in zip(keys, vals))
                raise ConfigError(f"{names} is required; got {got}")
        for k in ("sls_fppa_mild_female", "sls_fppa_mild_male"):
            if not self.sls_fppa_borderline <= getattr(self, k) <= self.sls_fppa_marked:
                raise ConfigError(f"thresholds.{k} = {getattr(self, k):g} must lie between "
                                  f"sls_fppa_borderline and sls_fppa_marked")
        kw = (self.squat_knee_width_marked, self.squat_knee_width_mild, self.squat_knee_width_borderline)
        if list(kw) != sorted(kw):
            raise ConfigError("thresholds.squat_knee_width_marked <= _mild <= _borderline is required (smaller "
                              f"knee width is worse); got {kw[0]:g}, {kw[1]:g}, {kw[2]:g}")
        for k in ("squat_knee_width_marked", "squat_knee_width_mild", "squat_knee_width_borderline"):
            v = getattr(self, k)
            if not 0.0 < v <= 1.0:
                raise ConfigError(f"thresholds.{k} = {v:g} is a ratio to standing and must be in (0, 1]")


@dataclass(frozen=True)
class CameraConfig:
    """When the camera view can support a frontal-plane verdict."""

    # Estimated yaw (upright frames) beyond this: oblique. Englander 2019: a camera 15 deg or
    # more off frontal distorts FPPA (a good rendered squat reads +30 at the bottom with the camera
    # 15 deg off). The estimate from MediaPipe's world landmarks reads low and noisy: on the
    # rendered grid 0.4-6.6 at 0 and 8 deg, 13.7-14.8 at 30 deg for squats (18-19 single-leg
    # squats, 29-31 step-ups); real front-view clips read 1-11. The limit sits between the
    # frontal readings and the 30-deg ones; a camera 15-25 deg off may pass (see the README).
    max_yaw_deg: float = 12.0
    # The view is oblique only when the yaw estimate exceeds max_yaw_deg by more than this many
    # of its standard errors (its spread over half-second blocks; valgus.scoring.camera): a short
    # clip's noisy estimate must not refuse a frontal view (issue 12: a frontal 2.2-s overhead
    # squat read 13 deg).
    yaw_se_factor: float = 1.0
    side_yaw_deg: float = 45.0  # beyond this: side view
    min_fps: float = 15.0
    min_leg_fraction: float = 0.12  # standing leg length / frame height: smaller = subject too small
    max_out_of_frame: float = 0.3  # fraction of frames with feet out of frame or legs not visible

    def __post_init__(self) -> None:
        _range("camera.max_yaw_deg", self.max_yaw_deg, 0.0, 90.0)
        _range("camera.yaw_se_factor", self.yaw_se_factor, 0.0, 10.0)
        _range("camera.side_yaw_deg", self.side_yaw_deg, 0.0, 90.0)
        _range("camera.min_fps", self.min_fps, 1.0, 240.0)
        _range("camera.min_leg_fraction", self.min_leg_fraction, 0.0, 1.0)
        _range("camera.max_out_of_frame", self.max_out_of_frame, 0.0, 1.0)


@dataclass(frozen=True)
class Config:
    """Everything that changes results. ``Config()`` is the default."""

    pose: PoseConfig = field(default_factory=PoseConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    reps: RepConfig = field(default_factory=RepConfig)
    recognition: RecognitionConfig = field(default_factory=RecognitionConfig)
    measure: MeasureConfig = field(default_factory=MeasureConfig)
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_toml(self) -> str:
        """The configuration as TOML text (round-trips through :func:`load_config`)."""
        lines = ["# valgus configuration (effective values)"]
        for sec, vals in self.to_dict().items():
            lines.append(f"\n[{sec}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in vals.items())
        return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def _suggest(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {', '.join(options)})"


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"unknown key {where}{key}{_suggest(key, names)}")
        typ = hints[key]
        if isinstance(value, dict):
            if not (isinstance(typ, type) and is_dataclass(typ)):
                raise ConfigError(f"{where}{key} must be a value, not a table")
            kwargs[key] = _build(typ, value, f"{where}{key}.")
            continue
        kwargs[key] = _coerce(value, typ, f"{where}{key}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"invalid configuration in [{where.rstrip('.') or 'top level'}]: {exc}") from exc


def _coerce(value: Any, typ: Any, name: str) -> Any:
    if isinstance(typ, type) and is_dataclass(typ):
        raise ConfigError(f"{name} must be a table ([{name}]), got {value!r}")
    args = get_args(typ)
    if args and all(isinstance(a, str) for a in args):  # Literal
        if value not in args:
            raise ConfigError(f"{name} = {value!r} is not allowed; choose one of {', '.join(map(repr, args))}")
        return value
    if typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return value
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} must be a whole number, got {value!r}")
        return value
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
        return value
    return value


def config_from_dict(data: dict[str, Any]) -> Config:
    """Build a :class:`Config` from nested dicts (as parsed from TOML), validating everything."""
    return _build(Config, data, "")


def load_config(path: str | Path | None) -> Config:
    """Read a TOML configuration file; ``None`` gives the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: configuration file not found")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))  # -sig: Windows editors add a BOM
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not valid TOML ({exc})") from exc
    return config_from_dict(data)


def override(cfg: Config, section: str, **values: Any) -> Config:
    """A copy of ``cfg`` with ``values`` set in ``section`` (``None`` values are ignored)."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return cfg
    sub = getattr(cfg, section)
    return replace(cfg, **{section: replace(sub, **values)})


__all__ = [
    "CameraConfig", "Config", "MeasureConfig", "PoseConfig", "RecognitionConfig", "RepConfig", "SmoothingConfig",
    "ThresholdConfig", "VideoConfig", "config_from_dict", "load_config", "override",
]
