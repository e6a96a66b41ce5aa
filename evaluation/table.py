"""What every evaluation shares: the media folder argument and the plain-text table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MEDIA = Path(__file__).resolve().parent.parent.parent / "shared" / "media"


def media_folder(argv: list[str] | None, doc: str | None, *needed: str) -> Path | None:
    """The --media folder, or None (after saying so) when it lacks a needed subfolder."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    media: Path = parser.parse_args(argv).media
    if not all((media / sub).is_dir() for sub in needed):
        print(f"media folder not found: {media}", file=sys.stderr)
        return None
    return media


def print_table(header: Sequence[str], cells: Sequence[Sequence[str]]) -> None:
    lines = [tuple(header), tuple("-" * len(h) for h in header), *map(tuple, cells)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    lines[1] = tuple("-" * w for w in widths)
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


@dataclass(frozen=True)
class Row:
    """One judged check: what was expected, what was found, and whether that passes."""

    check: str
    expected: str
    found: str
    passed: bool | None  # None: shown for information, not judged


def guarded(check: str, expected: str, judge: Callable[[], tuple[str, bool | None]]) -> Row:
    try:
        found, passed = judge()
    except Exception as exc:  # an error is a failed row, not the end of the table
        return Row(check, expected, f"error: {exc}", False)
    return Row(check, expected, found, passed)


def print_rows(rows: Sequence[Row]) -> int:
    """Print the checks; the exit status: 0 when none failed, 1 otherwise."""
    verdict = {True: "pass", False: "FAIL", None: "info"}
    header = ("check", "expected", "found", "result")
    print_table(header, [(r.check, r.expected, r.found, verdict[r.passed]) for r in rows])
    return 0 if all(row.passed is not False for row in rows) else 1
