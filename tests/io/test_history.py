"""The history database (valgus.io.history), the trend over sessions, and ``valgus history``.

Three sessions of one subject with hand-computable trends; a damaged database (a clear one-line
warning, the analysis goes on; ``valgus history`` fails with exit 1); two processes writing at
once (every row present, the database intact).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from valgus.io.history import (
    ClipRecord,
    HistoryError,
    HistoryStore,
    LegRecord,
    clip_date,
    default_history_path,
    parse_date,
    record_clip,
    trends,
)

REPO = Path(__file__).resolve().parents[2]
NAN = float("nan")


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch, tmp_path):
    """main() installs a handler on the 'valgus' logger; undo it. Run in tmp_path, and never touch
    the user's real history (the default path points into tmp_path)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VALGUS_HISTORY", str(tmp_path / "default_history.sqlite"))
    lg = logging.getLogger("valgus")
    saved = (lg.handlers[:], lg.level, lg.propagate)
    yield
    lg.handlers[:], lg.level, lg.propagate = saved[0], saved[1], saved[2]


def sls(leg: str, fppa: float, n: int = 3, valgus: int = 0) -> LegRecord:
    """A single-leg-squat leg record judged on FPPA (change and others irrelevant here)."""
    return LegRecord("single_leg_squat", leg, n, valgus, fppa, fppa - 2.0, 1.0, 0.02)


def squat(leg: str, change: float, n: int = 3, valgus: int = 0) -> LegRecord:
    """A double-leg-squat leg record: judged on the FPPA change from standing."""
    return LegRecord("squat", leg, n, valgus, -20.0, change, 1.0, 0.02)


def clip(date: str, *legs: LegRecord, key: str | None = None, verdict: str = "no valgus") -> ClipRecord:
    return ClipRecord("anna", date, f"{date}.mp4", key or f"{date}.mp4|1|1", legs[0].exercise if legs else "squat",
                      verdict, tuple(legs))


THREE_SESSIONS = [
    # left single-leg squat: 15 -> 11 -> 5 (-10, beyond 8); right: 9 -> 8 -> 6 (-3, within)
    clip("2026-01-05", sls("left", 15.0, valgus=3), sls("right", 9.0), verdict="knee valgus without hip signs"),
    clip("2026-01-26", sls("left", 11.0, valgus=2), sls("right", 8.0), verdict="knee valgus without hip signs"),
    clip("2026-02-16", sls("left", 5.0), sls("right", 6.0)),
]


# --------------------------------------------------------------------------------------------
# store and trend
# --------------------------------------------------------------------------------------------


def test_three_sessions_trend_and_change_beyond_the_sdd(tmp_path) -> None:
    db_path = tmp_path / "h.sqlite"
    with HistoryStore(db_path) as db:
        for c in reversed(THREE_SESSIONS):  # stored out of order: read back by date
            db.add(c)
        got = db.clips("anna")
    assert [c.date for c in got] == ["2026-01-05", "2026-01-26", "2026-02-16"]
    assert got[0].legs == THREE_SESSIONS[0].legs  # values round-trip
    tr = {t.leg: t for t in trends(got, sdd=8.0)}
    assert [p.value for p in tr["left"].points] == [15.0, 11.0, 5.0]
    assert [p.valgus_reps for p in tr["left"].points] == [3, 2, 0]
    assert tr["left"].change == pytest.approx(-10.0) and tr["left"].beyond_sdd is True
    assert tr["right"].change == pytest.approx(-3.0) and tr["right"].beyond_sdd is False
    assert tr["left"].basis == "FPPA"
    # exactly at the SDD counts as beyond; a wider SDD makes the same change noise
    assert trends(got, sdd=10.0)[0].beyond_sdd is True and trends(got, sdd=10.5)[0].beyond_sdd is False


def test_squats_are_judged_on_the_change_from_standing_and_a_session_pools_its_clips() -> None:
    clips = [
        clip("2026-03-01", squat("left", 14.0, n=3), key="a"),
        clip("2026-03-01", squat("left", 6.0, n=1), key="b"),  # same day: rep-weighted (14*3 + 6*1) / 4 = 12
        clip("2026-03-22", squat("left", NAN, n=2), key="c"),  # not measurable: no value for that session
        clip("2026-04-12", squat("left", 3.0, n=3), key="d"),
    ]
    (t,) = trends(clips, sdd=8.0)
    assert t.basis == "FPPA change from standing"
    assert t.points[0].value == pytest.approx(12.0) and t.points[0].n_reps == 4
    assert math.isnan(t.points[1].value)
    assert t.change == pytest.approx(-9.0) and t.beyond_sdd  # first and last measurable sessions


def test_one_session_has_no_change_to_judge() -> None:
    (t,) = trends([clip("2026-03-01", squat("left", 14.0))], sdd=8.0)
    assert math.isnan(t.change) and t.beyond_sdd is None


def test_the_same_clip_analysed_again_replaces_its_rows(tmp_path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as db:
        db.add(clip("2026-01-05", sls("left", 15.0), key="k"))
        db.add(clip("2026-01-05", sls("left", 12.0), key="k"))
        got = db.clips("anna")
        n_legs = db._db.execute("SELECT COUNT(*) FROM legs").fetchone()[0]
    assert len(got) == 1 and got[0].legs[0].fppa_deg == 12.0 and n_legs == 1  # old leg rows went with it


def test_nan_is_stored_as_null_and_read_back_as_nan(tmp_path) -> None:
    with HistoryStore(tmp_path / "h.sqlite") as db:
        db.add(clip("2026-01-05", LegRecord("squat", "left", 0, 0, NAN, NAN, NAN, NAN)))
        assert db._db.execute("SELECT fppa_deg FROM legs").fetchone()[0] is None
        assert math.isnan(db.clips("anna")[0].legs[0].fppa_deg)


@pytest.mark.parametrize("text", ["2026-1-5", "05/01/2026", "2026-02-30", "", "20260105"])
def test_bad_dates_are_refused(text) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(text)


def test_clip_date_prefers_the_override_then_the_file_date(tmp_path) -> None:
    import os

    f = tmp_path / "v.mp4"
    f.write_bytes(b"x")
    os.utime(f, (1767614400, 1767614400))  # 2026-01-05 12:00 UTC
    assert clip_date(f) in ("2026-01-05", "2026-01-06", "2026-01-04")  # local date of that instant
    assert clip_date(f, "2026-02-01") == "2026-02-01"


def test_default_path_follows_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("VALGUS_HISTORY", str(tmp_path / "x.sqlite"))
    assert default_history_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("VALGUS_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_history_path() == tmp_path / "data" / "valgus" / "history.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_history_path() == tmp_path / "home" / ".local" / "share" / "valgus" / "history.sqlite"


# --------------------------------------------------------------------------------------------
# damaged or unusable databases
# --------------------------------------------------------------------------------------------


@pytest.fixture
def analysis(synthetic_analysis):
    return synthetic_analysis


def test_damaged_database_warns_in_one_line_and_is_left_alone(analysis, tmp_path, caplog) -> None:
    bad = tmp_path / "history.sqlite"
    junk = b"this is not an SQLite database " * 100
    bad.write_bytes(junk)
    with caplog.at_level(logging.WARNING, logger="valgus"):
        assert record_clip(analysis, "anna", path=bad) is None
    msgs = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(msgs) == 1 and "\n" not in msgs[0]
    assert str(bad) in msgs[0] and "damaged" in msgs[0] and "--no-history" in msgs[0]
    assert bad.read_bytes() == junk  # never overwritten
    with pytest.raises(HistoryError, match="not a valgus history database, or damaged"):
        HistoryStore(bad)


def test_unwritable_location_warns_and_returns(analysis, tmp_path, caplog) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with caplog.at_level(logging.WARNING, logger="valgus"):
        assert record_clip(analysis, "anna", path=blocker / "h.sqlite") is None
    assert any("history not updated" in r.getMessage() for r in caplog.records)


def test_a_newer_schema_is_refused(tmp_path) -> None:
    p = tmp_path / "h.sqlite"
    con = sqlite3.connect(p)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(HistoryError, match="newer valgus"):
        HistoryStore(p)


def test_analyze_goes_on_with_a_damaged_database(analysis, tmp_path, monkeypatch, capsys) -> None:
    """``valgus analyze --subject`` with a damaged history: exit 0, every output written, one
    warning line. (The pose model is replaced by the synthetic clip's analysis.)"""
    from valgus.cli import main

    monkeypatch.setattr("valgus.cli.analyze.analyze_video", lambda *a, **k: analysis)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"\0garbage" * 512)
    code = main(["analyze", analysis.source, "-o", str(tmp_path / "out"), "--no-video", "--subject", "anna",
                 "--history", str(bad)])
    err = capsys.readouterr().err
    assert code == 0
    assert {"report.html", "summary.json", "reps.json", "frames.csv"} <= {p.name for p in (tmp_path / "out").iterdir()}
    lines = [ln for ln in err.splitlines() if "history" in ln]
    assert len(lines) == 1 and "damaged" in lines[0]


def test_analyze_stores_only_with_a_subject_and_not_with_no_history(analysis, tmp_path, monkeypatch, capsys) -> None:
    from valgus.cli import main

    monkeypatch.setattr("valgus.cli.analyze.analyze_video", lambda *a, **k: analysis)
    db = tmp_path / "h.sqlite"
    base = ["analyze", analysis.source, "--no-video", "-q", "--history", str(db), "--force"]
    assert main(base + ["-o", str(tmp_path / "o1")]) == 0
    assert not db.exists()  # no subject: nothing stored
    assert main(base + ["-o", str(tmp_path / "o2"), "--subject", "anna", "--no-history"]) == 0
    assert not db.exists()
    assert main(base + ["-o", str(tmp_path / "o3"), "--subject", "anna", "--date", "2026-01-05"]) == 0
    with HistoryStore(db) as h:
        (c,) = h.clips("anna")
    assert c.date == "2026-01-05" and c.verdict == analysis.result.verdict
    assert {x.leg for x in c.legs} == {"left", "right"}
    assert main(base + ["-o", str(tmp_path / "o4"), "--subject", "anna", "--date", "5.1.2026"]) == 2  # usage error


# --------------------------------------------------------------------------------------------
# two writers at once
# --------------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    from valgus.io.history import ClipRecord, HistoryStore, LegRecord
    path, who, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
    while time.time() < start_at:  # both processes start writing at the same moment
        time.sleep(0.001)
    for i in range(50):
        legs = tuple(LegRecord("squat", s, 3, 1, 5.0, float(i), 1.0, 0.02) for s in ("left", "right"))
        rec = ClipRecord("anna", "2026-01-05", f"{who}-{i}.mp4", f"{who}-{i}", "squat", "no valgus", legs)
        with HistoryStore(path, timeout_s=60) as db:  # a fresh connection per clip, as batch workers do
            db.add(rec)
""")


def test_opening_while_another_connection_holds_the_write_lock_waits(tmp_path) -> None:
    """Switching a new database to WAL fails at once while another connection holds RESERVED (SQLite
    does not call its busy handler there); CI caught two batch workers racing on exactly this."""
    import threading
    import time

    path = tmp_path / "h.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE unrelated (x)")  # a database still in rollback-journal mode
    other.execute("BEGIN IMMEDIATE")             # the other process is mid-write
    released = threading.Event()

    def release() -> None:
        time.sleep(0.4)
        other.execute("COMMIT")
        released.set()

    t = threading.Thread(target=release)
    t.start()
    started = time.monotonic()
    with HistoryStore(path, timeout_s=10) as db:
        assert released.is_set()  # it waited for the lock instead of failing
        assert time.monotonic() - started >= 0.35
        assert db.clips("anna") == []
    t.join()
    other.close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_a_lock_held_past_the_timeout_is_a_one_line_error(tmp_path) -> None:
    path = tmp_path / "h.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE unrelated (x)")
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(HistoryError, match="database is locked"):
        HistoryStore(path, timeout_s=0.2)
    other.execute("ROLLBACK")
    other.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path) -> None:
    import os
    import time

    db = tmp_path / "h.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    start_at = str(time.time() + 1.5)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), who, start_at], env=env,
                              stderr=subprocess.PIPE, text=True) for who in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM clips").fetchone()[0] == 100
    assert con.execute("SELECT COUNT(*) FROM legs").fetchone()[0] == 200
    keys = {r[0] for r in con.execute("SELECT clip_key FROM clips")}
    assert keys == {f"{w}-{i}" for w in "ab" for i in range(50)}
    con.close()


# --------------------------------------------------------------------------------------------
# valgus history ID
# --------------------------------------------------------------------------------------------


def test_history_command_prints_the_trend_and_writes_the_page(tmp_path, capsys) -> None:
    from valgus.cli import main

    db = tmp_path / "h.sqlite"
    with HistoryStore(db) as h:
        for c in THREE_SESSIONS:
            h.add(c)
    assert main(["history", "anna", "--history", str(db), "-o", str(tmp_path / "pages")]) == 0
    out = capsys.readouterr().out
    assert "2026-02-16" in out and "single_leg_squat" in out
    assert "left leg: FPPA +15.0 on 2026-01-05 -> +5.0 on 2026-02-16 (-10.0 deg, less valgus): beyond" in out
    assert "right leg: FPPA +9.0 on 2026-01-05 -> +6.0 on 2026-02-16 (-3.0 deg, less valgus): within" in out
    page = (tmp_path / "pages" / "history_anna.html").read_text()
    assert page.count('class="plot trend"') == 2  # left and right
    assert page.count('class="band sdd"') == 2  # the SDD band around each leg's first session
    assert 'class="beyond"' in page and 'class="within"' in page


@pytest.mark.parametrize(
    "setup, words",
    [
        ("missing", "no history database here"),
        ("damaged", "not a valgus history database, or damaged"),
        ("other_subject", "no clips stored for subject 'anna'; subjects stored: bob"),
    ],
)
def test_history_command_errors_are_one_line_exit_1(tmp_path, capsys, setup, words) -> None:
    from valgus.cli import main

    db = tmp_path / "h.sqlite"
    if setup == "damaged":
        db.write_bytes(b"junk" * 1000)
    elif setup == "other_subject":
        with HistoryStore(db) as h:
            h.add(ClipRecord("bob", "2026-01-05", "x.mp4", "x", "squat", "no valgus", ()))
    assert main(["history", "anna", "--history", str(db)]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and words in err[0]
    assert not db.exists() if setup == "missing" else True
