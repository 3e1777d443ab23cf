"""The benchmark's per-thread CPU sampler (``scripts/benchmark_speed.py --cpu-by-thread``) on a
child whose threads' work is known."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")

CHILD = textwrap.dedent("""
    import threading, time
    def spin(s):
        end = time.thread_time() + s
        while time.thread_time() < end:
            pass
    t = threading.Thread(target=spin, args=(0.6,))
    t.start()
    time.sleep(0.3)  # the main thread idles while the other spins
    t.join()
    spin(0.3)
""")


def test_each_threads_cpu_is_seen_and_named() -> None:
    from valgus_tools.bench.speed import cpu_by_thread, cpu_by_thread_table

    r = cpu_by_thread([sys.executable, "-c", CHILD], period_s=0.02)
    assert r["rc"] == 0
    cpus = [t["cpu_s"] for t in r["threads"]]
    # the spinning thread: 0.6 s of CPU, seen up to its last sample (20 ms before it ended)
    assert any(0.5 <= c <= 0.75 for c in cpus), cpus
    # the main thread: 0.3 s of spinning and the interpreter's start-up, in a thread of its own
    assert len(cpus) >= 2 and sorted(cpus)[-2] >= 0.25, cpus
    assert r["sampled_cpu_s"] >= 0.85
    assert r["wall_s"] >= 0.9  # 0.3 s of waiting, then 0.3 s more of the main thread's spinning
    assert all("/" not in name for name in r["by_name"])
    text = cpu_by_thread_table({"runs": {"child": r}})
    assert text.startswith("child: ") and "s of CPU sampled" in text
