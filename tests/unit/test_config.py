"""Tests for valgus.config: defaults, TOML loading, validation messages, round trip."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from valgus.config import (
    Config,
    PoseConfig,
    RepConfig,
    SmoothingConfig,
    VideoConfig,
    config_from_dict,
    load_config,
    override,
)
from valgus.errors import ConfigError, UsageError


def write(tmp_path: Path, text: str, name: str = "cfg.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults() -> None:
    cfg = Config()
    assert load_config(None) == cfg
    assert cfg.pose.model == "full" and cfg.pose.num_poses == 2
    assert cfg.smoothing.kind == "zero-phase" and cfg.smoothing.cutoff_hz == 6.0
    assert cfg.video.stride == 1 and cfg.video.mirrored is False
    assert cfg.reps.min_depth == 0.10
    assert cfg.thresholds.sex == "unknown"
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.pose.num_poses = 3  # type: ignore[misc]


def test_config_error_is_a_usage_error_with_exit_code_2() -> None:
    assert issubclass(ConfigError, UsageError)
    assert ConfigError.exit_code == 2


def test_load_toml_overrides_only_what_it_names(tmp_path) -> None:
    p = write(tmp_path, '[pose]\nnum_poses = 3\nmodel = "lite"\n\n[reps]\nmin_depth = 0.2\n\n[video]\nmirrored = true\n')
    cfg = load_config(p)
    assert cfg.pose.num_poses == 3 and cfg.pose.model == "lite"
    assert cfg.reps.min_depth == 0.2
    assert cfg.video.mirrored is True
    # everything else is the default
    assert cfg.pose.min_detection == PoseConfig().min_detection
    assert cfg.smoothing == SmoothingConfig()
    assert cfg.reps.start_fraction == RepConfig().start_fraction


def test_integer_accepted_for_a_float_key(tmp_path) -> None:
    cfg = load_config(write(tmp_path, "[smoothing]\ncutoff_hz = 5\n"))
    assert cfg.smoothing.cutoff_hz == 5.0 and isinstance(cfg.smoothing.cutoff_hz, float)


@pytest.mark.parametrize(
    "text, must_contain",
    [
        # misspelt key inside a section -> suggestion of the close match
        ("[reps]\nmin_dept = 0.2\n", ["reps.min_dept", "did you mean 'min_depth'"]),
        ("[pose]\nnum_pose = 1\n", ["pose.num_pose", "did you mean 'num_poses'"]),
        # misspelt section
        ("[rep]\nmin_depth = 0.2\n", ["unknown key rep", "did you mean 'reps'"]),
        ("[smooting]\nkind = 'none'\n", ["did you mean 'smoothing'"]),
        # nothing close: list the valid keys
        ("[video]\nzzzz = 1\n", ["video.zzzz", "stride", "max_fps", "mirrored"]),
    ],
)
def test_unknown_key_suggests_close_match(tmp_path, text, must_contain) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    msg = str(err.value)
    for s in must_contain:
        assert s in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "section, key, value, rng",
    [
        ("reps", "min_depth", 5.0, "[0.02, 1.0]"),
        ("reps", "min_depth", 0.0, "[0.02, 1.0]"),
        ("pose", "num_poses", 0, "[1, 10]"),
        ("pose", "min_visibility", 1.5, "[0.0, 1.0]"),
        ("smoothing", "cutoff_hz", 100.0, "[0.5, 30.0]"),
        ("video", "stride", 1000, "[1, 100]"),
        ("camera", "max_yaw_deg", -1.0, "[0.0, 90.0]"),
        ("thresholds", "sls_fppa_mild", 120.0, "[-90.0, 90.0]"),
        ("reps", "max_duration_s", float("inf"), "[1.0, 600.0]"),
    ],
)
def test_out_of_range_names_key_and_range(section, key, value, rng) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({section: {key: value}})
    msg = str(err.value)
    assert f"{section}.{key}" in msg
    assert rng in msg


@pytest.mark.parametrize("section, key", [("reps", "min_depth"), ("smoothing", "cutoff_hz"), ("pose", "min_visibility")])
def test_nan_is_out_of_range(tmp_path, section, key) -> None:
    # TOML allows `nan`; a NaN threshold would silently disable every comparison it takes part in
    with pytest.raises(ConfigError, match=f"{section}.{key}"):
        load_config(write(tmp_path, f"[{section}]\n{key} = nan\n"))


@pytest.mark.parametrize(
    "data, must_contain",
    [
        ({"video": {"stride": "2"}}, "video.stride must be a whole number"),
        ({"video": {"stride": 2.5}}, "video.stride must be a whole number"),
        ({"video": {"stride": True}}, "video.stride must be a whole number"),  # bool is not an int here
        ({"smoothing": {"cutoff_hz": "6"}}, "smoothing.cutoff_hz must be a number"),
        ({"smoothing": {"cutoff_hz": False}}, "smoothing.cutoff_hz must be a number"),
        ({"video": {"mirrored": 1}}, "video.mirrored must be true or false"),
        ({"pose": {"model": 3}}, "pose.model must be a string"),
        ({"smoothing": {"kind": "kalman"}}, "smoothing.kind = 'kalman' is not allowed"),
        ({"thresholds": {"sex": "other"}}, "thresholds.sex"),
        ({"reps": {"min_depth": {"x": 1}}}, "reps.min_depth must be a value, not a table"),
        ({"pose": 3}, "pose"),  # a section given as a plain value
    ],
)
def test_wrong_type(data, must_contain) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert must_contain in str(err.value)


def test_section_given_as_a_value_in_toml(tmp_path) -> None:
    with pytest.raises(ConfigError, match="pose"):
        load_config(write(tmp_path, "pose = 3\n"))


def test_missing_and_invalid_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path)  # a directory is not a config file
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[pose\nnum_poses = ", "bad.toml"))
    bad_utf8 = tmp_path / "latin1.toml"
    bad_utf8.write_bytes(b'[pose]\nmodel = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad_utf8)


def test_utf8_bom_is_accepted(tmp_path) -> None:
    # Notepad and other Windows editors save UTF-8 with a byte-order mark
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf[reps]\nmin_depth = 0.2\n")
    assert load_config(p).reps.min_depth == 0.2


def _non_default() -> Config:
    return dataclasses.replace(
        Config(),
        pose=PoseConfig(model='C:\\models\\my "best".task', num_poses=1, max_side=640),
        smoothing=SmoothingConfig(kind="causal", cutoff_hz=4.5, max_gap_s=0.1),
        video=VideoConfig(stride=2, max_fps=12.5, mirrored=True),
        reps=RepConfig(min_depth=0.15, min_duration_s=0.3),
    )


@pytest.mark.parametrize("cfg", [Config(), _non_default()], ids=["defaults", "non-defaults"])
def test_to_toml_round_trips(tmp_path, cfg) -> None:
    text = cfg.to_toml()
    tomllib.loads(text)  # valid TOML
    assert load_config(write(tmp_path, text)) == cfg


def test_to_toml_lists_every_field() -> None:
    data = tomllib.loads(Config().to_toml())
    assert set(data) == {f.name for f in dataclasses.fields(Config)}
    for f in dataclasses.fields(Config):
        assert set(data[f.name]) == {g.name for g in dataclasses.fields(f.default_factory())}  # type: ignore[misc]


def test_override_ignores_none_and_validates() -> None:
    cfg = Config()
    assert override(cfg, "video", stride=None) is cfg
    assert override(cfg, "video", stride=3).video.stride == 3
    assert cfg.video.stride == 1  # the original is untouched
    with pytest.raises(ConfigError, match=r"video.stride .*\[1, 100\]"):
        override(cfg, "video", stride=0)


@pytest.mark.parametrize("data, must_contain", [
    # the config the house issue found accepted: categories out of order
    ({"thresholds": {"sls_fppa_borderline": 12.0, "sls_fppa_mild": 10.0, "sls_fppa_marked": 5.0}},
     "sls_fppa_borderline <= thresholds.sls_fppa_mild <= thresholds.sls_fppa_marked"),
    ({"thresholds": {"stepup_fppa_mild": 20.0}}, "stepup_fppa"),
    ({"thresholds": {"pelvic_drop_borderline": 6.0}}, "pelvic_drop"),
    ({"thresholds": {"sls_fppa_mild_female": 20.0}}, "sls_fppa_mild_female"),
    # knee width: smaller is worse, so the order is reversed, and it is a ratio in (0, 1]
    ({"thresholds": {"squat_knee_width_marked": 0.85}}, "squat_knee_width_marked <= _mild <= _borderline"),
    ({"thresholds": {"squat_knee_width_borderline": 1.2}}, "in (0, 1]"),
    ({"recognition": {"foot_lift": 0.2}}, "recognition.foot_lift (0.2) must not exceed"),
])
def test_threshold_order_and_ratio_ranges_are_checked(data, must_contain) -> None:
    with pytest.raises(ConfigError, match=None) as exc:
        config_from_dict(data)
    assert must_contain in str(exc.value)


def test_every_result_changing_section_is_in_the_config() -> None:
    # the numbers that name reps and gate measures are configuration, written to config.toml
    text = Config().to_toml()
    for key in ("[recognition]", "single_leg_balance = 0.35", "foot_lift = 0.08", "foot_on_step = 0.12",
                "upright_tolerance = 0.03", "stepup_walkback_s = 2.0", "stepup_planted_ratio = 1.5",
                "stepup_planted_min_path = 0.04", "split_stance = 0.5", "stepup_min_lead_rise = 0.03",
                "seated_trunk_return_deg = 20.0", "[measure]",
                "structure_min_visibility = 0.2", "min_thigh_fraction = 0.3"):
        assert key in text
