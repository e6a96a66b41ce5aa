"""tests/parallel_workers.py, in real pytest-xdist runs of a small suite written for the test:
the tests of a costly session fixture share one worker (one build), slow tests start first,
and a section a worker passes back is printed by the controller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parallel_workers import SHARED_FIXTURES

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("xdist", reason="pytest-xdist is not installed (pip install -e '.[dev]')")

CONFTEST = f"""
import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.parallel_workers"]
HERE = Path(__file__).parent


def note(file, line):
    with (HERE / file).open("a") as handle:
        handle.write(line + "\\n")


@pytest.fixture(scope="session")
def {SHARED_FIXTURES[0]}():
    note("builds.txt", os.environ["PYTEST_XDIST_WORKER"])


@pytest.fixture(autouse=True)
def record(request):
    note("ran.txt", os.environ.get("PYTEST_XDIST_WORKER", "-") + " " + request.node.name)
"""

SHARED_TESTS = f"""
import pytest

@pytest.mark.parametrize("n", range(4))
def test_shared(n, {SHARED_FIXTURES[0]}):
    pass

@pytest.mark.parametrize("n", range(4))
def test_plain(n):
    pass
"""

SLOW_LAST = """
import pytest

def test_quick():
    pass

@pytest.mark.slow
def test_long():
    pass
"""

SECTION = """
from tests.parallel_workers import pass_section_to_controller

def pytest_sessionfinish(session):
    pass_section_to_controller(session.config, "numbers", ["one line from the worker"])
"""

INI = "[pytest]\nmarkers =\n    slow: long\n"


def suite(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "pytest.ini").write_text(INI)
    (folder / "conftest.py").write_text(CONFTEST)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def pytest_run(folder: Path, *args: str) -> str:
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


def ran(folder: Path) -> list[tuple[str, str]]:
    lines = (folder / "ran.txt").read_text().splitlines()
    return [(worker, name) for worker, name in (line.split(" ", 1) for line in lines)]


def test_the_tests_of_a_costly_session_fixture_share_one_worker_and_one_build(
    tmp_path: Path,
) -> None:
    files = {"test_a.py": SHARED_TESTS, "test_b.py": SHARED_TESTS}
    folder = suite(tmp_path / "suite", files)
    pytest_run(folder, "-n", "2", "--dist", "loadgroup")
    shared = {worker for worker, name in ran(folder) if name.startswith("test_shared")}
    assert len(shared) == 1, f"the fixture's tests ran on {sorted(shared)}"
    assert (folder / "builds.txt").read_text().splitlines() == sorted(shared)
    assert len(ran(folder)) == 16


def test_under_xdist_a_slow_test_starts_first_and_a_plain_run_keeps_the_order(
    tmp_path: Path,
) -> None:
    parallel = suite(tmp_path / "parallel", {"test_order.py": SLOW_LAST})
    pytest_run(parallel, "-n", "1")
    assert [name for _, name in ran(parallel)] == ["test_long", "test_quick"]
    plain = suite(tmp_path / "plain", {"test_order.py": SLOW_LAST})
    pytest_run(plain)
    assert [name for _, name in ran(plain)] == ["test_quick", "test_long"]


def test_a_section_a_worker_passes_back_is_printed_by_the_controller(tmp_path: Path) -> None:
    folder = suite(tmp_path / "suite", {"test_order.py": SLOW_LAST})
    with (folder / "conftest.py").open("a") as conftest:
        conftest.write(SECTION)
    output = pytest_run(folder, "-n", "2")
    assert "numbers" in output, output
    assert output.count("one line from the worker") == 2, output  # one per worker
