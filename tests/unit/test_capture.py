"""The capture thread: newest frame wins, dropped frames counted, pacing on media time, errors
handed over, lossless replay. Fake frames and (where timing matters) a fake clock."""

from __future__ import annotations


import numpy as np
import pytest

from valgus.errors import CameraError
from valgus.io.capture import Capture, Captured, FrameMeter, LatestSlot
from valgus.io.video import Frame

IMG = np.zeros((2, 2, 3), np.uint8)


def frames(n: int, fps: float = 30.0):
    return [Frame(i, i / fps, IMG) for i in range(n)]


def item(i: int) -> Captured:
    return Captured(Frame(i, i / 30, IMG), i, float(i))


class FakeClock:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, dt: float) -> None:
        self.sleeps.append(dt)
        self.now += dt


def test_slot_newest_wins_and_counts_the_dropped():
    slot = LatestSlot()
    for i in range(5):  # nobody takes: 4 replaced
        slot.put(item(i))
    got = slot.take(timeout=0)
    assert got.seq == 4
    slot.put(item(5))
    assert slot.take(timeout=0).seq == 5
    assert (slot.stats.read, slot.stats.taken, slot.stats.dropped) == (6, 2, 4)
    assert slot.take(timeout=0) is None  # empty, not closed: times out


def test_slot_hands_over_the_error_after_the_last_frame():
    slot = LatestSlot()
    slot.put(item(0))
    slot.close(CameraError("camera '0' stopped delivering frames (unplugged?)"))
    assert slot.take().seq == 0
    with pytest.raises(CameraError, match="unplugged"):
        slot.take()
    assert slot.take() is None


def test_paced_replay_releases_each_frame_at_its_media_time_and_drops_what_is_not_taken():
    clock = FakeClock()
    cap = Capture(frames(10), paced=True, clock=clock, sleep=clock.sleep)
    cap.run()  # in this thread: nobody takes while it runs, so all but the last are dropped
    assert (cap.stats.read, cap.stats.dropped) == (10, 9)
    assert sum(clock.sleeps) == pytest.approx(9 / 30)  # frame i due at i/30 s after the first
    last = cap.slot.take()
    assert last.seq == 9 and last.t_capture == pytest.approx(100.0 + 9 / 30)
    assert cap.slot.take() is None


def test_a_slow_consumer_gets_the_newest_frame_and_the_rest_are_counted():
    # a consumer that takes every third frame: with a fake clock, the producer waits for it
    clock = FakeClock()
    taken = []

    class Stepper:
        def __init__(self) -> None:
            self.k = 0

        def sleep(self, dt: float) -> None:
            clock.sleep(dt)
            self.k += 1
            if self.k % 3 == 0:  # every third frame the consumer gets a turn
                got = cap.slot.take(timeout=0)
                if got is not None:
                    taken.append(got.seq)

    st = Stepper()
    cap = Capture(frames(12), paced=True, clock=clock, sleep=st.sleep)
    cap.run()
    last = cap.slot.take()
    if last is not None:
        taken.append(last.seq)
    assert taken == sorted(taken) and taken[-1] == 11
    assert cap.stats.read == 12
    assert cap.stats.dropped == 12 - len(taken)
    assert cap.stats.taken == len(taken)


def test_lossless_replay_drops_nothing():
    with Capture(frames(50), lossless=True) as cap:
        seqs = [c.seq for c in cap]
    assert seqs == list(range(50)) and cap.stats.dropped == 0


def test_camera_error_reaches_the_consumer():
    def broken():
        yield from frames(3)
        raise CameraError("camera '0' stopped delivering frames (unplugged?)")

    cap = Capture(broken(), lossless=True)
    seen = []
    with pytest.raises(CameraError):
        for c in cap:
            seen.append(c.seq)
    cap.close()
    assert seen == [0, 1, 2]


def test_close_stops_a_producer_waiting_on_a_lossless_slot():
    cap = Capture(frames(1000), lossless=True).start()
    assert cap.slot.take(timeout=2).seq == 0
    cap.close()  # must not hang
    assert cap._thread is None


def test_paced_and_lossless_together_is_an_error():
    with pytest.raises(ValueError):
        Capture(frames(1), paced=True, lossless=True)


def test_frame_meter_rates_and_summary():
    m = FrameMeter(window_s=1.0)
    for i in range(120):  # 30 fps for 4 s, 50 ms latency, 20 ms cost
        m.add(i / 30, 0.05, 0.02)
    fps, lat = m.rates()
    assert fps == pytest.approx(30.0) and lat == pytest.approx(50.0)
    s = m.summary()
    assert s["frames_shown"] == 120 and s["fps_shown"] == pytest.approx(30.0)
    assert s["latency_ms"]["median"] == pytest.approx(50.0) and s["cost_ms_per_minute"] == [pytest.approx(20.0)]
