"""One daemon run per variant, shared by every test of the suite, and its counts printed at
the end of the pytest session (the numbers the README's reliability section quotes; under
pytest-xdist the worker that ran them passes them to the controller, which prints them)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.daemon_run import Variant
from tests.hostile.inputs import FACE_PHOTO
from tests.hostile.run_report import RunReport, summary_lines
from tests.hostile.session import HostileRun
from tests.parallel_workers import pass_section_to_controller

SUMMARIES = pytest.StashKey[list[str]]()
TITLE = "hostile inputs"


class HostileRuns:
    """Runs a variant the first time a test asks for it; one daemon at a time."""

    def __init__(self, clips: Path, summaries: list[str]) -> None:
        self.clips, self.summaries = clips, summaries
        self._reports: dict[Variant, RunReport] = {}
        self._hashes: dict[str, str] = {}

    def report(self, variant: Variant) -> RunReport:
        if variant is Variant.UNPRIVILEGED and os.geteuid() != 0:
            pytest.skip("the unprivileged run switches user with setpriv: it needs root")
        if variant not in self._reports:
            # Not under pytest's own temporary folder: that one is closed to other users.
            root = Path(tempfile.mkdtemp(prefix=f"bunny-hostile-{variant}-"))
            root.chmod(0o755)
            try:
                face = FACE_PHOTO if FACE_PHOTO.exists() else None
                self._reports[variant] = HostileRun(
                    root, variant, self.clips, face, self._hashes
                ).run()
            finally:
                shutil.rmtree(root, ignore_errors=True)
            self.summaries.extend(summary_lines(self._reports[variant]))
        return self._reports[variant]


@pytest.fixture(scope="session")
def hostile_runs(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[HostileRuns]:
    summaries = pytestconfig.stash.setdefault(SUMMARIES, [])
    yield HostileRuns(tmp_path_factory.mktemp("hostile-clips"), summaries)


def pytest_sessionfinish(session: pytest.Session) -> None:
    lines = session.config.stash.get(SUMMARIES, [])
    if lines:
        pass_section_to_controller(session.config, TITLE, lines)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(SUMMARIES, [])
    if lines:
        terminalreporter.section(TITLE)
        for line in lines:
            terminalreporter.write_line(line)
