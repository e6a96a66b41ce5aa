"""Disk space printed in a unit that shows it."""

from __future__ import annotations

import pytest

from daemon.byte_sizes import readable_size


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (512, "512 bytes"),
        (14_700_000, "14.7 MB"),
        (147_000_000, "147 MB"),
        (1_470_000_000, "1.47 GB"),
        (5_000_000_000, "5.00 GB"),
        (2_500_000_000_000, "2.50 TB"),
        (4_096, "4.10 kB"),
    ],
)
def test_sizes_are_printed_in_the_unit_that_shows_them(count: int, text: str) -> None:
    assert readable_size(count) == text
