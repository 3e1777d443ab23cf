"""Tests for valgus.io.models: model resolution, bundle checks and verified, atomic downloads.

No test touches the network: downloads are served by a fake ``urlopen`` from bytes in memory.
"""

from __future__ import annotations

import hashlib
import io
import re
import urllib.error
import zipfile
from pathlib import Path

import pytest

import valgus.errors
import valgus.io.models as models
from valgus.errors import ValgusError
from valgus.io.models import ModelError, OfficialModel, resolve_model, verify_task_bundle

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "models" / models.BUNDLED_MODEL_FILENAME


def make_bundle(
    path: Path,
    members: tuple[str, ...] = models.REQUIRED_MEMBERS,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """Write a tiny zip with the given member names (fake model bytes) and return its path."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name in members:
            zf.writestr(name, b"TFL3 fake model " * 64)
    return path


def bundle_bytes() -> bytes:
    """Bytes of a minimal valid bundle, to be 'downloaded'."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in models.REQUIRED_MEMBERS:
            zf.writestr(name, b"fake")
    return buf.getvalue()


class FakeResponse(io.BytesIO):
    """What urlopen returns: a readable, closable byte stream."""


class FakeOpener:
    """urlopen stand-in: serves `data`, records the URLs asked for."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float | None = None) -> FakeResponse:
        self.urls.append(url)
        return FakeResponse(self.data)


@pytest.fixture
def fake_official(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Point the 'lite' official model at bytes we serve, with their real hash and size."""
    data = bundle_bytes()
    fake = OfficialModel("lite", "https://example.invalid/lite.task",
                         hashlib.sha256(data).hexdigest(), len(data))
    monkeypatch.setitem(models.OFFICIAL_MODELS, "lite", fake)
    return data


def leftovers(directory: Path) -> list[str]:
    """Files in `directory` (temporary downloads included)."""
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- the bundled model -----------------------------------------------------------------------


def test_model_error_is_the_one_in_valgus_errors() -> None:
    assert ModelError is valgus.errors.ModelError  # one class: `except ModelError` catches all
    assert issubclass(ModelError, ValgusError)
    assert ModelError.exit_code == 1


def test_default_resolves_to_the_bundled_full_model() -> None:
    path = resolve_model()
    assert path.name == "pose_landmarker_full.task"
    assert path.is_file()
    assert resolve_model("full") == path
    assert resolve_model("FULL") == path  # names are case-insensitive


def test_bundled_model_sha256_matches_the_code_and_models_readme() -> None:
    digest = models.file_sha256(BUNDLED)
    assert digest == models.BUNDLED_MODEL_SHA256
    readme = (REPO / "models" / "README.md").read_text(encoding="utf-8")
    assert "`pose_landmarker_full.task` | " in readme
    assert f"`{digest}`" in readme


def test_bundled_model_is_a_valid_uncompressed_bundle() -> None:
    assert verify_task_bundle(BUNDLED) == BUNDLED
    with zipfile.ZipFile(BUNDLED) as zf:
        assert zf.namelist() == list(models.REQUIRED_MEMBERS)
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())  # deterministic


def test_bundled_model_is_package_data_of_valgus_model() -> None:
    # pyproject maps valgus._model onto models/: the editable install reads the one copy in place
    assert models.bundled_model_path() == BUNDLED.resolve()


@pytest.mark.slow
def test_wheel_carries_the_model_and_no_tooling(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(repo)], capture_output=True, text=True)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("valgus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"valgus/_model/{models.BUNDLED_MODEL_FILENAME}" in names
    assert not [n for n in names if "synth" in n or "valgus_tools" in n or n.endswith(".npz")]
    # every room of the package is in the wheel (pyproject lists the packages explicitly)
    rooms = {p.parent.relative_to(repo).as_posix() for p in (repo / "valgus").rglob("__init__.py")}
    assert rooms <= {n.rsplit("/", 1)[0] for n in names}, rooms - {n.rsplit("/", 1)[0] for n in names}


def test_full_falls_back_to_the_cache_when_not_bundled(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setattr(models, "bundled_model_path", lambda: None)
    with pytest.raises(ModelError, match="--download-model"):
        resolve_model("full", cache_dir=tmp_path)


# --- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_type", [str, Path])
def test_a_path_is_used_as_given(tmp_path: Path, as_type: type) -> None:
    bundle = make_bundle(tmp_path / "mine.task")
    assert resolve_model(as_type(bundle)) == bundle


def test_a_relative_task_filename_is_a_path(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    make_bundle(tmp_path / "mine.task")
    monkeypatch.chdir(tmp_path)
    assert resolve_model("mine.task") == Path("mine.task")


def test_an_existing_file_without_task_suffix_is_a_path(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_bundle(tmp_path / "model.bin")
    monkeypatch.chdir(tmp_path)
    assert resolve_model("model.bin") == Path("model.bin")


@pytest.mark.parametrize("spec", ["nowhere/model.task", "missing.task", "./x"])
def test_a_missing_path_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            spec: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="model file not found") as info:
        resolve_model(spec)
    assert "\n" not in str(info.value)


def test_an_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ModelError, match="lite, full, heavy"):
        resolve_model("medium")


# --- bundle checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a zip file"),                                        # empty file
        (b"hello, not a model", "not a zip file"),                      # junk
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:x", "Git LFS pointer"),
        (b"<!DOCTYPE html><html>Not Found</html>", "HTML page"),        # saved error page
        (b"\x1c\x00\x00\x00TFL3" + b"\x00" * 32, "bare .tflite"),       # a model, not a bundle
    ],
)
def test_not_a_zip_is_rejected(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.task"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=message) as info:
        resolve_model(str(path))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("members", "missing"),
    [
        (("pose_detector.tflite",), "pose_landmarks_detector.tflite"),
        (("pose_landmarks_detector.tflite",), "pose_detector.tflite"),
        (("hand_detector.tflite", "hand_landmarks_detector.tflite"), "pose_detector.tflite"),
        ((), "pose_detector.tflite"),
    ],
)
def test_wrong_members_are_rejected(tmp_path: Path, members: tuple[str, ...], missing: str) -> None:
    path = make_bundle(tmp_path / "wrong.task", members)
    with pytest.raises(ModelError, match=f"lacks .*{re.escape(missing)}"):
        verify_task_bundle(path)


def test_compressed_bundle_is_rejected(tmp_path: Path) -> None:
    path = make_bundle(tmp_path / "zipped.task", compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(ModelError, match="uncompressed"):
        verify_task_bundle(path)


def test_directory_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "dir.task").mkdir()
    with pytest.raises(ModelError, match="directory"):
        resolve_model(str(tmp_path / "dir.task"))


# --- named models, cache and download --------------------------------------------------------


def test_named_model_without_download_permission_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        resolve_model("heavy", cache_dir=tmp_path)
    message = str(info.value)
    assert "--download-model" in message
    assert "--model PATH" in message
    assert "/float16/1/pose_landmarker_heavy.task" in message
    assert "\n" not in message
    assert leftovers(tmp_path) == []


def test_no_network_without_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was used")

    monkeypatch.setattr(models.urllib.request, "urlopen", no_network)
    with pytest.raises(ModelError, match="--download-model"):
        resolve_model("lite", cache_dir=tmp_path)


def test_official_urls_are_version_pinned() -> None:
    for name, model in models.OFFICIAL_MODELS.items():
        assert model.url == (
            "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
            f"pose_landmarker_{name}/float16/1/pose_landmarker_{name}.task"
        )
        assert re.fullmatch(r"[0-9a-f]{64}", model.sha256)
        assert "latest" not in model.url


def test_download_writes_the_verified_file_atomically(tmp_path: Path, fake_official: bytes,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    opener = FakeOpener(fake_official)
    replaced: list[tuple[Path, Path]] = []
    real_replace = models.os.replace

    def spy_replace(src: str | Path, dst: str | Path) -> None:
        replaced.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(models.os, "replace", spy_replace)
    path = models.download_model("lite", cache_dir=tmp_path, opener=opener)
    assert opener.urls == ["https://example.invalid/lite.task"]
    assert path == tmp_path / "pose_landmarker_lite.float16-v1.task"
    assert path.read_bytes() == fake_official
    # Written under a temporary name in the same directory, then renamed into place.
    [(src, dst)] = replaced
    assert src.parent == tmp_path and src.name.endswith(".part") and dst == path
    assert leftovers(tmp_path) == [path.name]


def test_resolve_downloads_when_allowed_then_uses_the_cache(
    tmp_path: Path, fake_official: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    opener = FakeOpener(fake_official)
    monkeypatch.setattr(models.urllib.request, "urlopen", opener)
    path = resolve_model("lite", allow_download=True, cache_dir=tmp_path)
    assert path.read_bytes() == fake_official
    assert resolve_model("lite", cache_dir=tmp_path) == path  # cached: no permission needed
    assert len(opener.urls) == 1


def test_cache_dir_comes_from_the_environment(tmp_path: Path, fake_official: bytes,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALGUS_CACHE", str(tmp_path / "cache"))
    assert models.default_cache_dir() == tmp_path / "cache"
    path = models.download_model("lite", opener=FakeOpener(fake_official))
    assert path.parent == tmp_path / "cache"


def test_default_cache_dir_is_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VALGUS_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.default_cache_dir() == tmp_path / ".cache" / "valgus" / "models"


def test_hash_mismatch_leaves_no_file(tmp_path: Path, fake_official: bytes) -> None:
    tampered = bytearray(fake_official)
    tampered[-1] ^= 0xFF  # same size, different bytes
    with pytest.raises(ModelError, match="sha256 .* expected .* nothing was saved") as info:
        models.download_model("lite", cache_dir=tmp_path, opener=FakeOpener(bytes(tampered)))
    assert "\n" not in str(info.value)
    assert leftovers(tmp_path) == []


def test_short_download_leaves_no_file(tmp_path: Path, fake_official: bytes) -> None:
    with pytest.raises(ModelError, match="cut short"):
        models.download_model("lite", cache_dir=tmp_path, opener=FakeOpener(fake_official[:-10]))
    assert leftovers(tmp_path) == []


def test_oversized_download_stops_and_leaves_no_file(tmp_path: Path, fake_official: bytes) -> None:
    with pytest.raises(ModelError, match="larger than"):
        models.download_model("lite", cache_dir=tmp_path,
                              opener=FakeOpener(fake_official + b"x" * 100))
    assert leftovers(tmp_path) == []


def test_right_hash_but_not_a_bundle_is_not_saved(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"not a zip at all"
    monkeypatch.setitem(models.OFFICIAL_MODELS, "lite", OfficialModel(
        "lite", "https://example.invalid/lite.task", hashlib.sha256(data).hexdigest(), len(data)))
    with pytest.raises(ModelError, match="not a zip"):
        models.download_model("lite", cache_dir=tmp_path, opener=FakeOpener(data))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (urllib.error.URLError("[Errno -3] Temporary failure\nin name resolution"),
         "Temporary failure in name resolution"),
        (urllib.error.HTTPError("https://example.invalid", 403, "Forbidden", None, None),  # type: ignore[arg-type]
         "HTTP 403"),
        (TimeoutError("timed out"), "timed out"),
    ],
)
def test_offline_is_a_one_line_error_naming_url_and_fix(
    tmp_path: Path, fake_official: bytes, monkeypatch: pytest.MonkeyPatch,
    error: Exception, shown: str,
) -> None:
    def offline(url: str, timeout: float | None = None) -> None:
        raise error

    monkeypatch.setattr(models.urllib.request, "urlopen", offline)
    with pytest.raises(ModelError) as info:
        resolve_model("lite", allow_download=True, cache_dir=tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert "https://example.invalid/lite.task" in message
    assert "--model PATH" in message
    assert shown in message
    assert leftovers(tmp_path) == []


def test_corrupted_cache_is_reported_not_used(tmp_path: Path, fake_official: bytes) -> None:
    cached = models.cached_model_path("lite", tmp_path)
    cached.write_bytes(b"x" * len(fake_official))  # right size, wrong content
    with pytest.raises(ModelError, match="cached lite model .* delete it"):
        resolve_model("lite", cache_dir=tmp_path)
