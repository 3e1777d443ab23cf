"""The batch's output folder: ``summary.jsonl`` (the journal), ``summary.csv`` (the same table),
the clip folders (renamed into place when complete) and a lock."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import uuid
from dataclasses import replace
from pathlib import Path

from valgus.batch.jobs import CSV_COLUMNS, ClipOutcome
from valgus.errors import OutputExistsError, ValgusError

log = logging.getLogger(__name__)

PARTIAL = ".partial"  # unfinished clip folders, under the output folder


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class SummaryStore:
    """The batch's output folder. ``summary.jsonl`` is the journal: one line per finished clip,
    appended with a single write and fsync; a later line for the same clip replaces an earlier
    one. ``summary.csv`` is the same table sorted by path, rewritten atomically after every clip. A lock file
    keeps two batches from writing into one folder at once."""

    def __init__(self, root: str | Path, *, force: bool = False) -> None:
        self.root = Path(root)
        self.jsonl = self.root / "summary.jsonl"
        self.csv = self.root / "summary.csv"
        self.force = force
        self.rows: dict[str, ClipOutcome] = {}
        self._lock_fd: int | None = None

    def open(self) -> "SummaryStore":
        if self.root.exists() and not self.root.is_dir():
            raise OutputExistsError(f"{self.root}: exists and is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValgusError(f"{self.root}: cannot create output folder ({exc.strerror})") from exc
        self._lock()
        if self.csv.exists() and not self.jsonl.exists() and not self.force:
            self.close()
            raise OutputExistsError(f"{self.csv}: batch results exist that cannot be resumed "
                                    "(pass --force to overwrite, or choose -o)")
        self._load()
        shutil.rmtree(self.root / PARTIAL, ignore_errors=True)  # a killed run's unfinished folders
        return self

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise ValgusError(f"{self.root}: another valgus batch is writing to this folder") from exc
        self._lock_fd = fd

    def close(self) -> None:
        try:
            (self.root / PARTIAL).rmdir()  # only when empty (another process may still be writing)
        except OSError:
            pass
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None

    def _load(self) -> None:
        if not self.jsonl.exists():
            return
        data = self.jsonl.read_bytes()
        lines = data.split(b"\n")
        dirty = not data.endswith(b"\n") and data != b""
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                row = ClipOutcome.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError):
                if i >= len(lines) - 2:  # a row being written when the run was killed
                    log.info("%s: dropped an unfinished last line", self.jsonl)
                    dirty = True
                    continue
                raise ValgusError(f"{self.jsonl}:{i + 1}: not a valgus batch row (pass --force, or choose -o)")
            dirty |= row.path in self.rows
            self.rows[row.path] = row  # a later row for a clip supersedes the earlier one, in its place
        if dirty:
            self._rewrite()

    def _rewrite(self) -> None:
        _write_atomic(self.jsonl, "".join(json.dumps(r.to_json(), allow_nan=False) + "\n" for r in self.rows.values()))
        self._write_csv()

    def _write_csv(self) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(r.to_row() for r in sorted(self.rows.values(), key=lambda r: r.path))
        _write_atomic(self.csv, buf.getvalue())

    def add(self, outcome: ClipOutcome) -> ClipOutcome:
        """Put a finished clip's folder in place, then its row (journal first, then the CSV)."""
        outcome = self._commit(outcome)
        line = (json.dumps(outcome.to_json(), allow_nan=False) + "\n").encode()
        fd = os.open(self.jsonl, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.rows[outcome.path] = outcome  # a clip done again keeps its place in the table
        try:
            self._write_csv()
        except OSError as exc:  # e.g. the table is open in a program that locks it: the journal has the row
            log.warning("%s: not updated (%s); summary.jsonl has every row", self.csv, exc.strerror or exc)
        return outcome

    def _commit(self, o: ClipOutcome) -> ClipOutcome:
        """Rename the clip's finished folder from ``.partial`` into place (replacing an older one)."""
        tmp = Path(o.outdir) if o.outdir else None
        final = self.root / o.name
        if tmp is None or not tmp.is_dir():
            return replace(o, outdir="")
        if not o.scored:
            shutil.rmtree(tmp, ignore_errors=True)
            return replace(o, outdir="")
        old = None
        if final.exists():
            old = self.root / PARTIAL / f"{o.name}.old.{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
        os.rename(tmp, final)
        _fsync_dir(self.root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return replace(o, outdir=str(final))


def read_rows(root: str | Path) -> list[ClipOutcome]:
    """The rows of a batch folder's ``summary.jsonl`` (the latest per clip, sorted by path); a torn
    or foreign line is skipped. Reading only: no lock, nothing repaired."""
    path = Path(root) / "summary.jsonl"
    rows: dict[str, ClipOutcome] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            o = ClipOutcome.from_json(json.loads(line))
        except (ValueError, TypeError, KeyError):
            continue
        rows[o.path] = o
    return sorted(rows.values(), key=lambda r: r.path)
