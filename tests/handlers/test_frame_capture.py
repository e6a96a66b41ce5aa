"""Catching candidate frames during the decode pass, in bounded memory."""

from __future__ import annotations

import pytest

from handlers.frame_capture import (
    BUCKETS,
    CandidateRole,
    Held,
    IntervalReservoir,
    ShotReservoir,
    timestamp_name,
)


def held(seconds: float, sharpness: float) -> Held:
    return Held(seconds, sharpness, frame=f"frame@{seconds}")


def test_timestamp_names_sort_and_read_as_times() -> None:
    assert timestamp_name(0) == "00-00-00.000"
    assert timestamp_name(3723.4567) == "01-02-03.457"
    names = [timestamp_name(s) for s in (9.5, 59.999, 61.0, 3600.0)]
    assert names == sorted(names)


def test_a_long_shot_never_holds_more_than_the_bucket_count() -> None:
    reservoir = ShotReservoir(start=0.0)
    for i in range(24 * 60 * 10):  # ten minutes at 24 fps
        reservoir.offer(held(i / 24, float(i % 97)))
        assert len(reservoir.buckets) <= BUCKETS


def test_picks_are_the_sharpest_near_start_middle_and_end() -> None:
    reservoir = ShotReservoir(start=10.0)
    sharpest = {1.0: 10.5, 5.0: 15.0, 9.0: 19.625}  # window centre -> the sharp frame's time
    for i in range(241):
        seconds = 10.0 + i / 24
        sharp = any(abs(seconds - t) < 1e-6 for t in sharpest.values())
        reservoir.offer(held(seconds, 100.0 if sharp else 1.0))
    picks = {role: h.seconds for role, h in reservoir.picks(end=20.0)}
    assert picks[CandidateRole.START] == pytest.approx(10.5)
    assert picks[CandidateRole.MIDDLE] == pytest.approx(15.0)
    assert picks[CandidateRole.END] == pytest.approx(19.625)


def test_picks_are_distinct_frames_even_in_a_very_short_shot() -> None:
    reservoir = ShotReservoir(start=0.0)
    for i in range(8):  # a third of a second: three buckets' worth
        reservoir.offer(held(i / 24, 9.0))
    picks = reservoir.picks(end=8 / 24)
    assert [role for role, _ in picks] == [
        CandidateRole.MIDDLE,
        CandidateRole.START,
        CandidateRole.END,
    ]
    assert len({id(h) for _, h in picks}) == 3


def test_a_single_frame_shot_gives_one_pick() -> None:
    reservoir = ShotReservoir(start=2.0)
    reservoir.offer(held(2.0, 1.0))
    assert [role for role, _ in reservoir.picks(end=2.04)] == [CandidateRole.MIDDLE]


def test_split_hands_later_frames_to_the_next_shot() -> None:
    reservoir = ShotReservoir(start=0.0)
    for i in range(48):
        reservoir.offer(held(i / 24, 1.0))
    later = reservoir.split(1.5)
    assert all(h.seconds < 1.5 for h in reservoir.buckets.values())
    assert later.buckets and all(h.seconds >= 1.5 for h in later.buckets.values())
    assert later.start == 1.5


def test_interval_reservoir_hands_over_the_sharpest_of_each_interval() -> None:
    reservoir = IntervalReservoir(seconds=1.0)
    finished = []
    for i in range(30):
        done = reservoir.offer(held(i / 10, float((i * 7) % 10)))
        if done is not None:
            finished.append(done)
    last = reservoir.flush()
    assert last is not None
    finished.append(last)
    assert [round(h.seconds, 1) for h in finished] == [0.7, 1.7, 2.7]
    assert reservoir.flush() is None
