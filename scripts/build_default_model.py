#!/usr/bin/env python3
"""Build ``models/pose_landmarker_full.task`` offline from the ``mediapipe==0.10.21`` wheel on PyPI.

Why this exists
---------------
MediaPipe's official PoseLandmarker ``.task`` bundles are served from Google's model storage, which
some networks (CI sandboxes, clinics, ...) cannot reach. The same BlazePose GHUM models (Apache-2.0)
ship inside the ``mediapipe==0.10.21`` wheel on PyPI as plain ``.tflite`` files for the legacy
"solutions" API. The Tasks API loads them once they are packed as a ``.task`` bundle:

* an UNCOMPRESSED (``ZIP_STORED``) zip holding ``pose_detector.tflite`` and
  ``pose_landmarks_detector.tflite``;
* each model carrying TFLite metadata that declares the image input's NormalizationOptions
  (detector: mean 127.5, std 127.5, i.e. [-1, 1]; landmark model: mean 0, std 255, i.e. [0, 1]).

The metadata writer (``mediapipe.tasks.python.metadata.metadata_writers.metadata_writer``) works in
mediapipe 0.10.21 but not in 1.x, so this script creates a throw-away virtualenv in a temporary
directory, installs ``mediapipe==0.10.21`` there (without its heavy, unneeded dependencies such as
jax) plus the few packages its import chain needs, and runs a small helper inside it that writes the
metadata. The zip itself is written here with the standard library, deterministically (fixed member
order, timestamps and permissions; members aligned to 64 bytes so they can be memory-mapped), so
rebuilding gives byte-identical output and the same SHA256.

Finally the bundle is checked with the mediapipe (1.x) installed in the interpreter running this
script: it must load, run, and (with ``--check-image``) find a person in the given image or video.

Usage::

    python scripts/build_default_model.py                      # models/pose_landmarker_full.task
    python scripts/build_default_model.py --check-image me.jpg # also require a detected person
    python scripts/build_default_model.py --heavy -o build/heavy.task  # fails: not in the wheel

Only the ``full`` landmark model ships in the 0.10.21 wheel (``pose_landmark_lite.tflite`` and
``pose_landmark_heavy.tflite`` were downloaded at run time by the legacy API and are not in the
wheel); ``--lite`` / ``--heavy`` are accepted and fail with a clear message naming the missing file,
so the script keeps working unchanged if a wheel that carries them is ever pinned instead.

Needs: network access to PyPI (or a pip configuration/mirror that serves the pinned packages, or
``--wheel`` pointing at a downloaded ``mediapipe-0.10.21`` wheel plus a pip mirror for the rest).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

LOG = logging.getLogger("build_default_model")

REPO_ROOT = Path(__file__).resolve().parent.parent

MEDIAPIPE_VERSION = "0.10.21"

# What the metadata helper needs to import mediapipe 0.10.21 (its top-level package imports the
# legacy solutions, which import cv2 and matplotlib). mediapipe itself is installed with --no-deps
# so that jax/jaxlib/sounddevice/sentencepiece (hundreds of MB, unused here) are not downloaded.
# flatbuffers is pinned because it serialises the metadata, i.e. it decides the output bytes.
HELPER_REQUIREMENTS = [
    "numpy==1.26.4",
    "flatbuffers==25.12.19",
    "protobuf>=4.25.3,<5",
    "absl-py",
    "attrs>=19.1.0",
    "opencv-python-headless==4.10.0.84",
    "matplotlib",
]

DETECTOR_WHEEL_PATH = "mediapipe/modules/pose_detection/pose_detection.tflite"
LANDMARK_WHEEL_PATH = "mediapipe/modules/pose_landmark/pose_landmark_{variant}.tflite"

# SHA256 of the source files inside mediapipe-0.10.21 (read from its cp311 manylinux x86_64 wheel;
# model files are platform-independent data). A mismatch means a different model: the build stops.
SOURCE_SHA256 = {
    DETECTOR_WHEEL_PATH: "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    LANDMARK_WHEEL_PATH.format(variant="full"): (
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
    ),
}

# Member names the PoseLandmarker graph looks up inside a .task bundle.
DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: fixed for determinism
ZIP_ALIGNMENT = 64  # member data offsets are multiples of this (MediaPipe reads members in place)
ALIGN_EXTRA_ID = 0xD935  # the "Android zipalign" extra-field id, used for the padding

# Runs inside the mediapipe 0.10.21 virtualenv. Arguments: a JSON job file. Writes the
# metadata-carrying models and prints a JSON report (source paths and hashes) on stdout.
HELPER_SOURCE = r'''
import hashlib, json, os, sys

import mediapipe
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

job = json.load(open(sys.argv[1]))
root = os.path.dirname(os.path.dirname(os.path.abspath(mediapipe.__file__)))
report = {"mediapipe_version": mediapipe.__version__, "models": []}
for model in job["models"]:
    src = os.path.join(root, model["source"])
    if not os.path.isfile(src):
        report["missing"] = model["source"]
        print(json.dumps(report))
        sys.exit(3)
    data = open(src, "rb").read()
    writer = metadata_writer.MetadataWriter.create(bytearray(data))
    writer.add_general_info(model["name"], model["description"])
    writer.add_image_input(norm_mean=[model["mean"]], norm_std=[model["std"]])
    out, _ = writer.populate()
    with open(model["output"], "wb") as f:
        f.write(bytes(out))
    report["models"].append({
        "source": model["source"],
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "output": model["output"],
    })
print(json.dumps(report))
'''


def sha256_file(path: Path) -> str:
    """Return the hex SHA256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a command, logging it; raise with its output if it fails."""
    LOG.debug("$ %s", " ".join(cmd))
    proc = subprocess.run(cmd, text=True, capture_output=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def make_helper_env(work: Path, wheel: Path | None) -> Path:
    """Create a virtualenv with mediapipe 0.10.21 and the helper's imports; return its python."""
    env_dir = work / "venv"
    LOG.info("creating a throw-away virtualenv for mediapipe %s", MEDIAPIPE_VERSION)
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
    target = str(wheel) if wheel else f"mediapipe=={MEDIAPIPE_VERSION}"
    LOG.info("installing %s (no dependencies) ...", target)
    run([*pip, "--no-deps", "--only-binary", ":all:", target])
    LOG.info("installing the metadata writer's imports: %s", ", ".join(HELPER_REQUIREMENTS))
    run([*pip, "--only-binary", ":all:", *HELPER_REQUIREMENTS])
    return python


def write_metadata(python: Path, work: Path, variant: str) -> dict[str, Path]:
    """Run the helper in the 0.10.21 env; return bundle member name -> metadata-carrying model."""
    landmark_source = LANDMARK_WHEEL_PATH.format(variant=variant)
    job = {
        "models": [
            {
                "source": DETECTOR_WHEEL_PATH,
                "output": str(work / DETECTOR_MEMBER),
                "name": "BlazePose GHUM pose detector",
                "description": (
                    "MediaPipe BlazePose person detector (224x224 RGB, input in [-1, 1]). "
                    f"From the mediapipe {MEDIAPIPE_VERSION} wheel. Apache-2.0, "
                    "Copyright The MediaPipe Authors."
                ),
                "mean": 127.5,
                "std": 127.5,
            },
            {
                "source": landmark_source,
                "output": str(work / LANDMARKS_MEMBER),
                "name": f"BlazePose GHUM 3D landmarks ({variant})",
                "description": (
                    f"MediaPipe BlazePose GHUM 3D {variant} landmark model (256x256 RGB, input in "
                    f"[0, 1]). From the mediapipe {MEDIAPIPE_VERSION} wheel. Apache-2.0, "
                    "Copyright The MediaPipe Authors."
                ),
                "mean": 0.0,
                "std": 255.0,
            },
        ]
    }
    job_path = work / "job.json"
    job_path.write_text(json.dumps(job))
    helper = work / "write_metadata.py"
    helper.write_text(HELPER_SOURCE)
    proc = subprocess.run(
        [str(python), str(helper), str(job_path)], text=True, capture_output=True, cwd=work
    )
    report_line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    try:
        report = json.loads(report_line)
    except json.JSONDecodeError:
        report = {}
    if proc.returncode == 3 and "missing" in report:
        raise SystemExit(
            f"the mediapipe {MEDIAPIPE_VERSION} wheel has no {report['missing']}: the "
            f"'{variant}' model cannot be built offline from it (only 'full' ships in that wheel); "
            "use the official bundle instead (valgus --model lite/heavy --download-model)"
        )
    if proc.returncode != 0:
        raise SystemExit(f"metadata helper failed:\n{proc.stdout}\n{proc.stderr}")
    LOG.info("metadata written with mediapipe %s", report.get("mediapipe_version"))
    for model in report["models"]:
        expected = SOURCE_SHA256.get(model["source"])
        LOG.info("source %s sha256 %s", model["source"], model["source_sha256"])
        if expected is not None and model["source_sha256"] != expected:
            raise SystemExit(
                f"{model['source']} has sha256 {model['source_sha256']}, expected {expected}: "
                "the wheel does not hold the model this script was written for"
            )
    return {DETECTOR_MEMBER: work / DETECTOR_MEMBER, LANDMARKS_MEMBER: work / LANDMARKS_MEMBER}


def _align_extra(offset: int, name: bytes) -> bytes:
    """Extra field that pads a local file header at `offset` so its data starts aligned."""
    base = offset + 30 + len(name) + 6  # 30-byte local header, name, 6-byte extra header+alignment
    pad = (-base) % ZIP_ALIGNMENT
    return struct.pack("<HHH", ALIGN_EXTRA_ID, 2 + pad, ZIP_ALIGNMENT) + b"\0" * pad


def write_bundle(members: dict[str, Path], output: Path) -> None:
    """Write a deterministic, uncompressed, aligned zip of `members` (in the given order)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    offset = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, path in members.items():
            data = path.read_bytes()
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, whatever the build machine
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.extra = _align_extra(offset, name.encode())
            zf.writestr(info, data)
            offset = info.header_offset + 30 + len(name.encode()) + len(info.extra) + len(data)
    # Check: stored, aligned, complete.
    with zipfile.ZipFile(tmp) as zf, open(tmp, "rb") as raw:
        for info in zf.infolist():
            raw.seek(info.header_offset)
            header = raw.read(30)
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            data_offset = info.header_offset + 30 + name_len + extra_len
            if info.compress_type != zipfile.ZIP_STORED or data_offset % ZIP_ALIGNMENT:
                raise SystemExit(f"internal error: {info.filename} is not stored/aligned")
            if zf.read(info.filename) != members[info.filename].read_bytes():
                raise SystemExit(f"internal error: {info.filename} differs after zipping")
    os.replace(tmp, output)


def _check_frame(check_image: Path) -> object:
    """Load an RGB frame (numpy array) from an image, or the middle frame of a video."""
    import cv2  # noqa: PLC0415 - optional, only for the check

    image = cv2.imread(str(check_image), cv2.IMREAD_COLOR)
    if image is None:  # not an image: try it as a video and take the middle frame
        cap = cv2.VideoCapture(str(check_image))
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if count > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, count // 2)
        ok, image = cap.read()
        cap.release()
        if not ok or image is None:
            raise SystemExit(f"--check-image: cannot read an image or a video frame: {check_image}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def verify_bundle(bundle: Path, check_image: Path | None) -> None:
    """Load the bundle with the installed mediapipe (1.x) and run it; require a person if asked."""
    try:
        import mediapipe as mp  # noqa: PLC0415
        import numpy as np  # noqa: PLC0415
        from mediapipe.tasks.python import vision  # noqa: PLC0415
        from mediapipe.tasks.python.core.base_options import BaseOptions  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit(f"cannot verify: mediapipe is not importable here ({exc}); "
                         "run with the project's environment or pass --no-check") from exc
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(bundle)),
        running_mode=vision.RunningMode.IMAGE,
        num_poses=1,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        blank = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((256, 256, 3), np.uint8))
        landmarker.detect(blank)  # must run (and find nobody) without error
        LOG.info("bundle loads and runs with mediapipe %s", getattr(mp, "__version__", "?"))
        if check_image is None:
            return
        frame = np.ascontiguousarray(_check_frame(check_image))
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=frame))
    if not result.pose_landmarks:
        raise SystemExit(f"the bundle loaded but found no person in {check_image}")
    landmarks = result.pose_landmarks[0]
    visible = sum(1 for lm in landmarks if (lm.visibility or 0.0) > 0.5)
    LOG.info("person found in %s: %d landmarks, %d with visibility > 0.5",
             check_image.name, len(landmarks), visible)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--lite", dest="variant", action="store_const", const="lite",
                       help="build the lite model (not in the 0.10.21 wheel: fails clearly)")
    group.add_argument("--heavy", dest="variant", action="store_const", const="heavy",
                       help="build the heavy model (not in the 0.10.21 wheel: fails clearly)")
    parser.set_defaults(variant="full")
    parser.add_argument("-o", "--output", type=Path,
                        help="output .task (default: models/pose_landmarker_<variant>.task)")
    parser.add_argument("--check-image", type=Path,
                        help="image (or video: its middle frame) with one person in it; "
                             "the build fails unless the new bundle detects that person")
    parser.add_argument("--no-check", action="store_true",
                        help="skip loading the bundle with the installed mediapipe")
    parser.add_argument("--wheel", type=Path,
                        help=f"a local mediapipe-{MEDIAPIPE_VERSION} wheel instead of PyPI's")
    parser.add_argument("--keep-temp", action="store_true",
                        help="keep the temporary virtualenv and files (for debugging)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(message)s")
    output: Path = args.output or REPO_ROOT / "models" / f"pose_landmarker_{args.variant}.task"
    if args.check_image is not None and not args.check_image.is_file():
        parser.error(f"--check-image: no such file: {args.check_image}")
    if args.wheel is not None and not args.wheel.is_file():
        parser.error(f"--wheel: no such file: {args.wheel}")

    tmp = tempfile.TemporaryDirectory(prefix="valgus-model-build-")
    try:
        work = Path(tmp.name)
        python = make_helper_env(work, args.wheel.resolve() if args.wheel else None)
        members = write_metadata(python, work, args.variant)
        write_bundle(members, output)
    finally:
        if args.keep_temp:
            LOG.info("temporary files kept in %s", tmp.name)
        else:
            tmp.cleanup()
    LOG.info("wrote %s (%d bytes) sha256 %s", output, output.stat().st_size, sha256_file(output))
    if not args.no_check:
        verify_bundle(output, args.check_image)
    print(f"{sha256_file(output)}  {output.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
