"""How the benchmarks print: aligned tables of figures, headings, a stage's rejections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from handlers.quality import QualityReport, Verdict


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(headers), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    for number, row in enumerate(cells):
        first = row[0].ljust(widths[0])
        print("  ".join([first, *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]))
        if number == 0:
            print("  ".join("-" * width for width in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def rejections(report: QualityReport) -> str:
    counts = Counter(f.verdict.value for f in report.frames if f.verdict is not Verdict.KEPT)
    return ", ".join(f"{verdict} {count}" for verdict, count in sorted(counts.items())) or "-"


def heading(text: str) -> None:
    print(f"\n== {text} ==", flush=True)
