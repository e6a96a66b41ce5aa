"""`bunny status` printed: the report as text for a person or JSON for a program, and its
health as the exit status."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from daemon.config import Config
from daemon.display_text import REASON_LIMIT, escaped, shown
from daemon.reports.batch_status import batch_rows
from daemon.reports.character_overview_text import cluster_row, training_rows
from daemon.reports.health import Health
from daemon.reports.status import StatusReport, build_report
from daemon.repository import Repository
from daemon.store import SchemaMismatchError, utcnow


def print_status(config: Config, as_json: bool) -> int:
    """Print the report; the exit status is its health (0 ok, 1 warning, 2 critical, 3
    unknown: no database)."""
    if not config.database_path.exists():
        print(
            f"no database at {config.database_path}: the daemon has not run on this library",
            file=sys.stderr,
        )
        return int(Health.UNKNOWN)
    try:
        repo = Repository(config.database_path, read_only=True)
    except SchemaMismatchError as exc:
        print(f"bunny: {exc}", file=sys.stderr)
        return int(Health.UNKNOWN)
    try:
        report = build_report(repo, utcnow(), config)
    finally:
        repo.close()
    # JSON escapes every control character itself (ensure_ascii).
    print(json.dumps(asdict(report), indent=2) if as_json else render(report))
    return int(Health[report.health.state.upper()])


def render(report: StatusReport) -> str:
    """The report as lines; what the user's files named (movies, characters, errors about
    them) is shown with control characters escaped, so no name drives the terminal."""
    if report.daemon_running:
        daemon = (
            f"running (pid {report.daemon_pid}, heartbeat {report.heartbeat_age_seconds} s ago)"
        )
    else:
        daemon = "not running"
    counts = ", ".join(f"{n} {state}" for state, n in report.counts.items() if n)
    lines = [
        f"health:   {_health_text(report)}",
        f"daemon:   {daemon}",
        f"database: {report.database}",
        f"queue:    {report.queue_length} movie(s) waiting to run; {counts or 'no movies yet'}",
    ]
    if report.disk is not None:
        floor = f", floor {report.disk.floor_gb:g} GB" if report.disk.floor_gb else ""
        paused = "  (new work paused)" if report.disk.paused else ""
        lines.append(f"disk:     {report.disk.free} free in {report.disk.path}{floor}{paused}")
    if report.web_url:
        lines.append(f"web:      review page at {report.web_url}")
    if report.last_error:
        lines.append(f"last error in the log: {shown(report.last_error, REASON_LIMIT)}")
    if report.movies:
        lines.append("")
        lines.append(
            f"{'ID':<12}  {'STATE':<8}  {'STAGE':<10}  {'PROGRESS':>8}  {'TRIES':>5}  NAME"
        )
    for m in report.movies:
        progress = f"{m.progress:.0%}" if m.state in ("running", "queued", "waiting") else ""
        lines.append(
            f"{m.id:<12}  {m.state:<8}  {m.stage or '-':<10}  {progress:>8}  {m.attempts:>5}  "
            f"{shown(m.name)}"
        )
        if m.last_error and m.state != "done":
            lines.append(f"{'':<12}  last error: {shown(m.last_error, REASON_LIMIT)}")
        if m.next_attempt_at:
            lines.append(f"{'':<12}  next try: {m.next_attempt_at}")
    batches = batch_rows(report.image_batches)
    lines += ["", *batches] if batches else []
    # Every line once more: a field missed above still reaches the terminal escaped.
    return escaped("\n".join(lines + _caption_lines(report)), keep="\n")


def _health_text(report: StatusReport) -> str:
    if not report.health.problems:
        return report.health.state
    return f"{report.health.state}: " + "; ".join(
        shown(p, REASON_LIMIT) for p in report.health.problems
    )


def _caption_lines(report: StatusReport) -> list[str]:
    lines = []
    if report.captions:
        done = ", ".join(f"{shown(c.character)} {c.captioned}/{c.images}" for c in report.captions)
        lines += ["", f"captions: {done}"]
    if report.breakers and report.daemon_running:
        states = ", ".join(f"{b.provider} {b.state} since {b.since}" for b in report.breakers)
        lines.append(f"providers: {states}")
    return lines + _training_text(report) + _overview_text(report)


def _overview_text(report: StatusReport) -> list[str]:
    rows = training_rows(report.characters)
    return (["", *rows] if rows else []) + ["", cluster_row(report.unknown_clusters)]


def _training_text(report: StatusReport) -> list[str]:
    lines = []
    if report.training_wait and report.daemon_running:
        lines += ["", f"training waits: {report.training_wait}"]
    if report.training:
        lines += ["", "training:"]
    for t in report.training:
        name = shown(f"{t.character}-v{t.version}" if t.version else t.character)
        lines.append(f"  {name:<24}  {t.state:<9}  {shown(t.summary, REASON_LIMIT)}")
    return lines
