"""Sizes of disk space as a person reads them: in the unit that shows them (14.7 MB, not 0 GB).

Decimal units, as disks and `df -H` count them; `disk.min_free_gb` is in the same GB.
"""

from __future__ import annotations

BYTES_PER_GB = 1_000_000_000
_UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3))


def readable_size(count: int) -> str:
    """`count` bytes in the largest unit that keeps a number of at least 1: 3 significant
    figures, so 14.7 MB, 147 MB, 1.47 GB, and 512 bytes."""
    for unit, size in _UNITS:
        if count >= size:
            value = count / size
            digits = 2 if value < 10 else 1 if value < 100 else 0
            return f"{value:.{digits}f} {unit}"
    return f"{count} bytes"
