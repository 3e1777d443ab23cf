"""Segments (valgus.segments.plan_segments), VideoSource start/end and I420 output,
stream_index, and the parallel analysis with a fake pose model whose output depends on its
history (as MediaPipe's tracking does): the result must not depend on the number of threads.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import frontal_xy, make_person, standing_world, stripe_frame
from valgus.config import Config, override
from valgus.io.video import StreamIndex, VideoSource, stream_index
from valgus.types import FramePoses


def write_gop_video(path: Path, *, n: int, fps: float = 10.0, gop: int = 12, width: int = 64,
                    height: int = 48) -> Path:
    """A tiny H.264 clip with a keyframe every ``gop`` frames and B-frames; frame ``i`` has grey
    level ``i % 50 * 5`` and its index written as a bright column."""
    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "bf": "2"}
        for i in range(n):
            img = stripe_frame(width, height, value=(i % 50) * 5)
            img[:, 16 + (i % 40)] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def gop_clip(tmp_path_factory) -> Path:
    return write_gop_video(tmp_path_factory.mktemp("seg") / "gop.mp4", n=60)


def test_stream_index_lists_frames_and_keyframes(gop_clip) -> None:
    index = stream_index(gop_clip)
    assert index.exact and len(index.times) == 60
    np.testing.assert_allclose(np.diff(index.times), 0.1, atol=1e-6)
    assert index.keyframes == (0, 12, 24, 36, 48)


@pytest.mark.parametrize("first, last", [(17, 40), (24, 36), (1, 60), (0, 5)])
def test_a_segment_decodes_exactly_the_frames_of_one_pass(gop_clip, first, last) -> None:
    with VideoSource(gop_clip) as src:
        whole = list(src)
    t = [f.t for f in whole]
    start = None if first == 0 else t[first]
    end = None if last == 60 else t[last]
    with VideoSource(gop_clip, start=start, end=end) as src:
        part = list(src)
        decoded = src.stats.decoded
    assert [f.index for f in part] == list(range(last - first)) and decoded == last - first
    assert [f.t for f in part] == t[first:last]
    for a, b in zip(part, whole[first:last]):
        np.testing.assert_array_equal(a.image, b.image)  # bit for bit: decoded from a keyframe on


def test_i420_frames_match_rgb_frames(gop_clip) -> None:
    import cv2

    with VideoSource(gop_clip) as src:
        rgb = [f.image for f in src][:5]
    with VideoSource(gop_clip, pixels="i420", deblock=False) as src:
        yuv = [f.image for f in src][:5]
    assert yuv[0].shape == (72, 64) and yuv[0].flags.c_contiguous
    for a, b in zip(yuv, rgb):
        back = cv2.cvtColor(a, cv2.COLOR_YUV2RGB_I420)
        assert np.abs(back.astype(int) - b).mean() < 3


def test_i420_frames_are_scaled_and_turned_upright(tmp_path) -> None:
    from conftest import write_video
    from test_video_io import patch_tkhd_matrix

    path = write_video(tmp_path / "rot.mp4", frame_fn=lambda i: stripe_frame(64, 48))
    patch_tkhd_matrix(path, 0, 1, -1, 0, 48, 0)  # shown turned 90 degrees: 48 wide, 64 high
    with VideoSource(path, pixels="i420") as src:
        rgb_info = src.info
        (f, *_) = list(src)
    assert (rgb_info.width, rgb_info.height) == (48, 64) and f.image.shape == (96, 48)
    with VideoSource(path) as src:
        ref = next(iter(src)).image
    import cv2

    back = cv2.cvtColor(f.image, cv2.COLOR_YUV2RGB_I420)
    assert np.abs(back.astype(int) - ref).mean() < 3
    with VideoSource(path, pixels="i420", max_side=32) as src:
        assert next(iter(src)).image.shape == (48, 24)


def _index(n: int, fps: float = 30.0, every: int = 30, exact: bool = True) -> StreamIndex:
    return StreamIndex(times=tuple(i / fps for i in range(n)), keyframes=tuple(range(0, n, every)), exact=exact)


def test_plan_segments_cuts_long_clips_at_keyframes_when_they_are_near() -> None:
    from valgus.segments import plan_segments

    plan = plan_segments(_index(600, every=30), 10.0)  # 20 s: two segments, cut on the keyframe at 300
    assert [s.frames for s in plan] == [300, 300]
    assert plan[0].start is None and plan[1].start == pytest.approx(10.0) and plan[0].end == plan[1].start
    assert plan[1].prev_t == pytest.approx(299 / 30) and plan[1].origin == 0.0
    near = StreamIndex(times=_index(600).times, keyframes=(0, 303), exact=True)
    assert [s.frames for s in plan_segments(near, 10.0)] == [303, 297]  # no 300 frames to decode first
    far = StreamIndex(times=_index(600).times, keyframes=(0, 400), exact=True)
    assert [s.frames for s in plan_segments(far, 10.0)] == [300, 300]  # 100 frames off: decode from 0
    assert len(plan_segments(_index(560), 10.0)) == 1  # 18.7 s: shorter than two segments
    assert len(plan_segments(_index(614), 0.0)) == 1  # never cut
    assert len(plan_segments(_index(614, exact=False), 10.0)) == 1  # frames not placeable by time
    assert [s.frames for s in plan_segments(_index(3000), 10.0)] == [300] * 10


class HistoryEstimator:
    """A fake pose model whose answer depends on how many frames it has seen since it was made,
    as MediaPipe's tracking does: the knee drifts 0.01 px per frame seen."""

    made: list[tuple[float | None, float | None]] = []

    def __init__(self, schedule) -> None:
        self.seen = 0
        HistoryEstimator.made.append((schedule.origin, schedule.prev_t) if schedule else (None, None))

    def __call__(self, image, t, index, size=None) -> FramePoses:
        xy = frontal_xy(cx=32, hip_y=10, hip_half=4, thigh=10, shank=10, knee_in_left=2 + 0.01 * self.seen,
                        trunk_height=8, shoulder_half=5)
        self.seen += 1
        return FramePoses(index=index, t=t, people=(make_person(xy, 0.9, standing_world(flex_left=30.0)),))

    def close(self) -> None:
        pass


def test_parallel_segments_give_the_result_of_one_thread(tmp_path, monkeypatch) -> None:
    import valgus.engine as engine

    clip = write_gop_video(tmp_path / "long.mp4", n=250, gop=25)  # 25 s at 10 fps
    monkeypatch.setattr(engine, "open_estimator", lambda config, allow_download=False, schedule=None, people=None:
                        HistoryEstimator(schedule))
    cfg = override(Config(), "pose", segment_s=5.0)  # five segments of 50 frames
    results = {}
    for threads in (1, 2, 3):
        HistoryEstimator.made.clear()
        results[threads] = engine.analyze_video(clip, cfg, threads=threads)
        assert len(HistoryEstimator.made) == 5  # a fresh model per segment, whatever the threads
        assert results[threads].timings["segments"] == 5 and results[threads].timings["threads"] == threads
    one = results[1]
    assert one.n_frames == 250 and list(one.metrics["frame"]) == list(range(250))
    # the model restarted at each cut: the drift starts again every 50 frames
    knee = one.track_raw.xy[:, 25, 0]  # LEFT_KNEE x
    assert np.allclose(knee[50], knee[0]) and np.allclose(knee[100], knee[0]) and not np.allclose(knee[49], knee[0])
    for threads in (2, 3):
        other = results[threads]
        np.testing.assert_array_equal(other.track_raw.xy, one.track_raw.xy)
        for key, values in one.metrics.items():
            np.testing.assert_array_equal(np.asarray(other.metrics[key]), np.asarray(values), err_msg=key)
        assert other.decode.decoded == 250 and other.decode.lost == 0
    uncut = engine.analyze_video(clip, override(Config(), "pose", segment_s=0.0), threads=2)
    assert uncut.timings["segments"] == 1 and not np.allclose(uncut.track_raw.xy[60:, 25], one.track_raw.xy[60:, 25])
    stride = engine.analyze_video(clip, override(cfg, "video", stride=2), threads=2)  # skipping frames: one thread
    assert stride.timings["threads"] == 1 and stride.n_frames == 125



@pytest.mark.parametrize("cores", [2, 3])
def test_the_decoding_helper_waits_while_every_core_runs_a_segment(tmp_path, monkeypatch, cores) -> None:
    """valgus.segments.run_segments: with two segments running on two cores, the decoding helper
    decodes nothing ahead (beside them it only took turns with the pose models); once the first
    segment is done, it decodes ahead for the one still running; with a core to spare it
    decodes ahead beside both. The frames are the same whoever decodes them."""
    import time

    import valgus.engine as engine
    import valgus.segments as segments

    clip = write_gop_video(tmp_path / "long.mp4", n=200, gop=25)  # 20 s at 10 fps

    class Slow(HistoryEstimator):
        """Slower than decoding (the helper has time to decode ahead); twice as slow on the
        second segment, so that it runs alone at the end."""

        def __init__(self, schedule) -> None:
            super().__init__(schedule)
            self.wait = 0.002 if schedule is None or schedule.prev_t is None else 0.004

        def __call__(self, *a, **k):
            time.sleep(self.wait)
            return super().__call__(*a, **k)

    monkeypatch.setattr(engine, "open_estimator", lambda config, allow_download=False, schedule=None, people=None:
                        Slow(schedule))
    monkeypatch.setattr(segments, "cpu_count", lambda: cores)
    asked: list[tuple[int, bool]] = []  # (segments running, may the helper decode), in the helper's thread
    spare = segments._spare_core

    def asking(running: int, n: int) -> bool:
        asked.append((running, spare(running, n)))
        return asked[-1][1]

    helped: list[tuple[int, bool]] = []  # the decision each frame decoded ahead was made under
    help_ = segments._Feed.help

    def counting(self) -> bool:
        ok = help_(self)
        if ok:
            helped.append(asked[-1])
        return ok

    monkeypatch.setattr(segments, "_spare_core", asking)
    monkeypatch.setattr(segments._Feed, "help", counting)
    a = engine.analyze_video(clip, override(Config(), "pose", segment_s=10.0), threads=2)  # two segments of 100
    assert a.timings["segments"] == 2 and a.n_frames == 200 and list(a.metrics["frame"]) == list(range(200))
    assert helped and all(ok for _, ok in helped)
    if cores == 2:
        assert (2, False) in asked  # held back while both segments ran...
        assert all(running < 2 for running, _ in helped)  # ...and decoding for the second one alone
    else:
        assert any(running == 2 for running, _ in helped)  # the third core decodes beside both


def test_segments_start_at_most_threads_ahead_of_the_session(tmp_path, monkeypatch) -> None:
    """Memory stays flat over a long clip: a segment starts only when the segments more than
    ``threads`` before it are already in the session (their results are not kept twice)."""
    import valgus.engine as engine

    clip = write_gop_video(tmp_path / "long.mp4", n=400, gop=25)  # 40 s at 10 fps: 8 segments of 50
    fed = [0]
    started: list[tuple[int, int]] = []  # (segment, frames in the session when its model was made)
    update = engine.Session.update_poses

    def counting(self, *a, **k):
        fed[0] += 1
        return update(self, *a, **k)

    def make(config, allow_download=False, schedule=None, people=None):
        seg = 0 if schedule is None or schedule.prev_t is None else round((schedule.prev_t + 0.1) / 5.0)
        started.append((seg, fed[0]))
        return HistoryEstimator(schedule)

    monkeypatch.setattr(engine.Session, "update_poses", counting)
    monkeypatch.setattr(engine, "open_estimator", make)
    a = engine.analyze_video(clip, override(Config(), "pose", segment_s=5.0), threads=2)
    assert a.n_frames == 400 and sorted(s for s, _ in started) == list(range(8))
    for seg, n in started:
        assert n >= (seg - 2) * 50, (seg, n)  # segments seg-2 and before were fed before seg started


def test_the_clips_own_source_is_closed_when_its_segment_is_done(tmp_path, monkeypatch) -> None:
    """The source ``analyze_video`` opened decodes the first segment; its decoder's frame pool
    (~18 MB at 1080x1920) is given back when that segment is done, not at the end of the clip."""
    import valgus.engine as engine

    clip = write_gop_video(tmp_path / "long.mp4", n=400, gop=25)  # 8 segments of 50 frames
    fed = [0]
    closed: list[tuple[float | None, int]] = []  # (source's start, frames in the session then)
    update, close = engine.Session.update_poses, VideoSource.close

    def counting(self, *a, **k):
        fed[0] += 1
        return update(self, *a, **k)

    def closing(self):
        closed.append((self.start, fed[0]))
        return close(self)

    monkeypatch.setattr(engine.Session, "update_poses", counting)
    monkeypatch.setattr(VideoSource, "close", closing)
    monkeypatch.setattr(engine, "open_estimator", lambda config, allow_download=False, schedule=None, people=None:
                        HistoryEstimator(schedule))
    a = engine.analyze_video(clip, override(Config(), "pose", segment_s=5.0), threads=2)
    assert a.n_frames == 400 and a.decode.decoded == 400
    first = [n for start, n in closed if start is None]
    assert first and first[0] < 200, closed  # closed while later segments were still running


SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "clips"


@pytest.mark.clips
@pytest.mark.parametrize("name", ["front_single_leg_squat_valgus_then_good.mp4",  # seeks by decoding time
                                  "front_single_leg_squat_good_damaged_stream.mp4",  # 49 frames missing
                                  "front_squat_overhead_valgus_a.mov"])  # a phone clip
def test_segments_of_real_clips_decode_like_one_pass(name) -> None:
    from valgus.segments import plan_segments

    clip = SHARED / name
    if not clip.exists():
        pytest.skip(f"{clip} not available (../shared/clips)")
    index = stream_index(clip)
    with VideoSource(clip, pixels="i420") as src:
        whole = [(f.t, f.image) for f in src]
    span = index.times[-1] - index.times[0]
    plan = plan_segments(index, max(1.0, span / 2.5))
    assert len(plan) >= 2
    for seg in plan:
        with VideoSource(clip, start=seg.start, end=seg.end, seek_ts=seg.seek_ts, pixels="i420") as src:
            part = [(f.t, f.image) for f in src]
        expected = [(t, im) for t, im in whole if (seg.start is None or t >= seg.start) and (seg.end is None or t < seg.end)]
        assert [t for t, _ in part] == [t for t, _ in expected]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(part, expected))


def test_render_frames_in_two_threads_gives_each_frame_once_as_decoded_in_one_pass(gop_clip) -> None:
    """Report stills: each asked frame reduced (here to its bright column's position) as soon as
    it is decoded, by two threads each seeking over its own stretch of the clip."""
    from valgus.present.stills import render_frames

    with VideoSource(gop_clip) as src:
        whole = {f.index: (f.t, f.image) for f in src}
    asked = {i: whole[i][0] for i in (3, 11, 12, 29, 30, 47, 59)}
    seen_threads = set()

    def render(i: int, img: np.ndarray) -> bytes:
        import threading

        seen_threads.add(threading.current_thread().name)
        np.testing.assert_array_equal(img, whole[i][1])  # the very frame one pass decodes
        return bytes([int(np.argmax(img[0, :, 0]))])

    out = render_frames(gop_clip, asked, render, workers=2)
    assert sorted(out) == sorted(asked)
    assert all(out[i] == bytes([int(np.argmax(whole[i][1][0, :, 0]))]) for i in asked)
    assert len(seen_threads) == 2
    assert render_frames(gop_clip, {}, render) == {}


def test_track_builder_gives_the_track_of_per_frame_people() -> None:
    from valgus.types import PersonPose, PoseTrack, TrackBuilder

    rng = np.random.default_rng(3)
    n = TrackBuilder.CHUNK * 2 + 7  # across chunk boundaries
    t, idx, people, counts = [], [], [], []
    b = TrackBuilder()
    for i in range(n):
        p = None if i % 5 == 0 else PersonPose(rng.random((33, 2)) * 100, rng.random(33), rng.random(33),
                                                rng.random((33, 3)))
        t.append(i / 30.0)
        idx.append(2 * i)
        people.append(p)
        counts.append(i % 3)
        b.append(i / 30.0, 2 * i, p, i % 3)
    got, want = b.build(), PoseTrack.from_people(t, idx, people, counts)
    assert len(got) == len(b) == n
    for name in ("t", "frame", "xy", "visibility", "presence", "world", "n_people"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert not got.detected[0] and got.detected[1]


def test_a_closed_source_gives_its_decoder_memory_back(tmp_path) -> None:
    """A source per segment: each closed source must free its decoder's frame pool (it used to
    keep ~18 MB at 1080x1920 per source, ~1 GB over a 10-minute clip's segments)."""
    import gc

    clip = write_gop_video(tmp_path / "hd.mp4", n=30, gop=10, width=1280, height=720)

    def rss_mb() -> float:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc (Linux) to read the process's memory")
    for _ in range(2):  # warm up the allocator
        with VideoSource(clip, start=1.0, end=2.5, prefetch=0) as src:
            list(src)
    gc.collect()
    before = rss_mb()
    for _ in range(12):
        with VideoSource(clip, start=1.0, end=2.5, prefetch=0) as src:
            assert len(list(src)) == 15
    gc.collect()
    assert rss_mb() - before < 25, f"{rss_mb() - before:.0f} MB kept by 12 closed sources"


def _count_raw(monkeypatch) -> list[int]:
    """Count every frame the decoder puts out (including the ones decoded only as references)."""
    count = [0]
    orig = VideoSource._raw_frames

    def counted(self, *a):  # type: ignore[no-untyped-def]
        for fr in orig(self, *a):
            count[0] += 1
            yield fr

    monkeypatch.setattr(VideoSource, "_raw_frames", counted)
    return count


@pytest.mark.parametrize("first", [29, 36, 47])
def test_a_segment_decodes_from_its_own_keyframe_not_the_one_before(gop_clip, monkeypatch, first) -> None:
    """With B-frames a keyframe's decoding timestamp lies before its presentation timestamp;
    seeking an MP4 by the decoding one lands a whole keyframe interval early (12 frames here).
    The segment from frame ``first`` decodes the frames from its keyframe (24 or 36) on, plus the
    first frame that every source reads for its rotation."""
    index = stream_index(gop_clip)
    key = max(k for k in index.keyframes if k <= first)
    count = _count_raw(monkeypatch)
    with VideoSource(gop_clip, start=index.times[first], end=index.times[first + 5],
                     seek_ts=index.seek_point(first)) as src:
        part = list(src)
    assert [round(f.t, 3) for f in part] == [round(t, 3) for t in index.times[first:first + 5]]
    # the peeked first frame + keyframe..first+5 (+ at most the decoder's reordering delay of 2)
    assert count[0] <= 1 + (first + 5 - key) + 2, count[0]
    assert count[0] < 1 + (first + 5 - (key - 12))


def test_a_still_is_decoded_from_its_own_keyframe(gop_clip, monkeypatch) -> None:
    from valgus.io.seek import iter_frames_at

    index = stream_index(gop_clip)
    count = _count_raw(monkeypatch)
    got = dict(iter_frames_at(gop_clip, [index.times[40]]))
    assert list(got) == [index.times[40]]
    assert count[0] <= 1 + (40 - 36 + 1) + 2, count[0]  # the peek + frames 36..40 (+ reordering)
    with VideoSource(gop_clip) as src:
        whole = [f.image for f in src]
    np.testing.assert_array_equal(got[index.times[40]], whole[40])  # the same picture


def test_stills_skip_the_frames_no_later_frame_needs(gop_clip, monkeypatch) -> None:
    """Decoding up to a still, the non-reference frames (B-frames here) before it are skipped,
    and every asked frame, B-frame or not, is still the very picture one pass decodes."""
    from valgus.io.seek import iter_frames_at

    index = stream_index(gop_clip)
    with VideoSource(gop_clip) as src:
        whole = [f.image for f in src]
    asked = [index.times[i] for i in (10, 21, 22, 23, 35)]
    count = _count_raw(monkeypatch)
    got = dict(iter_frames_at(gop_clip, asked))
    assert sorted(got) == asked
    for i, t in zip((10, 21, 22, 23, 35), asked):
        np.testing.assert_array_equal(got[t], whole[i])
    # one pass would decode 36 frames to reach frame 35 (+ the peek); two of every three are B-frames
    assert count[0] < 30, count[0]


def test_decoding_helper_hands_frames_over_in_order_and_its_errors_to_the_owner() -> None:
    """valgus.segments._Feed: frames decoded ahead by the helper and by the owner come out in
    decoding order; an error met by the helper is raised in the owner's thread, when it gets
    there; a closed feed decodes nothing more."""
    import threading

    from valgus.segments import _AHEAD, _Feed

    def frames(n: int, fail_at: int | None = None):
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"damaged at {i}")
            yield i

    space = threading.Condition()
    feed = _Feed(frames(10), 10, space)  # type: ignore[arg-type]
    got = []
    for k in range(10):
        if k % 3 == 0:
            while feed.help():  # the helper runs ahead while it may
                pass
        got.append(feed.next())
    assert got == list(range(10)) and feed.next() is None and feed.next() is None
    assert _AHEAD >= 1

    bad = _Feed(frames(10, fail_at=2), 10, space)  # type: ignore[arg-type]
    assert bad.next() == 0
    while bad.help():
        pass
    assert bad.next() == 1  # the frame decoded ahead before the error
    assert not bad.help()  # the helper meets the error: kept for the owner
    with pytest.raises(ValueError, match="damaged at 2"):
        bad.next()

    closed = _Feed(frames(10), 10, space)  # type: ignore[arg-type]
    closed.close()
    assert not closed.help() and closed.next() is None


@pytest.mark.parametrize("first, last", [(30, 40), (0, 7), (50, 60)])
def test_a_source_given_the_header_decodes_no_first_frame_and_gives_the_same_frames(gop_clip, monkeypatch,
                                                                                      first, last) -> None:
    """A segment's (or a still's) source told the header another source read (``info=``) does
    not decode the clip's first frame for the rotation: it decodes from its keyframe only, and
    its frames are those of one pass bit for bit."""
    index = stream_index(gop_clip)
    with VideoSource(gop_clip) as src:
        info, whole = src.info, list(src)
    key = max(k for k in index.keyframes if k <= first)
    count = _count_raw(monkeypatch)
    start = None if first == 0 else index.times[first]
    end = None if last == 60 else index.times[last]
    with VideoSource(gop_clip, start=start, end=end, seek_ts=None if first == 0 else index.seek_point(first),
                     info=info) as src:
        part = list(src)
    assert [f.t for f in part] == [f.t for f in whole[first:last]]
    for a, b in zip(part, whole[first:last]):
        np.testing.assert_array_equal(a.image, b.image)
    assert count[0] <= (last - key) + 2, count[0]  # keyframe..last (+ the decoder's reordering delay)


def test_a_source_given_a_rotated_clips_header_turns_its_frames_upright(tmp_path) -> None:
    from conftest import patch_tkhd_matrix, stripe_frame, write_video

    path = write_video(tmp_path / "rot.mp4", frame_fn=lambda i: stripe_frame(64, 48))
    patch_tkhd_matrix(path, 0, 1, -1, 0, 48, 0)
    with VideoSource(path) as src:
        info, whole = src.info, [f.image for f in src]
    with VideoSource(path, start=0.5, info=info) as src:
        part = [f.image for f in src]
    assert info.rotation == 90 and part[0].shape == whole[0].shape == (64, 48, 3)
    np.testing.assert_array_equal(part[-1], whole[-1])


def test_the_stream_index_is_read_again_when_the_file_changes(tmp_path) -> None:
    path = write_gop_video(tmp_path / "a.mp4", n=30, gop=10)
    first = stream_index(path)
    assert stream_index(path) is first  # unchanged: kept
    write_gop_video(tmp_path / "b.mp4", n=40, gop=10).replace(path)
    again = stream_index(path)
    assert len(first.times) == 30 and len(again.times) == 40
