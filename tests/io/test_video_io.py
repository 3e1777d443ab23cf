"""I/O tests for valgus.io.video on tiny clips generated with PyAV in ``tmp_path``.

The default clip (tests/conftest.py:write_video) is 64 x 48, H.264, 10 frames at 10 fps; frame
``i`` is grey level ``20 * i`` with a white stripe 8 px wide on its left edge.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import patch_tkhd_matrix, stripe_frame, write_video
from valgus.errors import VideoError
from valgus.io.video import VideoSource, probe


def frames_of(path: Path, **kwargs) -> list:
    with VideoSource(path, **kwargs) as src:
        return list(src)


def grey(img: np.ndarray) -> float:
    """Mean level of the picture away from the stripe and the borders."""
    return float(img[8:-8, 16:-8].mean())


# --------------------------------------------------------------------------------------------
# Frames and timestamps
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps, n", [(10.0, 10), (25.0, 12), (30000 / 1001, 9)])
def test_probe_and_frames(make_video, fps, n) -> None:
    path = make_video(fps=fps, n=n)
    info = probe(path)
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(fps, rel=1e-3)
    assert info.frame_count == n
    assert info.codec == "h264" and info.rotation == 0
    frames = frames_of(path)
    assert [f.index for f in frames] == list(range(n))
    t = np.array([f.t for f in frames])
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t - t[0], np.arange(n) / fps, atol=1e-3)  # media time = i / fps
    assert t[0] == pytest.approx(0.0, abs=1e-3)
    for f in frames:
        assert f.image.shape == (48, 64, 3) and f.image.dtype == np.uint8 and f.image.flags.c_contiguous


@pytest.mark.parametrize("width", [64, 1080])
def test_rgba_is_the_rgb_picture_with_opaque_alpha_and_needs_no_row_copy(make_video, width) -> None:
    """``pixels="rgba"`` (what the pose model reads): the RGB pixels bit for bit, alpha 255, and a
    1080-wide frame straight from FFmpeg without padded rows (a 3-byte RGB row of 1080 px is
    padded to FFmpeg's alignment, a 4-byte one is not)."""
    path = make_video(width=width, height=48, n=3)
    rgb, rgba = frames_of(path), frames_of(path, pixels="rgba")
    assert [f.t for f in rgba] == [f.t for f in rgb]
    for a, b in zip(rgba, rgb):
        assert a.image.shape == (48, width, 4) and a.image.flags.c_contiguous
        np.testing.assert_array_equal(a.image[..., :3], b.image)
        assert (a.image[..., 3] == 255).all()
    if width == 1080:
        import av

        with av.open(str(path)) as c:
            fr = next(c.decode(video=0))
            assert not fr.to_ndarray(format="rgb24").flags.c_contiguous  # why RGB needed a copy
            assert fr.to_ndarray(format="rgba").flags.c_contiguous  # handed to MediaPipe as it is


def test_frames_come_in_order_with_their_content(make_video) -> None:
    frames = frames_of(make_video())
    levels = [grey(f.image) for f in frames]
    np.testing.assert_allclose(levels, [min(20 * i, 200) for i in range(10)], atol=4)
    assert all(f.image[:, :6].mean() > 240 for f in frames)  # the stripe is on the left


@pytest.mark.parametrize(
    "kwargs, kept",
    [
        ({"stride": 1}, list(range(10))),
        ({"stride": 2}, [0, 2, 4, 6, 8]),
        ({"stride": 3}, [0, 3, 6, 9]),
        ({"stride": 20}, [0]),
        # at 10 fps, frames 0.1 s apart: at most 5 per second keeps every 2nd ...
        ({"max_fps": 5.0}, [0, 2, 4, 6, 8]),
        # ... at most 4 per second needs >= 0.25 s between kept frames: 0, 0.3, 0.6, 0.9 s
        ({"max_fps": 4.0}, [0, 3, 6, 9]),
        ({"max_fps": 100.0}, list(range(10))),
        # stride first (0, 2, 4, ...), then >= 0.25 s: 0, 0.4, 0.8 s
        ({"stride": 2, "max_fps": 4.0}, [0, 4, 8]),
    ],
)
def test_stride_and_max_fps(make_video, kwargs, kept) -> None:
    frames = frames_of(make_video(), **kwargs)
    assert [f.index for f in frames] == kept
    np.testing.assert_allclose([f.t for f in frames], np.array(kept) / 10.0, atol=1e-3)
    # the kept frames are the right pictures, not just the right labels
    np.testing.assert_allclose([grey(f.image) for f in frames], [min(20 * i, 200) for i in kept], atol=4)


@pytest.mark.parametrize(
    "max_side, shape",
    [
        (32, (24, 32, 3)),  # longer side 64 -> 32: factor 0.5
        (48, (36, 48, 3)),  # factor 0.75
        (64, (48, 64, 3)),  # already small enough
        (1000, (48, 64, 3)),
        (None, (48, 64, 3)),
    ],
)
def test_max_side_scales(make_video, max_side, shape) -> None:
    path = make_video()
    with VideoSource(path, max_side=max_side) as src:
        assert (src.info.width, src.info.height) == (64, 48)  # info keeps the original size
        frames = list(src)
    assert all(f.image.shape == shape for f in frames)


def test_prefetch_and_inline_decoding_agree(make_video) -> None:
    path = make_video()
    a, b = frames_of(path, prefetch=0), frames_of(path, prefetch=3)
    assert [(f.index, f.t) for f in a] == [(f.index, f.t) for f in b]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.image, y.image)


def test_stopping_early_closes_cleanly(make_video) -> None:
    with VideoSource(make_video(n=30), prefetch=2) as src:
        for f in src:
            if f.index == 3:
                break
    assert src._thread is None  # the decode thread has been joined


def test_decode_stats(make_video) -> None:
    with VideoSource(make_video()) as src:
        list(src)
    s = src.stats
    assert (s.decoded, s.errors, s.lost) == (10, 0, 0)
    assert s.first_t == pytest.approx(0.0) and s.last_t == pytest.approx(0.9)


@pytest.mark.parametrize("kwargs", [{"stride": 0}, {"max_fps": 0.0}, {"max_fps": -5.0}])
def test_bad_arguments(make_video, kwargs) -> None:
    with pytest.raises(ValueError):
        VideoSource(make_video(), **kwargs)


# --------------------------------------------------------------------------------------------
# Bad inputs: VideoError with a one-line message naming the file
# --------------------------------------------------------------------------------------------


def _missing(tmp: Path) -> Path:
    return tmp / "nope.mp4"


def _directory(tmp: Path) -> Path:
    (tmp / "folder.mp4").mkdir()
    return tmp / "folder.mp4"


def _empty(tmp: Path) -> Path:
    (tmp / "empty.mp4").write_bytes(b"")
    return tmp / "empty.mp4"


def _text(tmp: Path) -> Path:
    (tmp / "notes.mp4").write_text("this is not a video\n" * 50)
    return tmp / "notes.mp4"


def _garbage(tmp: Path) -> Path:
    (tmp / "noise.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return tmp / "noise.mp4"


def _audio_only(tmp: Path) -> Path:
    import wave

    with wave.open(str(tmp / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(800, dtype=np.int16).tobytes())
    return tmp / "tone.wav"


@pytest.mark.parametrize(
    "make, words",
    [
        (_audio_only, "no video stream"),
        (_missing, "no such file"),
        (_directory, "directory"),
        (_empty, "empty"),
        (_text, "not a video"),
        (_garbage, ""),
    ],
    ids=["audio-only", "missing", "directory", "empty", "text", "random-bytes"],
)
@pytest.mark.parametrize("opener", [probe, VideoSource], ids=["probe", "VideoSource"])
def test_bad_inputs_raise_video_error(tmp_path, make, words, opener) -> None:
    path = make(tmp_path)
    with pytest.raises(VideoError) as err:
        opener(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert path.name in msg
    assert words in msg


@pytest.mark.parametrize("faststart", [False, True], ids=["moov-at-end", "moov-at-start"])
@pytest.mark.parametrize("keep", [0.5, 0.2, 0.9])
def test_truncated_file_decodes_fewer_frames_or_raises_video_error(tmp_path, faststart, keep) -> None:
    full = write_video(tmp_path / "full.mp4", n=30)
    if faststart:  # remux with the index first, as phones and web tools write it
        import av

        fs = tmp_path / "fs.mp4"
        with av.open(str(full)) as src, av.open(str(fs), "w", options={"movflags": "faststart"}) as dst:
            ins = src.streams.video[0]
            out = dst.add_stream_from_template(ins)
            for pkt in src.demux(ins):
                if pkt.dts is None:
                    continue
                pkt.stream = out
                dst.mux(pkt)
        full = fs
    data = full.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * keep)])
    try:
        with VideoSource(cut) as src:
            frames = list(src)
    except VideoError as exc:
        assert "\n" not in str(exc) and cut.name in str(exc)
        return
    assert 0 < len(frames) < 30
    assert src.stats.lost >= 30 - len(frames) - 1  # the missing frames are accounted for
    t = [f.t for f in frames]
    assert all(b > a for a, b in zip(t, t[1:]))


# --------------------------------------------------------------------------------------------
# Rotation from the track header's display matrix
# --------------------------------------------------------------------------------------------


# A QuickTime matrix maps (x, y) to (a x + c y + tx, b x + d y + ty).
ROTATIONS = [
    # (matrix a, b, c, d, tx, ty; clockwise turn; upright shape; where the left-edge stripe ends up)
    # 90 deg clockwise (a phone held upright): x' = -y + H, y' = x -> the left edge becomes the top
    pytest.param((0, 1, -1, 0, 48, 0), 90, (64, 48, 3), "top", id="cw90"),
    # 180 deg: x' = -x + W, y' = -y + H -> the left edge becomes the right edge
    pytest.param((-1, 0, 0, -1, 64, 48), 180, (48, 64, 3), "right", id="180"),
    # 90 deg counter-clockwise: x' = y, y' = -x + W -> the left edge becomes the bottom
    pytest.param((0, -1, 1, 0, 0, 64), 270, (64, 48, 3), "bottom", id="ccw90"),
]


def _stripe_side(img: np.ndarray) -> str:
    edges = {
        "top": img[:6].mean(), "bottom": img[-6:].mean(), "left": img[:, :6].mean(), "right": img[:, -6:].mean(),
    }
    return max(edges, key=edges.get)  # type: ignore[arg-type]


@pytest.mark.parametrize("matrix, cw, shape, stripe", ROTATIONS)
def test_rotated_clip_comes_out_upright(tmp_path, matrix, cw, shape, stripe) -> None:
    path = write_video(tmp_path / "rot.mp4", frame_fn=lambda i: stripe_frame(64, 48))
    assert _stripe_side(frames_of(path)[0].image) == "left"
    patch_tkhd_matrix(path, *matrix)
    with VideoSource(path) as src:
        info = src.info
        frames = list(src)
    assert (info.height, info.width, 3) == shape
    assert info.rotation == cw
    assert len(frames) == 10
    for f in frames:
        assert f.image.shape == shape and f.image.flags.c_contiguous
        assert _stripe_side(f.image) == stripe


def test_rotated_clip_with_max_side(tmp_path) -> None:
    path = write_video(tmp_path / "rot.mp4", frame_fn=lambda i: stripe_frame(64, 48))
    patch_tkhd_matrix(path, 0, 1, -1, 0, 48, 0)
    frames = frames_of(path, max_side=32)
    assert frames[0].image.shape == (32, 24, 3)
    assert _stripe_side(frames[0].image) == "top"


def test_probe_reports_upright_size_of_rotated_clip(tmp_path) -> None:
    path = write_video(tmp_path / "rot.mp4", frame_fn=lambda i: stripe_frame(64, 48))
    patch_tkhd_matrix(path, 0, 1, -1, 0, 48, 0)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (48, 64, 90)


def test_decoder_threads_one_up_to_1080p_else_ffmpegs_choice(make_video, monkeypatch) -> None:
    import valgus.io.video as vv

    path = make_video()
    with VideoSource(path) as src:  # 64x48: one decoder thread (it runs beside the model)
        assert src._stream.codec_context.thread_count == 1
    monkeypatch.setattr(vv, "ONE_THREAD_MAX_PIXELS", 10)  # as if the frame were larger than 1080p
    with VideoSource(path) as src:
        assert src._stream.codec_context.thread_count != 1
    with VideoSource(path, threads=3) as src:  # explicit
        assert src._stream.codec_context.thread_count == 3


@pytest.mark.parametrize("rot", [0, 90, 180, 270])
def test_upright_of_a_padded_picture_is_numpys_turn_made_contiguous(rot) -> None:
    """FFmpeg's padded rows (a 3240-byte RGB row in a 3264-byte stride, as for 1080-wide phone
    clips, scaled down here): the row-by-row copy and OpenCV's turn give NumPy's pixels exactly."""
    from valgus.io.container import _upright, contiguous

    rng = np.random.default_rng(rot)
    padded = rng.integers(0, 256, size=(37, 1088 // 8 * 3 + 8), dtype=np.uint8)  # rows of 408 + 8 bytes
    view = padded[:, :408].reshape(37, 136, 3)  # a (37, 136, 3) picture with a 416-byte stride
    assert not view.flags.c_contiguous
    expected = np.ascontiguousarray(np.rot90(view, k=-(rot // 90)))
    got = _upright(view, rot)
    assert got.flags.c_contiguous and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    flat = contiguous(view)
    assert flat.flags.c_contiguous
    np.testing.assert_array_equal(flat, view)
    gray = padded[:, :400]  # a 2-D view: NumPy's own copy
    np.testing.assert_array_equal(contiguous(gray), gray)
