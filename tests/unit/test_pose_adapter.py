"""Tests for the pose adapter (valgus.pose) with FAKE MediaPipe results: no model is run.

A fake result is anything with ``pose_landmarks`` (lists of objects with x, y, z, visibility,
presence, normalised to the frame) and ``pose_world_landmarks`` (x, y, z in metres).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from conftest import frontal_xy, make_person, standing_world
from valgus.kinematics import geometry as g
from valgus.landmarks import LM, LOWER_BODY, MIRROR_PERMUTATION, N_LANDMARKS
from valgus.pose import CheckSchedule, SubjectSelector, candidate_score, people_from_result
from valgus.types import FramePoses, PersonPose


@dataclass
class FakeLandmark:
    x: float
    y: float
    z: float = 0.0
    visibility: float | None = 1.0
    presence: float | None = 1.0


@dataclass
class FakeResult:
    pose_landmarks: list[list[FakeLandmark]] = field(default_factory=list)
    pose_world_landmarks: list[list[FakeLandmark]] = field(default_factory=list)


def fake_person(norm_xy: np.ndarray, vis=None, world: np.ndarray | None = None):
    vis = np.ones(len(norm_xy)) if vis is None else vis
    lms = [FakeLandmark(float(x), float(y), 0.0, float(v), 0.5) for (x, y), v in zip(norm_xy, vis)]
    wl = None if world is None else [FakeLandmark(*map(float, p)) for p in world]
    return lms, wl


def fake_result(*people) -> FakeResult:
    r = FakeResult()
    for lms, wl in people:
        r.pose_landmarks.append(lms)
        if wl is not None:
            r.pose_world_landmarks.append(wl)
    return r


W, H = 640, 360  # a non-square frame


# --------------------------------------------------------------------------------------------
# people_from_result
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("result", [FakeResult(), FakeResult(None, None), object()], ids=["empty", "none", "bare"])
def test_no_person_gives_empty_tuple(result) -> None:
    assert people_from_result(result, W, H) == ()


def test_pixels_use_width_and_height() -> None:
    norm = np.full((N_LANDMARKS, 2), 0.5)
    norm[LM.LEFT_KNEE] = [0.25, 0.75]
    (p,) = people_from_result(fake_result(fake_person(norm)), W, H)
    assert isinstance(p, PersonPose)
    assert p.xy[LM.LEFT_KNEE] == pytest.approx([0.25 * 640, 0.75 * 360])  # (160, 270)
    assert p.xy[LM.NOSE] == pytest.approx([320, 180])


def test_angles_are_measured_in_pixels_not_normalised_units() -> None:
    truth = frontal_xy(cx=320, hip_y=100, thigh=100, shank=100, knee_in_left=30, hip_half=40)
    expected = g.fppa_deg(*(truth[i] for i in (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_HIP)))
    # two 15.5-degree halves: atan(30/100) each side of the knee
    assert expected == pytest.approx(2 * np.degrees(np.arctan2(30, 100)))
    norm = truth / [W, H]
    (p,) = people_from_result(fake_result(fake_person(norm)), W, H)
    np.testing.assert_allclose(p.xy, truth, atol=1e-9)
    got = g.fppa_deg(p.xy[LM.LEFT_HIP], p.xy[LM.LEFT_KNEE], p.xy[LM.LEFT_ANKLE], p.xy[LM.RIGHT_HIP])
    assert got == pytest.approx(expected)
    # the same angle on normalised coordinates is wrong on this 16:9 frame
    wrong = g.fppa_deg(norm[LM.LEFT_HIP], norm[LM.LEFT_KNEE], norm[LM.LEFT_ANKLE], norm[LM.RIGHT_HIP])
    assert abs(wrong - expected) > 5.0


def test_visibility_presence_world_and_malformed_people() -> None:
    norm = np.tile([0.5, 0.5], (N_LANDMARKS, 1))
    vis = np.linspace(0.0, 1.0, N_LANDMARKS)
    world = standing_world(flex_left=30.0)
    good = fake_person(norm, vis, world)
    lms_none, _ = fake_person(norm)
    for lm in lms_none:
        lm.visibility = lm.presence = None  # some results leave them unset: treated as 1
    short = fake_person(norm[:17])  # not a 33-landmark pose: ignored
    r = FakeResult([good[0], short[0], lms_none], [good[1]])
    people = people_from_result(r, W, H)
    assert len(people) == 2
    np.testing.assert_allclose(people[0].visibility, vis)
    np.testing.assert_allclose(people[0].presence, 0.5)
    np.testing.assert_allclose(people[0].world, world)
    np.testing.assert_allclose(people[1].visibility, 1.0)
    np.testing.assert_allclose(people[1].presence, 1.0)
    assert np.isnan(people[1].world).all()  # no world landmarks for that person


def test_mirrored_picture_gives_the_subjects_own_sides() -> None:
    # the true scene: left knee valgus, right knee straight, left knee half hidden
    truth = frontal_xy(cx=250, hip_y=100, knee_in_left=20)
    world = standing_world(flex_left=40.0, ir_left=10.0, flex_right=20.0)
    vis = np.full(N_LANDMARKS, 0.9)
    vis[LM.LEFT_KNEE] = 0.3
    perm = list(MIRROR_PERMUTATION)
    # what the model reports on the mirrored picture: x flipped, and each landmark labelled by
    # how it looks -- the subject's left leg looks like a right leg
    mir_xy = truth.copy()
    mir_xy[:, 0] = W - mir_xy[:, 0]
    mir_world = world * [-1.0, 1.0, 1.0]
    seen = fake_person(mir_xy[perm] / [W, H], vis[perm], mir_world[perm])
    (p,) = people_from_result(fake_result(seen), W, H, mirrored=True)
    np.testing.assert_allclose(p.xy, truth, atol=1e-9)
    np.testing.assert_allclose(p.world, world, atol=1e-12)
    assert p.visibility[LM.LEFT_KNEE] == pytest.approx(0.3)
    assert p.visibility[LM.RIGHT_KNEE] == pytest.approx(0.9)
    # so the valgus stays on the left leg with a + sign
    left = g.fppa_deg(p.xy[LM.LEFT_HIP], p.xy[LM.LEFT_KNEE], p.xy[LM.LEFT_ANKLE], p.xy[LM.RIGHT_HIP])
    right = g.fppa_deg(p.xy[LM.RIGHT_HIP], p.xy[LM.RIGHT_KNEE], p.xy[LM.RIGHT_ANKLE], p.xy[LM.LEFT_HIP])
    assert left == pytest.approx(2 * np.degrees(np.arctan2(20, 100)))
    assert right == pytest.approx(0.0, abs=1e-9)
    ir = g.hip_internal_rotation_deg(p.world[LM.LEFT_HIP], p.world[LM.LEFT_KNEE], p.world[LM.LEFT_ANKLE],
                                     p.world[LM.RIGHT_HIP], side_sign=1.0)
    assert ir == pytest.approx(10.0, abs=1e-7)


def test_mirror_permutation_swaps_every_pair_and_is_an_involution() -> None:
    perm = np.array(MIRROR_PERMUTATION)
    np.testing.assert_array_equal(perm[perm], np.arange(N_LANDMARKS))
    assert perm[LM.NOSE] == LM.NOSE
    assert perm[LM.LEFT_KNEE] == LM.RIGHT_KNEE and perm[LM.RIGHT_HEEL] == LM.LEFT_HEEL
    assert perm[LM.MOUTH_LEFT] == LM.MOUTH_RIGHT


# --------------------------------------------------------------------------------------------
# SubjectSelector
# --------------------------------------------------------------------------------------------

BASE_HEIGHT = 416.0  # frontal_xy's bbox height: head top (hip_y - 200) to toe (hip_y + 216)


def figure(cx: float, scale: float, vis: float) -> PersonPose:
    """The frontal figure scaled about its hips and centred at ``cx``: height = 416 * scale px."""
    xy = frontal_xy(cx=0.0, hip_y=0.0) * scale + [cx, 300.0]
    return make_person(xy, vis)


def test_figure_height_is_what_the_tests_assume() -> None:
    x0, y0, x1, y1 = figure(100.0, 0.5, 1.0).bbox()
    assert y1 - y0 == pytest.approx(BASE_HEIGHT * 0.5)
    assert x1 - x0 < y1 - y0


def test_candidate_score_is_lower_body_visibility_times_height() -> None:
    vis = np.full(N_LANDMARKS, 0.2)
    vis[list(LOWER_BODY)] = 0.8  # only the legs count
    p = make_person(figure(0.0, 0.5, 1.0).xy, vis)
    assert candidate_score(p) == pytest.approx(0.8 * BASE_HEIGHT * 0.5)


def test_selector_picks_best_then_follows_then_relocks() -> None:
    a = figure(150.0, 0.5, 0.9)  # score 0.9 * 208 = 187
    b = figure(450.0, 0.75, 0.5)  # score 0.5 * 312 = 156 (a half-hidden bystander)
    b_big = figure(450.0, 1.0, 1.0)  # later: 1.0 * 416 = 416, bigger than the subject
    a_moved = figure(180.0, 0.5, 0.9)  # subject moves 30 px = 0.14 body heights
    sel = SubjectSelector(max_jump=0.35, relock_s=1.0)
    assert sel.select(FramePoses(0, 0.0, (b, a))) is a  # order in the list does not matter
    assert sel.select(FramePoses(1, 0.1, (b_big, a_moved))) is a_moved  # keeps following the subject
    assert sel.select(FramePoses(2, 0.2, (b_big,))) is None  # only the bystander, 270 px away
    assert sel.select(FramePoses(3, 1.0, (b_big,))) is None  # 0.9 s since the subject: still locked
    assert sel.switches == 0
    assert sel.select(FramePoses(4, 1.2, (b_big,))) is b_big  # 1.1 s > relock_s: lock released
    assert sel.switches == 1
    assert sel.frames_with_several == 2


def test_selector_refuses_a_jump_of_the_only_candidate() -> None:
    sel = SubjectSelector(max_jump=0.35)
    a = figure(150.0, 0.5, 0.9)
    assert sel.select(FramePoses(0, 0.0, (a,))) is a
    jumped = figure(150.0 + 0.5 * 208.0, 0.5, 0.9)  # 0.5 body heights in one frame
    assert sel.select(FramePoses(1, 1 / 30, (jumped,))) is None
    near = figure(150.0 + 0.3 * 208.0, 0.5, 0.9)  # 0.3 body heights: accepted
    assert sel.select(FramePoses(2, 2 / 30, (near,))) is near


def test_selector_empty_frames_and_reset() -> None:
    sel = SubjectSelector()
    assert sel.select(FramePoses(0, 0.0, ())) is None
    a, b = figure(150.0, 0.5, 0.9), figure(450.0, 1.0, 1.0)
    assert sel.select(FramePoses(1, 0.1, (a,))) is a
    sel.reset()
    assert sel.select(FramePoses(2, 0.2, (a, b))) is b  # after reset the best candidate wins again


# --------------------------------------------------------------------------------------------
# MediaPipePose.__call__ with a fake landmarker (the model is never loaded)
# --------------------------------------------------------------------------------------------


class _FakeLandmarker:
    def __init__(self, result: FakeResult) -> None:
        self.result = result
        self.calls: list[tuple[object, int]] = []
        self.closed = False

    def detect_for_video(self, image, ms: int) -> FakeResult:
        self.calls.append((image, ms))
        return self.result

    def detect(self, image) -> FakeResult:  # IMAGE mode (the people counter): no timestamp
        """The result, less anyone whose first landmark falls on the grey box the estimator
        paints over the subject it follows (as the real counter would not see them)."""
        from valgus.pose import MASK_GREY

        result = self.detect_for_video(image, -1)
        data = getattr(image, "data", None)
        if data is None:
            return result
        h, w = data.shape[:2]
        seen = FakeResult()
        for i, lms in enumerate(result.pose_landmarks):
            x, y = min(w - 1, int(lms[0].x * w)), min(h - 1, int(lms[0].y * h))
            if not (data[y, x] == MASK_GREY).all():
                seen.pose_landmarks.append(lms)
                if i < len(result.pose_world_landmarks):
                    seen.pose_world_landmarks.append(result.pose_world_landmarks[i])
        return seen

    def close(self) -> None:
        self.closed = True


class _FakeMP:
    class ImageFormat:
        SRGB = "srgb"
        SRGBA = "srgba"

    class Image:
        def __init__(self, image_format, data) -> None:
            assert data.flags.c_contiguous  # mp.Image ignores numpy strides
            assert data.shape[2] == {"srgb": 3, "srgba": 4}[image_format]
            self.data = data
            self.format = image_format


class _TimedChecker:
    """valgus.pose.PeopleChecker that records when it was asked."""

    def __new__(cls, make):
        from valgus.pose import PeopleChecker

        class Timed(PeopleChecker):
            def __init__(self, make) -> None:
                super().__init__(make)
                self.times: list[float] = []

            def __call__(self, mp_image, t):
                self.times.append(t)
                return super().__call__(mp_image, t)

        return Timed(make)


def _fake_estimator(result: FakeResult, mirrored: bool = False, checker=None, schedule=None, multi=None):
    """A MediaPipePose with fakes: ``result`` from its one-person landmarker; ``checker`` (a fake
    with ``detect``) counts the people; ``multi`` is what a landmarker made at a hand-over returns
    (the one-person result when handing back)."""
    from valgus.pose import CheckSchedule, MediaPipePose, PeopleChecker, _PoseAPI

    est = MediaPipePose.__new__(MediaPipePose)  # skip __init__: no model file, no mediapipe
    est._api = _PoseAPI(None, None, None, None, _FakeMP.Image, _FakeMP.ImageFormat)
    est._landmarker = _FakeLandmarker(result)
    est.mirrored = mirrored
    est.num_poses = 2
    est.people_check_s = 1.0
    est.people_revert_s = 3.0
    est._schedule = schedule or CheckSchedule()
    est._adaptive = checker is not None
    est._own_people = True
    est._people = _TimedChecker(lambda: checker) if checker is not None else None
    est.made = []  # landmarkers made at hand-overs: (n, fake)

    def create(n: int):
        lm = _FakeLandmarker(multi if n > 1 and multi is not None else result)
        if n > 1 and isinstance(multi, list):
            lm = _SequenceLandmarker(multi)
        est.made.append((n, lm))
        return lm

    est._create = create
    est._init_state()
    return est


class _SequenceLandmarker(_FakeLandmarker):
    """Returns ``results[k]`` on its k-th call (the last one after that), in either mode."""

    def __init__(self, results: list[FakeResult]) -> None:
        super().__init__(results[0])
        self.results = results

    def detect_for_video(self, image, ms: int) -> FakeResult:
        self.calls.append((image, ms))
        return self.results[min(len(self.calls) - 1, len(self.results) - 1)]


def _check_ms(est) -> list[int]:
    """Media times (ms) at which ``est`` counted the people."""
    return [round(t * 1000) for t in est._people.times]


def _spread(centre: float, half: float) -> np.ndarray:
    """Landmarks filling a square of side ``2 * half`` around ``centre`` (normalised), the first
    one at the centre."""
    xy = np.stack([np.linspace(centre - half, centre + half, N_LANDMARKS)] * 2, axis=1)
    xy[:, 1] = xy[::-1, 1]
    xy[0] = centre
    return xy


def _one_and_two():
    one = fake_result(fake_person(_spread(0.4, 0.1)))
    two = fake_result(fake_person(_spread(0.4, 0.1)), fake_person(_spread(0.8, 0.05)))
    return one, two


def test_people_check_is_dense_in_the_first_second_then_periodic_and_hands_over() -> None:
    one, two = _one_and_two()
    checker = _SequenceLandmarker([one] * 13 + [two])  # the 14th check sees a second person
    est = _fake_estimator(one, checker=checker, schedule=CheckSchedule(every_s=0.5), multi=two)
    est.people_check_s = 0.5
    single = est._landmarker
    img = np.zeros((36, 64, 3), np.uint8)
    counts = []
    for i in range(120):  # 4 s at 30 fps
        counts.append(len(est(img, i / 30.0, i).people))
    ms = _check_ms(est)
    assert len(ms) == len(checker.calls) == 14  # no more checks once the multi-person model is in use
    early = [m for m in ms if m < 1000]
    assert len(early) == 10
    assert all(99 <= b - a <= 134 for a, b in zip(early, early[1:]))
    later = ms[10:14]
    assert all(499 <= b - a <= 534 for a, b in zip(later, later[1:]))
    t_switch = later[3] / 1000.0
    assert est.multi_person and est.several_people_from == pytest.approx(t_switch, abs=1e-3)
    # the one-person model's results up to the hand-over, then a fresh multi-person
    # landmarker's from the hand-over frame on (the counter saw the subject masked out there)
    k = round(t_switch * 30)
    assert counts[:k] == [1] * k and counts[k:] == [2] * (120 - k)
    assert len(single.calls) == k and single.closed
    ((n, multi_lm),) = est.made
    assert n == 2 and len(multi_lm.calls) == 120 - k
    assert est.handovers == [(pytest.approx(t_switch, abs=1e-3), "multi")]
    for lm in (single, multi_lm):  # strictly increasing milliseconds for each landmarker
        ms = [m for _, m in lm.calls]
        assert all(b > a for a, b in zip(ms, ms[1:]))


def test_multi_person_model_hands_back_once_nobody_else_is_seen_for_people_revert_s() -> None:
    """A second person on a few frames (a passer-by, or a false detection) costs the multi-person
    model for ``people_revert_s`` seconds, not for the rest of the clip."""
    one, two = _one_and_two()
    checker = _SequenceLandmarker([one] * 10 + [two] + [one] * 100)  # seen at the 1 s check only
    est = _fake_estimator(one, checker=checker, multi=[two] * 6 + [one] * 1000)  # then 6 frames of two
    img = np.zeros((36, 64, 3), np.uint8)
    counts = [len(est(img, i / 30.0, i).people) for i in range(300)]  # 10 s at 30 fps
    k = 30  # the 1 s check
    assert counts[:k] == [1] * k and counts[k:k + 6] == [2] * 6
    last_two = (k + 5) / 30.0
    back = next(i for i in range(k + 6, 300) if i / 30.0 - last_two >= 3.0 - 1e-9)
    kinds = [kind for _, kind in est.handovers]
    assert kinds == ["multi", "single"]
    assert est.handovers[1][0] == pytest.approx(back / 30.0)
    assert counts[k + 6:] == [1] * (300 - k - 6)
    assert not est.multi_person and est.several_people_from == pytest.approx(1.0)
    # the checks resume on the grid after the hand-back (every second), with the same counter
    after = [m / 1000.0 for m in _check_ms(est) if m / 1000.0 > back / 30.0]
    assert after and all(abs(t - round(t)) < 0.034 for t in after)
    (n1, multi_lm), (n2, fresh) = est.made
    assert (n1, n2) == (2, 1) and multi_lm.closed and not fresh.closed and len(fresh.calls) >= 1


def test_people_check_keeps_the_one_person_model_when_nobody_else_appears() -> None:
    one, _ = _one_and_two()
    checker = _FakeLandmarker(one)
    est = _fake_estimator(one, checker=checker)
    img = np.zeros((36, 64, 3), np.uint8)
    for i in range(105):  # 3.5 s at 30 fps: 10 checks in the first second, then at ~1, 2, 3 s
        est(img, i / 30.0, i)
    assert len(checker.calls) == 13 and len(est._landmarker.calls) == 105
    assert not est.multi_person and est.several_people_from is None and est.made == []


def test_people_check_grid_is_the_same_for_a_segment_as_for_one_pass() -> None:
    """A segment's estimator (clip origin and the frame before its seam given) checks the frames
    one pass would check, plus its own first frame (where its tracking starts afresh)."""
    one, _ = _one_and_two()
    img = np.zeros((36, 64, 3), np.uint8)
    times = [0.005 * (i > 0) + i / 29.97 for i in range(300)]  # ~10 s, a phone clip's odd second frame
    whole = _FakeLandmarker(one)
    est = _fake_estimator(one, checker=whole)
    for i, t in enumerate(times):
        est(img, t, i)
    seam = 137
    part = _FakeLandmarker(one)
    seg = _fake_estimator(one, checker=part, schedule=CheckSchedule(origin=times[0], prev_t=times[seam - 1]))
    for i, t in enumerate(times[seam:], seam):
        seg(img, t, i)
    ms_whole = [m for m in _check_ms(est) if m >= round(times[seam] * 1000)]
    ms_part = _check_ms(seg)
    assert ms_part[0] == round(times[seam] * 1000)  # the segment's first frame
    assert ms_part[1:] == [m for m in ms_whole if m != ms_part[0]]
    assert len(whole.calls) == 10 + 9  # every 0.1 s in the first second, then every second to 9 s


def test_checker_is_made_only_when_a_check_is_due_and_is_shared() -> None:
    from valgus.pose import PeopleChecker

    one, _ = _one_and_two()
    made = []
    shared = PeopleChecker(lambda: made.append(1) or _FakeLandmarker(one))
    a, b = _fake_estimator(one), _fake_estimator(one)
    for est in (a, b):
        est._adaptive, est._people, est._own_people, est._multi = True, shared, False, False
    assert not made  # nothing loaded before the first frame
    a(np.zeros((36, 64, 3), np.uint8), 0.0, 0)
    b(np.zeros((36, 64, 3), np.uint8), 10.0, 0)
    assert made == [1]  # one counting model for both estimators
    a.close()
    b.close()
    assert shared._landmarker is not None  # a shared counter outlives its estimators
    shared.close()
    assert shared._landmarker is None


def test_estimator_sends_strictly_increasing_milliseconds() -> None:
    est = _fake_estimator(FakeResult())
    img = np.zeros((36, 64, 3), np.uint8)
    for i, t in enumerate([0.0, 0.0004, 0.0333, 0.0333, 0.1, 0.0999]):
        poses = est(img, t, i)
        assert poses.t == t and poses.index == i and poses.people == ()
    # rounded to ms, then nudged forward whenever a frame would not be strictly later
    assert [ms for _, ms in est._landmarker.calls] == [0, 1, 33, 34, 100, 101]


def test_estimator_reports_original_pixels_for_a_scaled_frame() -> None:
    norm = np.full((N_LANDMARKS, 2), 0.5)
    norm[LM.LEFT_ANKLE] = [0.75, 0.9]
    est = _fake_estimator(fake_result(fake_person(norm)))
    small = np.zeros((36, 64, 3), np.uint8)[:, ::1]  # the frame the model saw (scaled down)
    (p,) = est(small, 0.0, 0, size=(1280, 720)).people
    assert p.xy[LM.LEFT_ANKLE] == pytest.approx([960.0, 648.0])
    (p,) = est(small, 0.1, 1).people  # without size: the image's own pixels
    assert p.xy[LM.LEFT_ANKLE] == pytest.approx([48.0, 32.4])


def test_estimator_passes_a_contiguous_copy_of_a_strided_frame() -> None:
    est = _fake_estimator(FakeResult())
    padded = np.zeros((36, 70, 3), np.uint8)[:, :64]  # FFmpeg-style padded rows: not contiguous
    padded[:, :8] = 255
    assert not padded.flags.c_contiguous
    est(padded, 0.0, 0)
    sent = est._landmarker.calls[0][0].data
    np.testing.assert_array_equal(sent, padded)


def test_an_rgba_frame_goes_to_the_model_as_srgba_and_to_the_people_counter_as_rgb() -> None:
    """The engine feeds RGBA (valgus.io.video.POSE_PIXELS): the model gets it whole, as SRGBA;
    the people counter the same RGB picture it gets from an RGB frame (alpha dropped)."""
    one, _ = _one_and_two()
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, :8] = (200, 100, 50)
    rgba = np.dstack([rgb, np.full((48, 64), 255, np.uint8)])
    sent = {}
    for name, img in (("rgb", rgb), ("rgba", rgba)):
        checker = _FakeLandmarker(one)
        est = _fake_estimator(one, checker=checker)
        for i in range(2):
            est(img, i * 1.0, i)  # a check on both frames (1 s apart): the second one masked
        sent[name] = (est._landmarker.calls[0][0], [im.data for im, _ in checker.calls])
    model_rgb, counted_rgb = sent["rgb"]
    model_rgba, counted_rgba = sent["rgba"]
    assert (model_rgb.format, model_rgba.format) == ("srgb", "srgba")
    np.testing.assert_array_equal(model_rgba.data, rgba)
    assert len(counted_rgba) == len(counted_rgb) == 2
    for a, b in zip(counted_rgba, counted_rgb):
        assert a.shape == (48, 64, 3)
        np.testing.assert_array_equal(a, b)
    assert rgba[..., :3].max() == 200 and (rgba[..., 3] == 255).all()  # the caller's frame is never painted


def test_quiet_native_stderr_silences_fd2_and_restores_it(tmp_path, capfd):
    """MediaPipe's C++ logs go straight to file descriptor 2; model loading and the first frame
    are run with it pointed at /dev/null, and it is restored afterwards."""
    import os

    from valgus.pose import quiet_native_stderr

    with quiet_native_stderr():
        os.write(2, b"native noise\n")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "native noise" not in err and "after" in err


def test_quiet_native_stderr_overlapping_threads_restore_fd2(capfd):
    """Two segments load their models at once: thread A goes quiet, B goes quiet, A ends, B ends.
    File descriptor 2 is the process's, so it must come back after the last one, not stay at
    /dev/null (it did: every later warning and error of the run was lost)."""
    import os
    import threading

    from valgus.pose import quiet_native_stderr

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with quiet_native_stderr():
            a_in.set()
            b_in.wait(5)
            os.write(2, b"noise a\n")
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with quiet_native_stderr():
            b_in.set()
            a_out.wait(5)
            os.write(2, b"noise b\n")  # A has left: B's model is still loading

    threads = [threading.Thread(target=f) for f in (a, b)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    os.write(2, b"after both\n")
    err = capfd.readouterr().err
    assert "noise a" not in err and "noise b" not in err
    assert "after both" in err


def test_light_mediapipe_import_skips_the_other_tasks_and_a_later_full_import_works() -> None:
    """valgus.pose loads the pose landmarker without MediaPipe's package __init__ files (which
    import every task, matplotlib and sounddevice); a later plain ``import mediapipe`` still works."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from valgus.pose import _pose_api\n"
        "api = _pose_api()\n"
        "assert 'matplotlib' not in sys.modules and 'sounddevice' not in sys.modules\n"
        "assert 'mediapipe.tasks.python.audio' not in sys.modules\n"
        "import mediapipe as mp\n"
        "from mediapipe.tasks.python import BaseOptions, vision\n"
        "assert mp.Image is api.Image and vision.PoseLandmarker is api.PoseLandmarker\n"
        "assert BaseOptions is api.BaseOptions and mp.tasks.vision.RunningMode is api.RunningMode\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_pick_reps_keeps_the_worst_reps_in_rep_order() -> None:
    from types import SimpleNamespace

    from valgus.present.stills import pick_reps
    from valgus.scoring.results import CATEGORY_ORDER

    def rep(n: int, cat: str, assessed: bool = True):
        flag = SimpleNamespace(name="dynamic_knee_valgus", assessed=assessed, category=cat)
        return SimpleNamespace(number=n, flags=[flag], worst=lambda name, c=cat: c)

    cats = ["none", "marked", "mild", "none", "borderline", "mild", "marked", "none"]
    reps = [rep(i + 1, c) for i, c in enumerate(cats)] + [rep(9, "marked", assessed=False)]
    assert [r.number for r in pick_reps(reps, limit=20)] == list(range(1, 10))
    # the 4 worst: both marked (2, 7), then the earliest two mild (3, 6); the unassessed rep last
    assert [r.number for r in pick_reps(reps, limit=4)] == [2, 3, 6, 7]
    assert all(c in CATEGORY_ORDER for c in cats)


def test_people_are_counted_on_a_reduced_picture_and_reported_in_original_pixels() -> None:
    one, two = _one_and_two()
    checker = _FakeLandmarker(two)  # a second person at the first check
    est = _fake_estimator(one, checker=checker, multi=two)
    img = np.zeros((1920, 1080, 3), np.uint8)
    poses = est(img, 0.0, 0)
    (sent, _), = checker.calls
    assert sent.data.shape == (960, 540, 3) and sent.data.flags.c_contiguous  # every 2nd pixel
    assert len(poses.people) == 2 and poses.people[1].xy[0] == pytest.approx([0.8 * 1080, 0.8 * 1920])


def test_subject_mask_box_covers_the_landmarks_padded_and_clamped() -> None:
    from valgus.pose import subject_mask_box

    xy = np.array([[0.3, 0.2], [0.5, 0.8], [0.4, 0.5], [np.nan, np.nan]])
    # 100 x 200 px: landmarks span x 30-50, y 40-160; the larger side (120) pads by 0.15 * 120 = 18
    assert subject_mask_box(xy, 100, 200) == (12, 22, 68, 178)
    # x 0-20, y 0-20: padded by 3, clamped at 0
    assert subject_mask_box(np.array([[0.0, 0.0], [0.2, 0.1]]), 100, 200) == (0, 0, 23, 23)
    assert subject_mask_box(None, 100, 200) is None
    assert subject_mask_box(np.full((3, 2), np.nan), 100, 200) is None
    assert subject_mask_box(np.array([[0.02, 0.02], [0.98, 0.98]]), 100, 200) is None  # nothing left to see


def test_people_check_masks_the_subject_and_a_bystander_beside_it_still_hands_over() -> None:
    """After the first frame the counter sees the subject (from the frame before) painted grey:
    with nobody else it finds no one and the one-person model stays; a bystander outside the
    box is found and the multi-person model takes over."""
    from valgus.pose import MASK_GREY

    one, two = _one_and_two()
    alone = _FakeLandmarker(one)
    est = _fake_estimator(one, checker=alone, multi=two)
    img = np.zeros((36, 64, 3), np.uint8)
    for i in range(40):
        est(img, i / 30.0, i)
    sent = [im.data for im, _ in alone.calls]
    assert not (sent[0] == MASK_GREY).any()  # the first frame: nobody known yet, nothing masked
    assert all((s[int(0.4 * 36), int(0.4 * 64)] == MASK_GREY).all() for s in sent[1:])
    assert not any((s[int(0.8 * 36), int(0.8 * 64)] == MASK_GREY).any() for s in sent[1:])
    assert not est.multi_person and est.made == []
    assert img.max() == 0  # the caller's frame is never painted
    seen = _FakeLandmarker(two)
    est2 = _fake_estimator(one, checker=seen, multi=two)
    counts = [len(est2(img, i / 30.0, i).people) for i in range(10)]
    assert est2.multi_person and counts[0] == 2  # the first check, unmasked, saw both
