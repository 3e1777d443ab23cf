"""Pose model resolution: which MediaPipe PoseLandmarker ``.task`` bundle to load, and from where.

``resolve_model(spec)`` turns what the user asked for (``--model``) into a local file path that has
been checked to be a PoseLandmarker bundle, before MediaPipe ever sees it:

- ``None`` or ``"full"``: the bundled BlazePose GHUM *full* model
  (``models/pose_landmarker_full.task``, built offline by ``scripts/build_default_model.py``; see
  ``models/README.md``).
- a path: anything containing a path separator, ending in ``.task``, or naming an existing file, or
  any ``os.PathLike``; used as given (``~`` expanded); an error if it is missing.
- ``"lite"`` / ``"heavy"``: the official MediaPipe bundle (version-pinned URL), taken from the user
  cache (``$VALGUS_CACHE`` or ``~/.cache/valgus/models``), or downloaded into it only when
  ``allow_download=True`` (the CLI's ``--download-model``). Nothing is ever downloaded silently.

Downloads are atomic (a temporary file in the cache directory, then ``os.replace``) and checked
against the SHA256 and size recorded in ``OFFICIAL_MODELS``; a file that does not match is deleted
and never used.

The bundled model is package data of ``valgus._model``, which ``pyproject.toml`` maps onto the
repository's ``models/`` folder: ONE copy in the repository; an editable install reads it in place
and a wheel carries it.

This module imports only the standard library (and ``valgus.errors``): no mediapipe, no cv2.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from valgus.errors import ModelError  # re-exported: the one class the CLI and pose adapter catch

__all__ = [
    "BUNDLED_MODEL_FILENAME",
    "BUNDLED_MODEL_SHA256",
    "DEFAULT_MODEL",
    "MODEL_NAMES",
    "OFFICIAL_MODELS",
    "REQUIRED_MEMBERS",
    "ModelError",
    "OfficialModel",
    "bundled_model_path",
    "cached_model_path",
    "default_cache_dir",
    "download_model",
    "file_sha256",
    "resolve_model",
    "verify_task_bundle",
]

logger = logging.getLogger(__name__)

MODEL_NAMES: tuple[str, ...] = ("lite", "full", "heavy")
"""Model names accepted by :func:`resolve_model` (smallest/fastest to largest/most accurate)."""

DEFAULT_MODEL = "full"
"""The model used when none is given: the one shipped with valgus."""

BUNDLED_MODEL_FILENAME = "pose_landmarker_full.task"

BUNDLED_MODEL_SHA256 = "5ab9225af01a4546d8be0a04da4669bdda58bda1f9c78753ff85840dc1a8b520"
"""SHA256 of ``models/pose_landmarker_full.task`` as built by ``scripts/build_default_model.py``.

Kept equal to the value in ``models/README.md`` (a test checks both against the file)."""

REQUIRED_MEMBERS: tuple[str, ...] = ("pose_detector.tflite", "pose_landmarks_detector.tflite")
"""Files the PoseLandmarker graph reads from a ``.task`` bundle (an uncompressed zip)."""

CACHE_ENV_VAR = "VALGUS_CACHE"

_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{name}/float16/1/pose_landmarker_{name}.task"
)


@dataclass(frozen=True)
class OfficialModel:
    """An official MediaPipe PoseLandmarker bundle at a version-pinned URL.

    Attributes:
        name: ``"lite"``, ``"full"`` or ``"heavy"``.
        url: version-pinned download URL (``float16/1``, never ``latest``).
        sha256: expected SHA256 (hex) of the file at ``url``.
        size: expected size in bytes, or ``None`` if unknown.
    """

    name: str
    url: str
    sha256: str
    size: int | None

    @property
    def filename(self) -> str:
        """Name of the file in the cache (includes the pinned precision and version)."""
        return f"pose_landmarker_{self.name}.float16-v1.task"


# Google does not publish checksums for these files, and this project's build machines cannot
# reach Google's storage to compute them. The values below are the ones recorded by many
# independent public projects that download exactly these version-1 ("float16/1") URLs and pin
# them; those projects agree with one another. (Projects that fetch the unpinned "latest" URL of
# the full model report a different hash, 4eaa5eb7..., for a file of the same size: a reason to
# pin the version.) If Google ever republishes a file under the same URL, the download fails with
# a hash-mismatch error and nothing is saved; update these constants after checking the new file.
OFFICIAL_MODELS: dict[str, OfficialModel] = {
    "lite": OfficialModel(
        "lite",
        _URL_TEMPLATE.format(name="lite"),
        "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
        5_777_746,
    ),
    "full": OfficialModel(
        "full",
        _URL_TEMPLATE.format(name="full"),
        "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1",
        9_398_198,
    ),
    "heavy": OfficialModel(
        "heavy",
        _URL_TEMPLATE.format(name="heavy"),
        "64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b",
        30_664_242,
    ),
}

_CHUNK = 1 << 20
_DOWNLOAD_TIMEOUT_S = 60.0


def _one_line(text: object) -> str:
    """Collapse any message to a single line."""
    return " ".join(str(text).split())


def file_sha256(path: Path) -> str:
    """Return the hex SHA256 of the file at `path` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundled_model_path() -> Path | None:
    """Return the path of the bundled full model, or ``None`` if this installation lacks it.

    The model is package data of ``valgus._model``, which pyproject maps onto the repository's
    ``models/`` folder: an editable install reads it in place, a wheel carries a copy.
    """
    from importlib import resources

    try:
        path = Path(str(resources.files("valgus._model") / BUNDLED_MODEL_FILENAME))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def default_cache_dir() -> Path:
    """Directory for downloaded models: ``$VALGUS_CACHE``, else ``~/.cache/valgus/models``."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "valgus" / "models"


def cached_model_path(name: str, cache_dir: Path | None = None) -> Path:
    """Where the official model `name` is (or would be) stored in the cache."""
    return (cache_dir or default_cache_dir()) / _official(name).filename


def _official(name: str) -> OfficialModel:
    try:
        return OFFICIAL_MODELS[name]
    except KeyError:
        raise ModelError(
            f"unknown model {name!r}: use one of {', '.join(MODEL_NAMES)} or a path to a .task file"
        ) from None


def verify_task_bundle(path: Path) -> Path:
    """Check that `path` is a PoseLandmarker ``.task`` bundle; return it unchanged.

    A bundle is a zip holding :data:`REQUIRED_MEMBERS`, stored uncompressed (MediaPipe rejects
    compressed bundles with an obscure error). Only the zip directory is read, so this is fast.

    Raises:
        ModelError: missing file, a directory, not a zip (with a hint for Git LFS pointers and HTML
            error pages), a required member missing, or a compressed member.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelError(f"model path is a directory, not a .task file: {path}")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            head = f.read(64)
        hint = ""
        if head.startswith(b"version https://git-lfs"):
            hint = " (it is a Git LFS pointer: run 'git lfs pull')"
        elif head.lstrip().lower().startswith((b"<!doctype", b"<html")):
            hint = " (it is an HTML page, probably a failed download)"
        elif head[4:8] == b"TFL3":  # the TFLite flatbuffer file identifier
            hint = " (it is a bare .tflite model; PoseLandmarker needs a .task bundle)"
        raise ModelError(f"not a MediaPipe .task bundle (not a zip file): {path}{hint}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {info.filename: info for info in zf.infolist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"cannot read model bundle {path}: {_one_line(exc)}") from exc
    missing = [m for m in REQUIRED_MEMBERS if m not in infos]
    if missing:
        found = ", ".join(sorted(infos)) or "nothing"
        raise ModelError(
            f"not a PoseLandmarker .task bundle: {path} lacks {', '.join(missing)} (has: {found})"
        )
    compressed = [m for m in REQUIRED_MEMBERS if infos[m].compress_type != zipfile.ZIP_STORED]
    if compressed:
        raise ModelError(
            f"model bundle {path} has compressed members ({', '.join(compressed)}); MediaPipe "
            "needs an uncompressed zip (rebuild it with ZIP_STORED, e.g. 'zip -0')"
        )
    return path


def _check_cached(model: OfficialModel, path: Path) -> Path:
    """Verify a cached official model against its pinned size and hash."""
    if model.size is not None and path.stat().st_size != model.size:
        raise ModelError(
            f"cached {model.name} model {path} has {path.stat().st_size} bytes, expected "
            f"{model.size}: delete it and pass --download-model to fetch it again"
        )
    digest = file_sha256(path)
    if digest != model.sha256:
        raise ModelError(
            f"cached {model.name} model {path} has sha256 {digest}, expected {model.sha256}: "
            "delete it and pass --download-model to fetch it again"
        )
    return verify_task_bundle(path)


def download_model(
    name: str,
    *,
    cache_dir: Path | None = None,
    opener: Callable[..., IO[bytes]] | None = None,
    timeout: float = _DOWNLOAD_TIMEOUT_S,
) -> Path:
    """Download the official model `name` into the cache, verified and atomically; return its path.

    The bytes go to a temporary file in the cache directory while their SHA256 is computed; only a
    file with the pinned size and hash that is a valid bundle is moved into place (``os.replace``),
    so a crash, a network failure or a wrong file never leaves a partial or unverified model.

    Args:
        name: ``"lite"``, ``"full"`` or ``"heavy"``.
        cache_dir: where to store it; default :func:`default_cache_dir`.
        opener: ``urlopen``-like callable ``(url, timeout=...)`` returning a readable, closable
            response; default :func:`urllib.request.urlopen` (looked up at call time, so tests can
            monkeypatch it).
        timeout: socket timeout in seconds.

    Raises:
        ModelError: offline / HTTP error (one line naming the URL and the ``--model PATH`` fix),
            size or hash mismatch, or a cache directory that cannot be written.
    """
    model = _official(name)
    directory = cache_dir or default_cache_dir()
    target = directory / model.filename
    fix = "or pass --model PATH to a .task file you have"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot create model cache directory {directory}: {_one_line(exc)}"
        ) from exc
    open_url = opener if opener is not None else urllib.request.urlopen
    size_note = f" ({model.size / 1e6:.1f} MB)" if model.size else ""
    logger.info("downloading the %s pose model%s from %s", name, size_note, model.url)

    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{model.filename}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        received = 0
        try:
            with os.fdopen(fd, "wb") as out:
                response: Any = open_url(model.url, timeout=timeout)
                try:
                    while True:
                        chunk = response.read(_CHUNK)
                        if not chunk:
                            break
                        received += len(chunk)
                        if model.size is not None and received > model.size:
                            raise ModelError(
                                f"download of {model.url} is larger than the expected "
                                f"{model.size} bytes; nothing was saved ({fix})"
                            )
                        digest.update(chunk)
                        out.write(chunk)
                finally:
                    response.close()
                out.flush()
                os.fsync(out.fileno())
        except ModelError:
            raise
        except urllib.error.HTTPError as exc:
            raise ModelError(
                f"cannot download the {name} model from {model.url} (HTTP {exc.code}); {fix}"
            ) from exc
        except urllib.error.URLError as exc:
            raise ModelError(
                f"cannot download the {name} model from {model.url} "
                f"({_one_line(exc.reason)}); connect to the internet {fix}"
            ) from exc
        except OSError as exc:  # timeouts, resets, disk full
            raise ModelError(
                f"cannot download the {name} model from {model.url} ({_one_line(exc)}); {fix}"
            ) from exc
        if model.size is not None and received != model.size:
            raise ModelError(
                f"download of {model.url} was cut short ({received} of {model.size} bytes); "
                f"nothing was saved; try again {fix}"
            )
        actual = digest.hexdigest()
        if actual != model.sha256:
            raise ModelError(
                f"download of {model.url} has sha256 {actual}, expected {model.sha256}; "
                f"nothing was saved ({fix})"
            )
        verify_task_bundle(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("saved the %s pose model to %s", name, target)
    return target


def _looks_like_path(spec: str) -> bool:
    """True if `spec` should be read as a file path rather than a model name."""
    separators = {os.sep} | ({os.altsep} if os.altsep else set()) | {"/"}
    return (
        any(sep in spec for sep in separators)
        or spec.lower().endswith(".task")
        or spec.startswith("~")
        or Path(spec).is_file()
    )


def resolve_model(
    spec: str | os.PathLike[str] | None = None,
    *,
    allow_download: bool = False,
    cache_dir: Path | None = None,
) -> Path:
    """Turn a model spec into the path of a checked PoseLandmarker ``.task`` bundle.

    Args:
        spec: ``None`` or ``"full"`` (the bundled model), ``"lite"`` / ``"heavy"`` (official
            bundles), or a path to a ``.task`` file (a ``str`` with a path separator, ending in
            ``.task`` or naming an existing file, or any ``os.PathLike``). Names are
            case-insensitive.
        allow_download: permit downloading an official model that is not in the cache yet
            (``--download-model``). Without it nothing touches the network.
        cache_dir: cache for official models; default :func:`default_cache_dir`.

    Returns:
        The path to give ``BaseOptions(model_asset_path=...)``.

    Raises:
        ModelError: unknown name, missing or invalid file, model not downloaded and
            ``allow_download`` false (the message names ``--download-model``), or a failed download.

    Examples:
        >>> resolve_model().name
        'pose_landmarker_full.task'
    """
    if spec is not None and not isinstance(spec, str):
        return verify_task_bundle(Path(spec))
    text = (spec or DEFAULT_MODEL).strip()
    if not text:
        text = DEFAULT_MODEL
    if text.lower() not in MODEL_NAMES and _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.exists():
            raise ModelError(f"model file not found: {path}")
        return verify_task_bundle(path)

    name = text.lower()
    model = _official(name)
    if name == DEFAULT_MODEL:
        bundled = bundled_model_path()
        if bundled is not None:
            logger.debug("using the bundled %s model %s", name, bundled)
            return verify_task_bundle(bundled)
        logger.warning("the bundled %s model is missing from this installation", name)

    cached = cached_model_path(name, cache_dir)
    if cached.is_file():
        logger.debug("using the cached %s model %s", name, cached)
        return _check_cached(model, cached)
    if not allow_download:
        raise ModelError(
            f"the {name} pose model is not downloaded yet: pass --download-model to fetch it from "
            f"{model.url} into {cached.parent}, or --model PATH to a .task file you have"
        )
    return download_model(name, cache_dir=cache_dir)
