"""``valgus history ID`` and the history flags of ``analyze`` and ``batch`` (``--subject``,
``--date``, ``--history``, ``--no-history``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from valgus.config import Config
from valgus.engine import Analysis
from valgus.errors import UsageError, ValgusError
from valgus.io.history import HistoryStore, default_history_path, parse_date, record_clip, trends
from valgus.present.history_html import history_text, write_history_page


def check_date(args: argparse.Namespace) -> None:
    """``--date`` must be YYYY-MM-DD (checked before any analysis runs)."""
    if getattr(args, "date", None):
        try:
            parse_date(args.date)
        except ValueError as exc:
            raise UsageError(f"--date: {exc}") from None


def record_history(a: Analysis, args: argparse.Namespace) -> None:
    """Store the clip in the subject's history when ``--subject`` is given (and not
    ``--no-history``). Never raises: a database problem is one warning line."""
    if getattr(args, "subject", None) and not getattr(args, "no_history", False):
        record_clip(a, args.subject, path=args.history, date=args.date)


def run_history(args: argparse.Namespace, cfg: Config) -> int:
    """Print the subject's trend and write history_<ID>.html."""
    path = Path(args.history) if args.history else default_history_path()
    with HistoryStore(path, create=False) as db:
        clips = db.clips(args.subject)
        known = db.subjects() if not clips else []
    if not clips:
        hint = f"; subjects stored: {', '.join(known)}" if known else ""
        raise ValgusError(f"{path}: no clips stored for subject {args.subject!r}{hint}")
    trend = trends(clips, cfg.thresholds.asymmetry_deg)
    print(history_text(args.subject, clips, trend))
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"trend page: {write_history_page(args.subject, clips, trend, out)}")
    return 0
