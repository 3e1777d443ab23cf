"""The pose adapter: the only module that imports mediapipe.

MediaPipe PoseLandmarker (Tasks API) in VIDEO mode for files and live streams (timestamps from
media time, strictly increasing), converted to :class:`valgus.types.PersonPose` in *pixels* of the
original frame, before any angle is computed (angles on normalised coordinates are wrong on every
non-square frame).

Subject selection (the same person across frames):

1. The model is asked for up to ``num_poses`` people (default 2) so that a second person is
   *seen* rather than silently merged into the subject. Asking for two people costs ~1.6x the
   CPU of asking for one (MediaPipe re-runs its person detector on every frame while it tracks
   fewer people than ``num_poses``), so by default a one-person landmarker does the work and a
   ``num_poses`` landmarker in IMAGE mode (a fresh detection, no state: one serves all of a
   clip's segments) counts the people every 0.1 s during the first second and then once per
   ``people_check_s`` seconds of media time. When it sees two people, a ``num_poses`` landmarker
   in VIDEO mode takes over, and hands back to a fresh one-person landmarker once nobody else has
   been seen for ``people_revert_s`` seconds (a passer-by, or a false second detection on a few
   frames, no longer costs the multi-person model for the rest of the clip). ``people_check_s
   = 0``: the multi-person model on every frame.
2. While no subject is locked, the candidate with the highest score ``lower-body visibility x
   body height in pixels`` is chosen: the person whose legs are most fully and most largely in
   view, which is the person doing the exercise in a clip framed for it (a bystander cut off by
   the frame or half-hidden scores low).
3. Once locked, each frame takes the candidate whose hips and shoulders are nearest the subject's
   last known position (relative to body height). If none is within ``max_jump`` body heights,
   the frame has no subject; after ``relock_s`` seconds without a match the lock is released and
   rule 2 chooses again.

Frames with several people are counted; the pipeline warns when they are common.

The bystander checks follow a grid of media time anchored at the clip's first frame (every 0.1 s
in the first second, then every ``people_check_s``): a frame is checked when a grid point falls
between the previous frame and it. The grid depends only on media time, so a clip cut into
segments (:mod:`valgus.engine`, one landmarker per segment) checks the same frames as one pass;
a segment also checks its own first frame, where its tracking starts afresh.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from valgus.errors import ModelError
from valgus.landmarks import LM, LOWER_BODY, MIRROR_PERMUTATION, N_LANDMARKS
from valgus.types import FramePoses, PersonPose

log = logging.getLogger(__name__)

_TORSO = [LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER]


class PoseEstimator(Protocol):
    """Anything that turns an RGB frame at media time ``t`` into the people in it."""

    def __call__(
        self, image: np.ndarray, t: float, index: int, size: tuple[int, int] | None = None
    ) -> FramePoses: ...

    def close(self) -> None: ...


def people_from_result(result: Any, width: int, height: int, *, mirrored: bool = False) -> tuple[PersonPose, ...]:
    """Convert a MediaPipe ``PoseLandmarkerResult`` to pixel-space :class:`PersonPose` objects.

    Works on anything with ``pose_landmarks`` (list of lists of objects with ``x, y, z,
    visibility, presence``) and ``pose_world_landmarks`` (``x, y, z``), so tests can pass fakes.

    ``mirrored=True`` is for a horizontally mirrored picture (a selfie-view recording): x is
    flipped back (pixels and world) and left/right labels are swapped, so sides are the subject's
    own and signs keep their meaning.
    """
    people = []
    worlds = getattr(result, "pose_world_landmarks", None) or []
    for i, lms in enumerate(getattr(result, "pose_landmarks", None) or []):
        if len(lms) != N_LANDMARKS:
            continue
        arr = np.array([[lm.x, lm.y, _f(lm.visibility), _f(lm.presence)] for lm in lms], dtype=np.float64)
        xy = arr[:, :2] * np.array([width, height], dtype=np.float64)
        world = np.full((N_LANDMARKS, 3), np.nan)
        if i < len(worlds) and len(worlds[i]) == N_LANDMARKS:
            world = np.array([[w.x, w.y, w.z] for w in worlds[i]], dtype=np.float64)
        vis, pres = arr[:, 2], arr[:, 3]
        if mirrored:
            xy[:, 0] = width - xy[:, 0]
            world[:, 0] = -world[:, 0]
            perm = list(MIRROR_PERMUTATION)
            xy, world, vis, pres = xy[perm], world[perm], vis[perm], pres[perm]
        people.append(PersonPose(xy=xy, visibility=vis, presence=pres, world=world))
    return tuple(people)


def _f(v: float | None) -> float:
    return float(v) if v is not None else 1.0


def _body_height(p: PersonPose) -> float:
    x0, y0, x1, y1 = p.bbox()
    return max(y1 - y0, x1 - x0, 1.0)


def _centre(p: PersonPose) -> np.ndarray:
    return np.nanmean(p.xy[_TORSO], axis=0)


def candidate_score(p: PersonPose) -> float:
    """Rule 2's score: mean lower-body visibility x body height in pixels."""
    return float(np.mean(p.visibility[list(LOWER_BODY)])) * _body_height(p)


@dataclass
class SubjectSelector:
    """Chooses the same person across frames (rules in the module docstring)."""

    max_jump: float = 0.35
    relock_s: float = 1.0
    _last: PersonPose | None = field(default=None, init=False)
    _last_t: float = field(default=-np.inf, init=False)
    frames_with_several: int = field(default=0, init=False)
    switches: int = field(default=0, init=False)

    def reset(self) -> None:
        self._last = None
        self._last_t = -np.inf

    def select(self, poses: FramePoses) -> PersonPose | None:
        people = poses.people
        if len(people) > 1:
            self.frames_with_several += 1
        if not people:
            return None
        if self._last is not None and poses.t - self._last_t > self.relock_s:
            self._last = None
            self.switches += 1
        if self._last is None:
            chosen = max(people, key=candidate_score)
        else:
            ref = _centre(self._last)
            scale = _body_height(self._last)
            dists = [float(np.linalg.norm(_centre(p) - ref)) / scale for p in people]
            k = int(np.argmin(dists))
            if not dists[k] <= self.max_jump:
                return None
            chosen = people[k]
        self._last, self._last_t = chosen, poses.t
        return chosen


# ------------------------------------------------------------------------------ importing mediapipe
#: the packages whose ``__init__`` imports every MediaPipe task (audio, text, all of vision and its
#: drawing helpers, which load matplotlib and sounddevice): 1.0-1.5 s of an analysis's start-up on
#: the project's 2-core machine (docs/speed.md), for a pose landmarker that needs about 30 modules.
_HEAVY_PACKAGES = ("mediapipe", "mediapipe.tasks", "mediapipe.tasks.python", "mediapipe.tasks.python.vision")


class _DeferredPackage(types.ModuleType):
    """A package registered without running its ``__init__``: submodules import normally, and the
    first lookup of a name the package does not have yet runs the ``__init__`` in place (so a later
    ``import mediapipe; mediapipe.Image`` anywhere in the process still works)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self.__class__ = types.ModuleType  # once: no recursion while the __init__ runs
        spec = self.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, name)


@dataclass(frozen=True)
class _PoseAPI:
    """The few MediaPipe names the adapter uses."""

    BaseOptions: Any
    PoseLandmarker: Any
    PoseLandmarkerOptions: Any
    RunningMode: Any
    Image: Any
    ImageFormat: Any


_API: _PoseAPI | None = None
_API_LOCK = threading.Lock()  # segments' threads and the background import may ask at once


def _pose_api() -> _PoseAPI:
    """Import the pose landmarker without MediaPipe's package ``__init__`` files (see
    :data:`_HEAVY_PACKAGES`); falls back to the plain ``import mediapipe`` if the layout differs."""
    with _API_LOCK:
        return _pose_api_locked()


def _pose_api_locked() -> _PoseAPI:
    global _API
    if _API is not None:
        return _API
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "mediapipe" not in sys.modules:
        try:
            _API = _light_import()
            return _API
        except Exception as exc:  # noqa: BLE001 - any surprise: forget the partial import, do it the plain way
            log.debug("light mediapipe import failed (%s: %s); importing the whole package", type(exc).__name__, exc)
            for name in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")]:
                del sys.modules[name]
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    _API = _PoseAPI(BaseOptions, vision.PoseLandmarker, vision.PoseLandmarkerOptions, vision.RunningMode,
                    mp.Image, mp.ImageFormat)
    return _API


def _light_import() -> _PoseAPI:
    import importlib.machinery

    parent: types.ModuleType | None = None
    for name in _HEAVY_PACKAGES:
        if name in sys.modules:
            parent = sys.modules[name]
            continue
        path = None if parent is None else list(parent.__path__)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            raise ImportError(f"{name}: not a package")
        mod = _DeferredPackage(name)
        mod.__spec__, mod.__loader__, mod.__file__ = spec, spec.loader, spec.origin
        mod.__path__, mod.__package__ = list(spec.submodule_search_locations), name
        sys.modules[name] = mod
        if parent is not None:
            setattr(parent, name.rpartition(".")[2], mod)
        parent = mod
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision.core.image import Image, ImageFormat
    from mediapipe.tasks.python.vision.core.vision_task_running_mode import VisionTaskRunningMode
    from mediapipe.tasks.python.vision.pose_landmarker import PoseLandmarker, PoseLandmarkerOptions

    return _PoseAPI(BaseOptions, PoseLandmarker, PoseLandmarkerOptions, VisionTaskRunningMode, Image, ImageFormat)


# --------------------------------------------------------------------------- bystander-check schedule
@dataclass(frozen=True)
class CheckSchedule:
    """When the ``num_poses`` landmarker looks for other people (module docstring).

    Args:
        every_s: the period after the first second (``pose.people_check_s``).
        origin: media time of the clip's first frame (None: the first frame this estimator sees).
        prev_t: media time of the frame before the first one this estimator sees (a segment that
            starts after a seam); None: the estimator starts at the clip's first frame.
    """

    every_s: float = 1.0
    origin: float | None = None
    prev_t: float | None = None
    dense_s: float = 1.0  # the first second is checked...
    dense_every_s: float = 0.1  # ...every 0.1 s

    def points_until(self, origin: float, t: float) -> int:
        """How many grid points lie at or before media time ``t``."""
        d = t - origin + 1e-9
        if d < 0:
            return 0
        step = min(self.dense_every_s, self.every_s)
        n_dense = math.ceil(self.dense_s / step - 1e-9)
        if d < self.dense_s:
            return min(int(d // step) + 1, n_dense)
        return n_dense + int((d - self.dense_s) // self.every_s) + 1


def release_free_heap() -> None:
    """Give freed heap memory back to the OS (glibc only; a no-op elsewhere).

    A closed pose model's buffers (about 50 MB per landmarker on a 1080x1920 clip) otherwise stay
    in the process, spread over the allocator's per-thread arenas: with a model per segment on two
    threads, peak RSS on a one-minute phone clip went from 773 to 687 MB with this after each
    segment.
    """
    libc = _libc()
    try:
        if libc is not None:
            libc.malloc_trim(0)
    except AttributeError as exc:  # musl and others have no malloc_trim
        log.debug("malloc_trim unavailable: %s", exc)


_LIBC: list[Any] = []


def _libc() -> Any:
    """The C library through ctypes (loaded once; None off Linux or when it cannot be loaded)."""
    if not _LIBC:
        lib = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes
                import ctypes.util

                lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            except OSError as exc:
                log.debug("libc unavailable: %s", exc)
        _LIBC.append(lib)
    return _LIBC[0]


_ARENAS_LIMITED = False

#: longest side of the picture the people counter sees (:class:`MediaPipePose`)
COUNT_MAX_SIDE = 960
#: the subject's box in the people counter's picture: padded by this fraction of its larger side
MASK_PAD = 0.15
#: and filled with this grey
MASK_GREY = 127


def _normalised_xy(result: Any) -> np.ndarray | None:
    """The first person's landmarks in a MediaPipe result, normalised (x, y); None if nobody."""
    people = getattr(result, "pose_landmarks", None) or []
    if not people or len(people[0]) != N_LANDMARKS:
        return None
    return np.array([[lm.x, lm.y] for lm in people[0]], dtype=np.float64)


def subject_mask_box(norm_xy: np.ndarray | None, width: int, height: int,
                     pad: float = MASK_PAD) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` in pixels of a ``width`` x ``height`` picture covering the landmarks
    ``norm_xy`` (normalised x, y: all 33, hands and feet included), padded by ``pad`` of the
    box's larger side and clamped to the picture; None when there are none or the box would
    cover nearly all of the picture (nothing left to look at: the counter then sees it whole)."""
    if norm_xy is None:
        return None
    p = norm_xy[np.isfinite(norm_xy).all(axis=1)] * np.array([width, height], dtype=np.float64)
    if p.size == 0:
        return None
    (ax, ay), (bx, by) = p.min(axis=0), p.max(axis=0)
    m = pad * max(bx - ax, by - ay)
    x0, y0 = int(max(0.0, np.floor(ax - m))), int(max(0.0, np.floor(ay - m)))
    x1, y1 = int(min(float(width), np.ceil(bx + m))), int(min(float(height), np.ceil(by + m)))
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > 0.9 * width * height:
        return None
    return x0, y0, x1, y1


def limit_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's malloc arenas at ``n`` (once per process; a no-op elsewhere). By default
    glibc gives up to 8 arenas per core to the threads that allocate at once (pose models'
    graph threads, decoders, workers); each keeps the memory its threads freed, and with a pose
    model made for every 10-s segment of a 10-minute clip peak RSS grew well past what the
    analysis holds."""
    global _ARENAS_LIMITED
    libc = _libc()
    if _ARENAS_LIMITED or libc is None:
        return
    _ARENAS_LIMITED = True
    try:
        m_arena_max = -8  # <malloc.h>
        libc.mallopt(m_arena_max, int(n))
    except AttributeError as exc:  # musl and others
        log.debug("mallopt unavailable: %s", exc)


#: one redirection of file descriptor 2 for every thread inside :func:`quiet_native_stderr`
_QUIET_LOCK = threading.Lock()
_QUIET: dict[str, Any] = {"depth": 0, "saved": None}


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what MediaPipe's C++ side writes to file descriptor 2 while loading a model and
    until it has found its first person ("Created TensorFlow Lite XNNPACK delegate",
    feedback-tensor and NORM_RECT warnings, each logged once): absl logs there directly, before
    and regardless of ``GLOG_minloglevel``.
    Nothing is silenced with debug logging (``-v``) or ``GLOG_minloglevel=0``.

    File descriptor 2 belongs to the process, and segments load their models in threads at
    once: the first thread in points it at /dev/null and the last one out restores it (each
    thread saving and restoring it on its own left it at /dev/null whenever two overlapped,
    and every later warning and error of the run was lost)."""
    if os.environ.get("GLOG_minloglevel") == "0" or log.isEnabledFor(logging.DEBUG):
        yield
        return
    with _QUIET_LOCK:
        if _QUIET["depth"] == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):  # no usable fd 2 (e.g. a GUI without a console)
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 2)
                finally:
                    os.close(devnull)
            _QUIET["saved"] = saved
        _QUIET["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET["depth"] -= 1
            if _QUIET["depth"] == 0 and _QUIET["saved"] is not None:
                os.dup2(_QUIET["saved"], 2)
                os.close(_QUIET["saved"])
                _QUIET["saved"] = None


def _create_landmarker(api: _PoseAPI, model_path: str | Path, n: int, min_detection: float, min_presence: float,
                       min_tracking: float, *, image: bool = False) -> Any:
    """A PoseLandmarker for up to ``n`` people: VIDEO mode (tracking between frames), or IMAGE
    mode (``image=True``: every call detects afresh, no state)."""
    options = api.PoseLandmarkerOptions(
        base_options=api.BaseOptions(model_asset_path=str(model_path)),
        running_mode=api.RunningMode.IMAGE if image else api.RunningMode.VIDEO,
        num_poses=n,
        min_pose_detection_confidence=min_detection,
        min_pose_presence_confidence=min_presence,
        min_tracking_confidence=min_tracking,
        output_segmentation_masks=False,
    )
    try:
        with quiet_native_stderr():
            return api.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{model_path}: MediaPipe could not load this model ({msg})") from exc


class PeopleChecker:
    """Counts the people in a frame with a multi-person landmarker in IMAGE mode (a fresh detection
    on every call, no state), made when first called. Its answer depends only on the frame, so
    one checker serves every segment of a clip, from any thread (calls are serialised): one model
    in memory instead of one per segment thread (~85 MB each on a phone clip).

    Args:
        make: creates the landmarker (``detect(mp_image)``) on first use.
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._landmarker: Any = None
        self._lock = threading.Lock()
        self._quiet = True

    def warm(self) -> None:
        """Make the landmarker now (e.g. in a thread of its own while the segments' models are
        made, instead of in the first check, which every segment's first frame waits for)."""
        with self._lock:
            if self._landmarker is None:
                try:
                    with quiet_native_stderr():
                        self._landmarker = self._make()
                except Exception as exc:  # the first check makes it again and reports the error
                    log.debug("people counter not made ahead: %s", exc)

    def __call__(self, mp_image: Any, t: float) -> Any:
        """The model's result for the frame ``mp_image`` (media time ``t``, for the log)."""
        with self._lock:
            if self._landmarker is None:
                self._landmarker = self._make()
            with quiet_native_stderr() if self._quiet else contextlib.nullcontext():
                result = self._landmarker.detect(mp_image)
            if getattr(result, "pose_landmarks", None):
                self._quiet = False
            log.debug("people counted at t=%.3f s: %d", t, len(getattr(result, "pose_landmarks", None) or []))
            return result

    def close(self) -> None:
        with self._lock:
            if self._landmarker is not None:
                with quiet_native_stderr():
                    self._landmarker.close()
                self._landmarker = None


def open_people_checker(model_path: str | Path, num_poses: int, min_detection: float = 0.5,
                        min_presence: float = 0.5, min_tracking: float = 0.5) -> PeopleChecker:
    """A :class:`PeopleChecker` for ``model_path`` (the model is loaded on first use)."""
    api = _pose_api()
    return PeopleChecker(lambda: _create_landmarker(api, model_path, num_poses, min_detection, min_presence,
                                                    min_tracking, image=True))


class MediaPipePose:
    """MediaPipe PoseLandmarker in VIDEO mode, as a :class:`PoseEstimator`.

    Args:
        model_path: a ``.task`` bundle (see ``valgus.io.models.resolve_model``).
        num_poses: how many people the model may return per frame.
        min_detection, min_presence, min_tracking: MediaPipe's confidence thresholds.
        mirrored: the picture is a mirror image (selfie view); see :func:`people_from_result`.
        people_check_s: with ``num_poses > 1``, a one-person landmarker does the work and a
            ``num_poses`` landmarker counts the people every 0.1 s in the first second and then
            every ``people_check_s`` seconds of media time; a ``num_poses`` landmarker takes over
            once it sees two (module docstring). 0 = the ``num_poses`` landmarker on every frame.
        people_revert_s: after a hand-over, the one-person landmarker takes back over once
            nobody else has been seen for this many seconds of media time (0 = never).
        schedule: where this estimator starts in the clip (a segment after a seam: see
            :class:`CheckSchedule`); ``every_s`` is taken from ``people_check_s``.
        people: the people counter to use (one shared by a clip's segments); None = its own.

    The counting landmarker is created when the first check is due, in the thread that runs the
    estimator, not when the estimator is made (a shared counter can be made ahead:
    :meth:`PeopleChecker.warm`).
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        num_poses: int = 2,
        min_detection: float = 0.5,
        min_presence: float = 0.5,
        min_tracking: float = 0.5,
        mirrored: bool = False,
        people_check_s: float = 1.0,
        people_revert_s: float = 3.0,
        schedule: CheckSchedule | None = None,
        people: "PeopleChecker | None" = None,
    ) -> None:
        # MediaPipe's C++ side logs warnings/info to stderr; keep the user's terminal readable
        # unless they asked for it (GLOG_minloglevel=0).
        api = _pose_api()
        self._api = api
        self.mirrored = mirrored
        self.num_poses = num_poses
        self.people_check_s = float(people_check_s)
        sched = schedule or CheckSchedule()
        self._schedule = CheckSchedule(every_s=self.people_check_s, origin=sched.origin, prev_t=sched.prev_t)

        def create(n: int) -> Any:
            return _create_landmarker(api, model_path, n, min_detection, min_presence, min_tracking)

        self._adaptive = num_poses > 1 and self.people_check_s > 0
        self.people_revert_s = float(people_revert_s)
        #: makes a VIDEO-mode landmarker for n people (the one in use is remade at a hand-over)
        self._create: Callable[[int], Any] = create
        #: the landmarker whose results are used (one person while no second person is seen)
        self._landmarker = create(1 if self._adaptive else num_poses)
        #: counts people on the due frames (None: not adaptive); shared by a clip's segments
        self._own_people = self._adaptive and people is None
        self._people: PeopleChecker | None = None
        if self._adaptive:
            self._people = people if people is not None else PeopleChecker(
                lambda: _create_landmarker(api, model_path, num_poses, min_detection, min_presence, min_tracking,
                                           image=True))
        self._init_state()

    def _init_state(self) -> None:
        self._origin: float | None = self._schedule.origin
        self._prev_t: float | None = self._schedule.prev_t
        self._first = True
        self._last_ms = -1
        #: the one-person model's result on the frame before (its subject is masked out of the
        #: people counter's picture; read only when a check is due); None in multi-person mode
        self._last_result: Any = None
        #: silence native stderr for the landmarker in use until it has found a person
        self._quiet = True
        #: media time at which a second person was first seen (the multi-person model ran from then on)
        self.several_people_from: float | None = None
        #: media time of the last frame with more than one person (multi-person mode)
        self._several_last_t: float | None = None
        #: the landmarker in use is the multi-person one
        self._multi = self.num_poses > 1 and not self._adaptive
        #: hand-overs between the one- and multi-person models: (media time, "multi" | "single")
        self.handovers: list[tuple[float, str]] = []

    @property
    def multi_person(self) -> bool:
        """True when a model asked for several people produces the results."""
        return self._multi

    def _check_due(self, t: float) -> bool:
        """Whether the people check runs on the frame at media time ``t`` (module docstring)."""
        if self._origin is None:
            self._origin = t
        prev, self._prev_t = self._prev_t, t
        first, self._first = self._first, False
        if prev is None:  # the clip's first frame
            return True
        if first:  # a segment's first frame: its tracking starts afresh
            return True
        return self._schedule.points_until(self._origin, t) > self._schedule.points_until(self._origin, prev)

    def _hand_over(self, n: int, t: float) -> None:
        """Replace the landmarker in use by a fresh VIDEO-mode one for ``n`` people (it starts
        with a detection on its first frame: no tracking state is carried over)."""
        with quiet_native_stderr():
            self._landmarker.close()
        self._landmarker = self._create(n)
        self._quiet = True
        self._multi = n > 1
        self.handovers.append((t, "multi" if n > 1 else "single"))

    def __call__(
        self, image: np.ndarray, t: float, index: int, size: tuple[int, int] | None = None
    ) -> FramePoses:
        """Run the model on an RGB or RGBA frame (``(H, W, 3)`` or ``(H, W, 4)``: the alpha is
        ignored, and the landmarks are the same bit for bit); ``size`` = (width, height) of the
        original frame when ``image`` was scaled down for speed (landmarks are returned in
        original pixels)."""
        ms = int(round(t * 1000.0))
        if ms <= self._last_ms:  # VIDEO mode needs strictly increasing integer milliseconds
            ms = self._last_ms + 1
        self._last_ms = ms
        w, h = size if size is not None else (image.shape[1], image.shape[0])
        # mp.Image ignores row strides: FFmpeg pads rows (e.g. 406 or 1080 px wide RGB rows are
        # aligned to 32 bytes), and a padded view reads as a sheared, garbage picture.
        image = np.ascontiguousarray(image)
        rgba = image.ndim == 3 and image.shape[2] == 4
        fmt = self._api.ImageFormat.SRGBA if rgba else self._api.ImageFormat.SRGB
        mp_image = self._api.Image(image_format=fmt, data=image)
        due = self._check_due(t)
        if self._people is not None and not self._multi and due:
            # the people are counted on a picture at most COUNT_MAX_SIDE px long (every k-th
            # pixel): the detector sees 224x224 anyway, and a full 1080x1920 input held ~35 MB
            # more in the counting model
            k = max(1, math.ceil(max(image.shape[:2]) / COUNT_MAX_SIDE))
            last = _normalised_xy(self._last_result)
            # (RGB: the counter sees the picture it saw before RGBA frames, bit for bit)
            small = np.array(image[::k, ::k, :3]) if k > 1 or last is not None or rgba else image
            box = subject_mask_box(last, small.shape[1], small.shape[0])
            if box is not None:
                # the subject found in the frame before is covered: anyone the counter still
                # finds is somebody else, and with nobody else it runs only its person detector
                # (~17 ms) instead of the detector and the landmark model (~38 ms)
                x0, y0, x1, y1 = box
                small[y0:y1, x0:x1] = MASK_GREY
            checked = self._people(self._api.Image(image_format=self._api.ImageFormat.SRGB, data=small), t)
            found = len(getattr(checked, "pose_landmarks", None) or [])
            if found > (0 if box is not None else 1):
                # From now on the multi-person model's results are used, while people are seen;
                # without a mask this frame's are the check's (the same model, run on this frame
                # alone); with one, the multi-person model's first frame (a fresh detection).
                log.debug("a second person at t=%.2f s: following with the multi-person model", t)
                self._hand_over(self.num_poses, t)
                if self.several_people_from is None:
                    self.several_people_from = t
                self._several_last_t = t
                if box is None:
                    people = people_from_result(checked, w, h, mirrored=self.mirrored)
                    return FramePoses(index=index, t=t, people=people)
        # The native side logs once when a landmarker first runs, and once when it first finds a person.
        with quiet_native_stderr() if self._quiet else contextlib.nullcontext():
            result = self._landmarker.detect_for_video(mp_image, ms)
        if getattr(result, "pose_landmarks", None):
            self._quiet = False
        self._last_result = result if not self._multi else None
        if self._multi and self._adaptive:
            if len(getattr(result, "pose_landmarks", None) or []) > 1:
                self._several_last_t = t
            elif self._several_last_t is not None and t - self._several_last_t >= self.people_revert_s > 0:
                # nobody else for people_revert_s: back to the one-person model and its checks
                log.debug("one person since t=%.2f s: back to the one-person model at t=%.2f s",
                          self._several_last_t, t)
                self._hand_over(1, t)
        return FramePoses(index=index, t=t, people=people_from_result(result, w, h, mirrored=self.mirrored))

    def close(self) -> None:
        # MediaPipe's teardown logs "DestroyAccelerator" lines to fd 2 from C++: silenced like
        # the start-up chatter (shown with -v).
        with quiet_native_stderr():
            self._landmarker.close()
        if self._people is not None and self._own_people:
            self._people.close()
        release_free_heap()

    def __enter__(self) -> "MediaPipePose":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
