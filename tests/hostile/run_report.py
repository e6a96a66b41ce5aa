"""What a run found, and its counts as lines a person reads (and the README quotes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tests.hostile.catalogue import InputSpec
from tests.hostile.daemon_run import Variant
from tests.hostile.outcomes import Observation


@dataclass(frozen=True)
class RunReport:
    variant: Variant
    tried: list[InputSpec]
    observations: dict[str, Observation]
    settled_seconds: float | None  # None: some input had no outcome after WAIT_SECONDS
    daemon_alive: bool
    daemon_exit: int | None
    status_failures: list[str]  # `bunny status` answers during the run that were not right
    status_final: tuple[bool, str]
    terminal_output: bytes  # what `bunny status` and `bunny logs` printed at the end
    outside_changes: list[str]
    altered: list[str]  # dropped bytes changed or gone
    copies: list[str]  # files moved aside or done that are no dropped input: duplicates
    oversized_reasons: list[str]
    log_problems: list[str]
    errors_after_settle: list[str]
    stderr_tail: str
    memory: str  # the daemon's peak memory at the end of the run


def summary_lines(report: RunReport) -> list[str]:
    kinds = Counter(spec.kind.value for spec in report.tried)
    outcomes: dict[str, Counter[str]] = {}
    for spec in report.tried:
        observed = report.observations[spec.key].outcome.value
        outcomes.setdefault(spec.kind.value, Counter())[observed] += 1
    wrong = [
        spec.key
        for spec in report.tried
        if report.observations[spec.key].outcome not in spec.expected
        or report.observations[spec.key].faults
    ]
    lines = [
        f"{report.variant}: {len(report.tried)} inputs tried "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))}); "
        f"all settled after {report.settled_seconds} s"
        if report.settled_seconds is not None
        else f"{report.variant}: {len(report.tried)} inputs tried; NOT all settled in time",
    ]
    for kind, counts in sorted(outcomes.items()):
        lines.append(f"  {kind}: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
    lines.append(
        f"  daemon alive: {report.daemon_alive}; lost or altered: {len(report.altered)}; "
        f"changed outside the tree: {len(report.outside_changes)}; "
        f"not as expected: {len(wrong)}" + (f" ({', '.join(wrong)})" if wrong else "")
    )
    lines.append(f"  daemon memory: {report.memory}")
    return lines
