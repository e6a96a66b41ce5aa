"""Alternating rounds, per-round ratios and their median and range."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from benchmarks.rounds import Spread, alternating, ratios, rounds_argument


def test_contenders_alternate_in_reverse_order_every_other_round() -> None:
    calls: list[str] = []

    def contender(name: str, figures: list[float]) -> Callable[[], float]:
        def run() -> float:
            calls.append(name)
            return figures.pop(0)

        return run

    figures = alternating(3, [contender("a", [1.0, 2.0, 3.0]), contender("b", [4.0, 5.0, 6.0])])
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert figures == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_ratios_are_taken_round_by_round_and_summed_up_by_median_and_range() -> None:
    per_round = ratios([8.0, 9.0, 3.0, 8.0], [10.0, 10.0, 10.0, 4.0])
    assert per_round == [0.8, 0.9, 0.3, 2.0]
    spread = Spread.of(per_round)
    assert spread.median == pytest.approx(0.85)
    assert (spread.low, spread.high) == (0.3, 2.0)
    assert spread.text() == "0.85 (0.30-2.00)"
    assert Spread.of([1234.4, 999.6, 1500.0]).text(0) == "1,234 (1,000-1,500)"


def test_mismatched_or_empty_figures_are_refused() -> None:
    with pytest.raises(ValueError, match="3 figures against 2"):
        ratios([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="no values"):
        Spread.of([])
    with pytest.raises(ValueError, match="at least 1"):
        alternating(0, [lambda: 1.0])


def test_the_rounds_flag_has_a_default_and_refuses_zero(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    rounds_argument(parser, default=5)
    assert parser.parse_args([]).rounds == 5
    assert parser.parse_args(["--rounds", "9"]).rounds == 9
    with pytest.raises(SystemExit):
        parser.parse_args(["--rounds", "0"])
    assert "must be at least 1" in capsys.readouterr().err
