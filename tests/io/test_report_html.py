"""report.html: the plots (valgus.present.svgplot), the stills (valgus.present.stills), the page (valgus.present.html),
and the page as a browser shows it (headless Chromium; skipped when ``chromium`` is absent).

The other tests analyse a synthetic squatting figure with a fake pose estimator (tests/synthetic_clip.py:
two squats, the second with both knees in), in seconds. Slow (a browser, or the real model): the
synthetic report in Chromium, and ``valgus analyze`` with the real model on
sample_videos/squat_valgus.mp4 in Chromium.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from synthetic_clip import N_FRAMES, FPS, squat_analysis
from valgus.present import svgplot as sp
from valgus.landmarks import LM

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# --------------------------------------------------------------------------------------------
# svgplot
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lo, hi, n, expected",
    [
        (0, 10, 5, [0, 2, 4, 6, 8, 10]),  # step 2
        (-3.2, 17.9, 4, [0, 5, 10, 15]),  # step 5 (nearest to 21.1 / 4), from the first multiple inside
        (0, 1, 4, [0, 0.2, 0.4, 0.6, 0.8, 1]),  # 0.25 -> 0.2
        (0.04, 0.16, 3, [0.05, 0.1, 0.15]),  # small numbers
        (0, 700, 5, [0, 100, 200, 300, 400, 500, 600, 700]),  # 140 -> 100 (nearer than 200 in ratio)
        (5, 5, 5, [5]),  # a single value
        (10, 0, 5, [0, 2, 4, 6, 8, 10]),  # reversed input
        (float("nan"), 1, 5, []),  # not finite: no ticks
    ],
)
def test_nice_ticks(lo, hi, n, expected) -> None:
    np.testing.assert_allclose(sp.nice_ticks(lo, hi, n), expected)


def test_decimate_keeps_peaks_and_gaps() -> None:
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 300.0)
    y[5000] = 9.0  # one spike
    y[7000:7100] = np.nan  # a gap
    xd, yd = sp.decimate(x, y, max_points=400)
    assert len(xd) <= 400
    assert np.nanmax(yd) == 9.0 and xd[np.nanargmax(yd)] == 5000
    assert np.isnan(yd).any()  # the gap survives as a NaN
    short = np.arange(5.0)
    assert sp.decimate(short, short)[0] is short  # short input unchanged


def test_render_is_valid_svg_with_a_gap_for_nan() -> None:
    t = np.linspace(0, 4, 41)
    y = t.copy()
    y[20] = np.nan  # splits the line in two
    plot = sp.Plot("Left leg", "deg", [sp.Series(t, y, "line left", "FPPA")],
                   [sp.Span(1, 2, "span", "1")], [sp.Band(1, 2, 3, 5, 4, "band", "thr")],
                   [sp.Marker(1.5, 1.5, "marker mild", "circle", "rep 1"), sp.Marker(2, 2, "marker peak", "triangle")])
    svg = sp.render(plot, id="p1")
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    paths = [p for p in root.iter(f"{ns}path") if "line" in p.get("class", "")]
    assert len(paths) == 1 and paths[0].get("d").count("M") == 2  # one line, two pieces
    assert len(list(root.iter(f"{ns}circle"))) == 1
    assert [e.get("class") for e in root.iter(f"{ns}line") if e.get("class") == "thr"] == ["thr"]
    assert root.find(f"{ns}title").text == "Left leg"


def test_render_maps_data_to_the_plot_area() -> None:
    """y up: a larger value is higher on the page (smaller SVG y)."""
    plot = sp.Plot("p", "deg", markers=[sp.Marker(0, 0, "a"), sp.Marker(1, 10, "b")], x_range=(0, 1), y_range=(0, 10))
    root = ET.fromstring(sp.render(plot))
    c = {e.get("class"): (float(e.get("cx")), float(e.get("cy"))) for e in root.iter("{http://www.w3.org/2000/svg}circle")}
    assert c["a"] == (sp.ML, sp.H - sp.MB) and c["b"] == (sp.W - sp.MR, sp.MT)


# --------------------------------------------------------------------------------------------
# stills
# --------------------------------------------------------------------------------------------


def _rep(**kw):
    from valgus.scoring.results import RepScore

    base = dict(number=1, exercise="squat", working_leg="both", t_start=0.0, t_deepest=0.5, t_end=1.0, frame_start=0,
                frame_deepest=5, frame_end=10, partial=False, depth=0.3,
                values={"left": {"fppa_deg_standing": 2.0}, "right": {"fppa_deg_standing": 0.0}})
    base.update(kw)
    return RepScore(**base)


def _metrics(n: int = 11) -> dict[str, np.ndarray]:
    hip = np.abs(np.arange(n) - 5.0) / 5.0  # deepest (0) at frame 5, standing (1) at the ends
    return {"frame": np.arange(n), "time_s": np.arange(n) / 10.0, "hip_above_floor": hip,
            "left_fppa_deg": np.full(n, 2.0), "right_fppa_deg": np.zeros(n)}


def test_worst_frame_is_the_largest_change_from_standing_near_the_bottom() -> None:
    from valgus.present.stills import worst_frame

    m = _metrics()
    m["right_fppa_deg"][3] = 6.0  # right: +6 from standing at frame 3 (near the bottom)
    m["left_fppa_deg"][7] = 7.0  # left: +5 from its standing 2 at frame 7
    assert worst_frame(m, _rep()) == 3
    m["left_fppa_deg"][0] = 30.0  # at the rep's start (standing height): not a candidate
    assert worst_frame(m, _rep()) == 3
    assert worst_frame(m, _rep(working_leg="left")) == 7  # only the working leg counts
    m["left_fppa_deg"][:] = np.nan
    assert worst_frame(m, _rep(working_leg="left")) == 5  # never measurable: the deepest frame


@pytest.mark.parametrize(
    "clip, frames",
    [
        (REPO / "sample_videos" / "squat_good.mp4", [0, 57, 101, 249, 250, 251, 281]),  # keyframes at 0 and 250
        pytest.param(REPO.parent / "shared" / "clips" / "side_squat_overhead_a.mov", [3, 40, 79],
                     marks=pytest.mark.clips),  # a phone clip (1080x1920)
        pytest.param(REPO.parent / "shared" / "clips" / "front_single_leg_squat_good_damaged_stream.mp4",
                     [5, 100, 200], marks=pytest.mark.clips),  # undecodable packets
    ],
    ids=["sample", "phone", "damaged"],
)
def test_stills_read_by_seeking_are_the_frames_read_in_order(clip, frames) -> None:
    """Seeking to a frame gives exactly the picture decoding from the start gives (and a frame the
    seek misses, e.g. in a damaged stream, is still read by the fallback)."""
    from valgus.io.video import VideoSource
    from valgus.present.stills import read_frames

    if not clip.is_file():
        pytest.skip(f"{clip.name} not present (../shared/clips)")
    ref = {}
    with VideoSource(clip, prefetch=0) as src:
        for fr in src:
            if fr.index in frames:
                ref[fr.index] = (fr.t, fr.image)
    got = read_frames(clip, {i: t for i, (t, _) in ref.items()})
    assert sorted(got) == sorted(ref)
    for i, (_, img) in ref.items():
        np.testing.assert_array_equal(got[i], img)


def test_leg_still_writes_each_label_under_its_own_foot() -> None:
    """The subject faces the camera: the LEFT label goes under the foot on the image's right."""
    from conftest import frontal_xy
    from valgus.present.stills import leg_still

    img = np.zeros((480, 320, 3), dtype=np.uint8)
    xy = frontal_xy(cx=160, hip_y=200, hip_half=40, thigh=100, shank=100, trunk_height=120)
    only_left = xy.copy()
    for lm in (LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX):
        only_left[lm] = np.nan  # the right foot unseen: only the LEFT label is written
    still = leg_still(img, only_left, {})
    white = np.argwhere((still == 255).all(axis=-1))
    assert white.size and white[:, 1].mean() > still.shape[1] / 2
    assert abs(still.shape[1] / still.shape[0] - 0.8) < 0.02  # the grid's aspect


def test_leg_still_keeps_each_knee_label_whole() -> None:
    """A knee label is drawn right of its knee: the crop widens to hold it, so the last column of
    the still is not the label's colour (a label cut at the edge would be)."""
    from conftest import frontal_xy
    from valgus.present.annotate import KneeMark
    from valgus.present.stills import leg_box, leg_still

    img = np.zeros((960, 1280, 3), dtype=np.uint8)  # wide: room right of the legs
    # a wide stance (the crop is as wide as the legs), the left knee out past its foot: the
    # right-most point of the legs, with its label to the right of it
    xy = frontal_xy(cx=640, hip_y=400, hip_half=200, thigh=120, shank=120, trunk_height=240)
    xy[LM.LEFT_KNEE, 0] += 80
    knees = {"left": KneeMark("none", "L -56"), "right": KneeMark("none", "R +28")}
    x0, y0, x1, y1 = leg_box(xy, img.shape[:2])
    plain = leg_still(img, xy, {})
    labelled = leg_still(img, xy, knees)
    assert labelled.shape[1] / labelled.shape[0] > plain.shape[1] / plain.shape[0]  # widened
    green = (labelled[..., 1] > 150) & (labelled[..., 0] < 100)
    cols = np.flatnonzero(green.any(axis=0))
    assert cols.size and cols.max() < labelled.shape[1] - 2  # the label ends inside the still


# --------------------------------------------------------------------------------------------
# the page (no browser)
# --------------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)


def parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The synthetic clip analysed (frames 5-14 without a person), with its annotated video."""
    from valgus.present.render_video import write_annotated

    folder = tmp_path_factory.mktemp("synthetic")
    a = squat_analysis(folder, missing=tuple(range(5, 15)))
    write_annotated(a, folder / "annotated.mp4")
    return a, folder


def test_report_has_every_part(synthetic) -> None:
    from valgus.present.html import report_html

    a, folder = synthetic
    html = report_html(a, video=folder / "annotated.mp4")
    p = parse(html)
    text = " ".join(p.text)
    assert a.result.verdict == "knee valgus with hip signs"  # the synthetic clip's own result
    assert "knee valgus with hip signs" in text and "What to do" in text
    ids = {d.get("id") for _, d in p.tags}
    assert {f"plot-{k}-{s}" for k in ("fppa_deg", "knee_medial_offset", "hip_adduction_deg", "trunk_lean_deg")
            for s in ("left", "right")} <= ids
    stills = [d for t, d in p.tags if t == "img" and d.get("src", "").startswith("data:image/jpeg;base64,")]
    assert len(stills) == len(a.result.reps) == 2
    rows = [d for t, d in p.tags if t == "tr" and d.get("class", "").startswith("first")]
    assert len(rows) == 2  # one group of rows per rep
    video = [d for t, d in p.tags if t == "video"]
    assert len(video) == 1 and video[0]["src"].startswith("data:video/mp4;base64,")
    assert "No person in 10 of 150 frames (0.2-0.5 s)" in text
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html  # no network


def test_a_large_video_is_linked_not_embedded(synthetic) -> None:
    from valgus.present.html import report_html

    a, folder = synthetic
    video = [d for t, d in parse(report_html(a, video=folder / "annotated.mp4", embed_video_max_bytes=0)).tags
             if t == "video"]
    assert video[0]["src"] == "annotated.mp4"


def test_no_video_no_video_section(synthetic) -> None:
    from valgus.present.html import report_html

    a, _ = synthetic
    assert "<video" not in report_html(a, video=None)


def test_squat_threshold_is_drawn_at_standing_plus_the_threshold(synthetic) -> None:
    from valgus.present.html import METRICS, rule_for

    a, _ = synthetic
    rep = a.result.reps[1]
    th = a.config.thresholds
    fppa = next(m for m in METRICS if m.key == "fppa_deg")
    rule = rule_for(fppa, rep, "left", th)
    assert rule.y == pytest.approx(rep.values["left"]["fppa_deg_standing"] + th.sls_fppa_mild)
    assert rule.band == th.sem_deg + th.pipeline_error_deg
    assert rule.category == rep.worst("dynamic_knee_valgus", "left") == "marked"
    trunk = next(m for m in METRICS if m.key == "trunk_lean_deg")
    assert rule_for(trunk, rep, "left", th) is None  # not judged in double-leg squats


def test_report_generation_is_cheap(synthetic) -> None:
    import time

    from valgus.present.html import report_html

    a, folder = synthetic
    t0 = time.perf_counter()
    report_html(a, video=folder / "annotated.mp4")
    assert time.perf_counter() - t0 < 2.0


def test_unreadable_source_leaves_out_the_stills_with_a_warning(synthetic, tmp_path, caplog) -> None:
    import dataclasses

    from valgus.present.html import report_html

    a, _ = synthetic
    gone = dataclasses.replace(a, source=str(tmp_path / "moved.mp4"))
    with caplog.at_level(logging.WARNING, logger="valgus"):
        html = report_html(gone)
    assert "data:image/jpeg" not in html and "knee valgus with hip signs" in html
    assert any("rep stills left out" in r.message for r in caplog.records)


@pytest.mark.parametrize("flag", [True, False])
def test_analyze_open_asks_the_browser_for_the_report(synthetic, tmp_path, monkeypatch, flag) -> None:
    """``--open`` hands report.html's file URI to the browser (patched: no browser in tests); without
    it nothing is opened. The model is replaced by the synthetic analysis."""
    from valgus.cli.main import main

    a, _ = synthetic
    monkeypatch.setattr("valgus.cli.analyze.analyze_video", lambda *args, **kw: a)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    try:
        code = main(["analyze", a.source, "-o", str(tmp_path / "o"), "-q", "--no-video"] + (["--open"] if flag else []))
    finally:
        lg.handlers[:], lg.level, lg.propagate = saved
    assert code == 0 and (tmp_path / "o" / "report.html").is_file()
    assert opened == ([(tmp_path / "o" / "report.html").resolve().as_uri()] if flag else [])


def test_batch_writes_an_index_linking_each_report_and_stores_history(synthetic, tmp_path, monkeypatch, capsys) -> None:
    """``valgus batch`` (the model replaced by the synthetic analysis): each clip's report.html,
    an index.html linking them, and with --subject every clip in the history."""
    from valgus.cli.main import main
    from valgus.io.history import HistoryStore

    a, folder = synthetic
    monkeypatch.setattr("valgus.engine.analyze_video", lambda *args, **kw: a)  # in this process: --workers 0
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    try:
        code = main(["batch", a.source, str(bad), "-o", str(tmp_path / "b"), "-q", "--subject", "anna",
                     "--history", str(tmp_path / "h.sqlite"), "--date", "2026-03-01", "--workers", "0"])
    finally:
        lg.handlers[:], lg.level, lg.propagate = saved
    assert code == 4  # one clip failed
    links = [d["href"] for t, d in parse((tmp_path / "b" / "index.html").read_text()).tags if t == "a"]
    assert links == ["squat/report.html"] and (tmp_path / "b" / "squat" / "report.html").is_file()
    assert "broken.mp4" in (tmp_path / "b" / "index.html").read_text()  # the failed clip is listed
    with HistoryStore(tmp_path / "h.sqlite") as h:
        assert [c.date for c in h.clips("anna")] == ["2026-03-01"]


# --------------------------------------------------------------------------------------------
# the page in a browser
# --------------------------------------------------------------------------------------------

#: Appended to a copy of the report: once the video's metadata is loaded, the page title becomes a
#: JSON summary of what the browser rendered (the report itself has no script).
PROBE = """<script>
function probe(duration) {
  const imgs = [...document.querySelectorAll('#stills img')];
  const svgs = [...document.querySelectorAll('svg.plot')];
  document.title = JSON.stringify({
    duration: duration,
    verdict: (document.querySelector('#verdict .vword') || {}).textContent,
    stills: imgs.length, stills_decoded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    plots: svgs.length, plots_drawn: svgs.filter(s => s.getBoundingClientRect().width > 100).length,
    lines: document.querySelectorAll('svg.plot path.line').length,
    rep_rows: document.querySelectorAll('#rep-table tbody tr.first').length,
  });
}
const v = document.querySelector('video');
if (v) { v.addEventListener('loadedmetadata', () => probe(v.duration));
         v.addEventListener('error', () => probe('error ' + (v.error && v.error.code))); }
else { window.addEventListener('load', () => probe(null)); }
</script>"""


def browser_probe(report: Path, tmp_path: Path) -> dict:
    """Open ``report`` (a probed copy beside it, so a linked video resolves) in headless Chromium."""
    probed = report.with_name("probed_" + report.name)
    probed.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=5000", "--window-size=420,2000",
           "--dump-dom", probed.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r"<title>(.*?)</title>", out.stdout, re.S)
    assert m, f"no page title in Chromium's DOM dump (exit {out.returncode}): {out.stderr[-500:]}"
    import html as _html

    title = _html.unescape(m.group(1))
    assert title.startswith("{"), f"the probe did not run; title: {title!r}"
    return json.loads(title)


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt install chromium)")


@pytest.mark.slow  # a browser (the project's marker: model, renderer, window or browser)
@needs_chromium
@pytest.mark.parametrize("embed", [True, False], ids=["embedded-video", "linked-video"])
def test_browser_renders_the_report_and_reads_the_video(synthetic, tmp_path, embed) -> None:
    from valgus.present.html import write_report

    a, folder = synthetic
    report = write_report(a, folder / f"report_{embed}.html", video=folder / "annotated.mp4",
                          embed_video_max_bytes=10**9 if embed else 0)
    got = browser_probe(report, tmp_path)
    assert got["duration"] == pytest.approx(N_FRAMES / FPS, abs=0.1)
    assert got["verdict"] == "knee valgus with hip signs"
    assert got["stills"] == got["stills_decoded"] == 2
    assert got["plots"] == got["plots_drawn"] == 8 and got["lines"] == 8
    assert got["rep_rows"] == 2


@pytest.mark.slow
@needs_chromium
def test_analyze_writes_a_report_the_browser_shows(tmp_path, monkeypatch, capsys) -> None:
    """The whole command on a sample clip with the real model: report.html beside the outputs."""
    from valgus.cli import main

    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    out = tmp_path / "out"
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    try:
        code = main(["analyze", str(REPO / "sample_videos" / "squat_valgus.mp4"), "-o", str(out), "-q", "--open",
                     "--subject", "s1", "--history", str(tmp_path / "h.sqlite"), "--date", "2026-01-05"])
    finally:
        lg.handlers[:], lg.level, lg.propagate = saved
    assert code == 0
    assert opened == [(out / "report.html").resolve().as_uri()]  # --open asked the browser (patched)
    got = browser_probe(out / "report.html", tmp_path)
    assert got["duration"] == pytest.approx(9.4, abs=0.1)
    assert got["verdict"] == "knee valgus with hip signs"
    assert got["stills"] == got["stills_decoded"] == 3
    assert got["plots"] == got["plots_drawn"] == 8
    assert got["rep_rows"] == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["timings_s"]["report_html"] < 3.0
