"""History of a subject's clips in SQLite (standard library only), and their trend over sessions.

Where: ``--history PATH``, else ``$VALGUS_HISTORY``, else ``$XDG_DATA_HOME/valgus/history.sqlite``
(``~/.local/share/valgus/history.sqlite`` when ``XDG_DATA_HOME`` is unset).

What: one row per analysed clip of a named subject (``clips``: date, exercise, verdict, source)
and one row per exercise and leg of that clip (``legs``: complete reps, reps with a valgus flag,
mean FPPA, its change from standing, hip adduction change, knee over foot). A clip analysed again
(same file name, size and modification time, same subject) replaces its earlier rows.

Concurrency: batch workers may write at once. The database runs in WAL mode with a busy timeout,
and every write is one ``BEGIN IMMEDIATE`` transaction (a deferred transaction that later needs
to write can fail at once with "database is locked" instead of waiting).

Failure: :func:`record_clip` never raises; a missing directory is created, and an unwritable or
damaged database logs one warning line and the analysis goes on. Reading (``valgus history``)
raises :class:`HistoryError` with the path and what to do.

A session is a date. The trend (:func:`trends`) compares, per exercise and leg, the first and the
last session's mean FPPA (for double-leg squats its change from standing, the value the verdict
uses) with the smallest detectable difference of 2D FPPA (``thresholds.asymmetry_deg``, 8 deg;
Munro, Herrington & Carolan 2012: 7.5-8.9 deg between days).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valgus.errors import ValgusError

log = logging.getLogger(__name__)

ENV_VAR = "VALGUS_HISTORY"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    date TEXT NOT NULL,                 -- the session, YYYY-MM-DD
    clip_key TEXT NOT NULL,             -- file name, size and mtime: re-analysis replaces the row
    source TEXT NOT NULL,               -- file name only (no folders of the user's machine)
    exercise TEXT NOT NULL,
    verdict TEXT NOT NULL,
    recorded_at TEXT NOT NULL,          -- when it was stored, ISO 8601 UTC
    valgus_version TEXT NOT NULL,
    UNIQUE (subject, clip_key)
);
CREATE INDEX IF NOT EXISTS clips_by_subject ON clips (subject, date);
CREATE TABLE IF NOT EXISTS legs (
    clip_id INTEGER NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    exercise TEXT NOT NULL,
    leg TEXT NOT NULL CHECK (leg IN ('left', 'right')),
    n_reps INTEGER NOT NULL,            -- complete reps
    valgus_reps INTEGER NOT NULL,       -- of those, reps with an assessed mild-or-worse valgus flag
    fppa_deg REAL,                      -- mean FPPA at the deepest frames (NULL: not measurable)
    fppa_deg_change REAL,               -- mean change from standing
    hip_adduction_deg_change REAL,
    knee_medial_offset REAL,            -- leg lengths, + = knee inside the foot
    PRIMARY KEY (clip_id, exercise, leg)
);
"""


class HistoryError(ValgusError):
    """The history database cannot be opened, read or written."""


def default_history_path() -> Path:
    """``$VALGUS_HISTORY``, else ``$XDG_DATA_HOME/valgus/history.sqlite``, else
    ``~/.local/share/valgus/history.sqlite``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "valgus" / "history.sqlite"


@dataclass(frozen=True)
class LegRecord:
    """One exercise and leg of a stored clip."""

    exercise: str
    leg: str
    n_reps: int
    valgus_reps: int
    fppa_deg: float
    fppa_deg_change: float
    hip_adduction_deg_change: float
    knee_medial_offset: float

    def __post_init__(self) -> None:
        if self.leg not in ("left", "right"):
            raise ValueError(f"leg must be left or right, got {self.leg!r}")
        if self.n_reps < 0 or not 0 <= self.valgus_reps <= max(self.n_reps, 0):
            raise ValueError(f"bad rep counts: {self.n_reps} reps, {self.valgus_reps} with valgus")


@dataclass(frozen=True)
class ClipRecord:
    """One stored clip."""

    subject: str
    date: str  # YYYY-MM-DD
    source: str
    clip_key: str
    exercise: str
    verdict: str
    legs: tuple[LegRecord, ...] = ()
    recorded_at: str = ""
    valgus_version: str = ""

    def __post_init__(self) -> None:
        if not self.subject.strip():
            raise ValueError("subject must not be empty")
        parse_date(self.date)


def parse_date(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` date; ``ValueError`` naming the expected form otherwise."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}") from None


def clip_key(path: str | Path) -> str:
    """File name, size and modification time: the same recording analysed again has the same key."""
    p = Path(path)
    try:
        st = p.stat()
        return f"{p.name}|{st.st_size}|{int(st.st_mtime)}"
    except OSError:
        return p.name


def clip_date(path: str | Path, override: str | None = None) -> str:
    """The session date of a clip: ``override`` (YYYY-MM-DD) if given, else the file's local
    modification date (when a phone wrote it), else today."""
    if override:
        return parse_date(override).isoformat()
    try:
        return dt.date.fromtimestamp(Path(path).stat().st_mtime).isoformat()
    except OSError:
        return dt.date.today().isoformat()


def _finite(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


def _mean(values: Iterable[float]) -> float:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return sum(v) / len(v) if v else float("nan")


def clip_record(analysis: Any, subject: str, date: str) -> ClipRecord:
    """What is stored of ``analysis``: the verdict and, unless it cannot be assessed, per
    exercise and leg the means over the complete reps (:class:`valgus.scoring.results.LegSummary`)."""
    from valgus import __version__

    res = analysis.result
    legs: list[LegRecord] = []
    if res.verdict != "cannot assess":
        for x in res.legs:
            reps = [r for r in res.reps if not r.partial and r.exercise == x.exercise
                    and r.working_leg in (x.leg, "both")]
            hip = _mean(r.values[x.leg].get("hip_adduction_deg_change", float("nan")) for r in reps)
            legs.append(LegRecord(x.exercise, x.leg, x.n_reps, x.valgus_reps, x.fppa_deg, x.fppa_deg_change,
                                  hip, x.knee_medial_offset))
    src = Path(analysis.source)
    return ClipRecord(subject=subject, date=date, source=src.name, clip_key=clip_key(src), exercise=res.exercise,
                      verdict=res.verdict, legs=tuple(legs), valgus_version=__version__)


_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _retry_busy(fn: Callable[[], None], timeout_s: float) -> None:
    """``fn()``, tried again while SQLite says the database is busy, for up to ``timeout_s``.

    SQLite's busy timeout does not cover every lock: switching a new database to WAL while another
    connection holds its RESERVED lock (the first process creating the schema) fails at once with
    "database is locked", busy handler or not. Two batch workers opening a new history file together
    hit exactly that, so set-up waits here with a short randomised back-off instead.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:  # extended codes carry the primary one in the low byte
            if (exc.sqlite_errorcode & 0xFF) not in _BUSY_CODES or time.monotonic() >= deadline:
                raise
        time.sleep(random.uniform(0.005, 0.05))


class HistoryStore:
    """The history database. Use as a context manager::

        with HistoryStore(path) as db:
            db.add(record)
            db.clips("anna")

    ``create=False`` refuses a missing file (for reading) instead of creating it.
    """

    def __init__(self, path: str | Path, *, create: bool = True, timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise HistoryError(f"{self.path}: no history database here (analyse a clip with --subject ID to start one, "
                               "or pass --history PATH)")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"{self.path}: cannot open the history database ({exc})") from exc
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            _retry_busy(self._set_up, timeout_s)
        except sqlite3.OperationalError as exc:  # locked past the timeout, read-only, disk full, ...
            self._db.close()
            raise HistoryError(f"{self.path}: cannot use the history database ({exc})") from exc
        except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
            self._db.close()
            raise HistoryError(f"{self.path}: not a valgus history database, or damaged ({exc}); move it aside "
                               "to start a new one, or pass --history PATH") from exc
        except HistoryError:
            self._db.close()
            raise

    def _set_up(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.debug("%s: journal mode %s (WAL not available here)", self.path, mode)
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path}: written by a newer valgus (schema {version}, this one reads "
                               f"{SCHEMA_VERSION}); upgrade valgus or pass --history PATH")
        if version < SCHEMA_VERSION:
            self._write(self._create)

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        for stmt in _SCHEMA.split(";\n"):
            if stmt.strip():
                db.execute(stmt)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def __enter__(self) -> "HistoryStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _write(self, fn: Any) -> Any:
        """Run ``fn(connection)`` in one immediate transaction (waits for other writers)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            out = fn(self._db)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return out

    def add(self, rec: ClipRecord) -> int:
        """Store ``rec`` (replacing the same subject's earlier record of the same clip); its id."""
        now = rec.recorded_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

        def write(db: sqlite3.Connection) -> int:
            db.execute("DELETE FROM clips WHERE subject = ? AND clip_key = ?", (rec.subject, rec.clip_key))
            cur = db.execute(
                "INSERT INTO clips (subject, date, clip_key, source, exercise, verdict, recorded_at, valgus_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.subject, rec.date, rec.clip_key, rec.source, rec.exercise, rec.verdict, now, rec.valgus_version))
            cid = int(cur.lastrowid)
            db.executemany(
                "INSERT INTO legs (clip_id, exercise, leg, n_reps, valgus_reps, fppa_deg, fppa_deg_change,"
                " hip_adduction_deg_change, knee_medial_offset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(cid, x.exercise, x.leg, x.n_reps, x.valgus_reps, _finite(x.fppa_deg), _finite(x.fppa_deg_change),
                  _finite(x.hip_adduction_deg_change), _finite(x.knee_medial_offset)) for x in rec.legs])
            return cid

        try:
            return self._write(write)
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot store the clip ({exc})") from exc

    def subjects(self) -> list[str]:
        try:
            return [r[0] for r in self._db.execute("SELECT DISTINCT subject FROM clips ORDER BY subject")]
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history ({exc})") from exc

    def clips(self, subject: str) -> list[ClipRecord]:
        """The subject's clips, oldest session first."""
        nan = float("nan")
        try:
            rows = self._db.execute(
                "SELECT id, subject, date, source, clip_key, exercise, verdict, recorded_at, valgus_version FROM clips"
                " WHERE subject = ? ORDER BY date, recorded_at, id", (subject,)).fetchall()
            out = []
            for cid, *fields_ in rows:
                legs = tuple(
                    LegRecord(ex, leg, n, v, *(nan if x is None else float(x) for x in vals))
                    for ex, leg, n, v, *vals in self._db.execute(
                        "SELECT exercise, leg, n_reps, valgus_reps, fppa_deg, fppa_deg_change,"
                        " hip_adduction_deg_change, knee_medial_offset FROM legs WHERE clip_id = ?"
                        " ORDER BY exercise, leg", (cid,)))
                s, d, src, key, ex, verdict, at, ver = fields_
                out.append(ClipRecord(s, d, src, key, ex, verdict, legs, at, ver))
            return out
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot read the history ({exc})") from exc


def record_clip(analysis: Any, subject: str, *, path: str | Path | None = None, date: str | None = None) -> int | None:
    """Store ``analysis`` for ``subject``; the clip's id, or ``None`` after logging one warning
    line when the database cannot be written (the analysis itself is never stopped by it)."""
    db_path = Path(path) if path else default_history_path()
    try:
        rec = clip_record(analysis, subject, clip_date(analysis.source, date))
        with HistoryStore(db_path) as db:
            cid = db.add(rec)
        log.info("history: stored as session %s of %r in %s", rec.date, subject, db_path)
        return cid
    except HistoryError as exc:
        log.warning("history not updated: %s (the analysis outputs are complete; --no-history skips this)", exc)
    except (OSError, sqlite3.Error, ValueError) as exc:
        log.warning("history not updated: %s: %s (the analysis outputs are complete; --no-history skips this)",
                    db_path, exc)
    return None


# ----------------------------------------------------------------------------------------------
# trend


@dataclass(frozen=True)
class SessionPoint:
    """One session (date) of one exercise and leg: clips of that date pooled, rep-weighted."""

    date: str
    n_reps: int
    valgus_reps: int
    value: float  # mean FPPA (or its change from standing), deg; NaN if not measurable


@dataclass(frozen=True)
class Trend:
    """One exercise and leg over the sessions."""

    exercise: str
    leg: str
    basis: str  # what ``value`` is: "FPPA" or "FPPA change from standing"
    points: list[SessionPoint] = field(default_factory=list)
    sdd: float = 8.0

    @property
    def change(self) -> float:
        """Last minus first session value with a measurable value (deg; + = more valgus); NaN
        with fewer than two such sessions."""
        v = [p.value for p in self.points if math.isfinite(p.value)]
        return v[-1] - v[0] if len(v) >= 2 else float("nan")

    @property
    def beyond_sdd(self) -> bool | None:
        """Whether the change is at least the smallest detectable difference (``None``: no change
        to judge)."""
        c = self.change
        return None if not math.isfinite(c) else abs(c) >= self.sdd


def basis_of(exercise: str) -> tuple[str, str]:
    """``(LegRecord field, words)`` of the value the verdict judges for ``exercise``: double-leg
    squats by FPPA change from standing (raw FPPA from the model's hip landmark is off at depth,
    RESEARCH.md), single-leg tasks by FPPA."""
    return ("fppa_deg_change", "FPPA change from standing") if exercise == "squat" else ("fppa_deg", "FPPA")


def trends(clips: list[ClipRecord], sdd: float) -> list[Trend]:
    """Per exercise and leg, the sessions in date order (see :class:`Trend`)."""
    groups: dict[tuple[str, str], dict[str, list[LegRecord]]] = {}
    for c in clips:
        for x in c.legs:
            groups.setdefault((x.exercise, x.leg), {}).setdefault(c.date, []).append(x)
    out = []
    for (ex, leg), by_date in sorted(groups.items()):
        key, words = basis_of(ex)
        pts = []
        for d in sorted(by_date):
            xs = by_date[d]
            num = sum(getattr(x, key) * x.n_reps for x in xs if math.isfinite(getattr(x, key)) and x.n_reps)
            den = sum(x.n_reps for x in xs if math.isfinite(getattr(x, key)) and x.n_reps)
            pts.append(SessionPoint(d, sum(x.n_reps for x in xs), sum(x.valgus_reps for x in xs),
                                    num / den if den else float("nan")))
        out.append(Trend(ex, leg, words, pts, sdd))
    return out


__all__ = [
    "ClipRecord", "ENV_VAR", "HistoryError", "HistoryStore", "LegRecord", "SessionPoint", "Trend", "basis_of",
    "clip_date", "clip_key", "clip_record", "default_history_path", "parse_date", "record_clip", "trends",
]
