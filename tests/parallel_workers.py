"""The suite in pytest-xdist's worker processes (`-n 2 --dist loadgroup`, the test command of
scripts/bootstrap.py): which tests share a worker, which start first, and the end-of-run
sections a worker passes back to be printed.

Each worker is a pytest session of its own, so a session fixture is built once in every
worker that asks for it. The tests of a fixture that costs tens of seconds (a whole daemon
run, a training run) are therefore put in one xdist group: one worker runs them all, after
one build. A worker takes its next test in collection order, so under xdist a test that runs
for half a minute or more (marked `slow`) is collected first: taken last, it would keep one
worker busy while the other has nothing left to do.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

# The session fixtures that cost too much to build once in each worker.
SHARED_FIXTURES = ("hostile_runs", "trained")
# Where a worker leaves its sections in `config.workeroutput` (xdist sends it back at the end).
SECTIONS_KEY = "bunny_terminal_sections"
SECTIONS = pytest.StashKey[dict[str, list[str]]]()


def under_xdist(config: pytest.Config) -> bool:
    """True in an xdist worker (which collects and runs tests), False in a plain pytest run."""
    return hasattr(config, "workerinput")


def shared_fixture(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    return next((name for name in SHARED_FIXTURES if name in names), None)


def starts_early(item: pytest.Item) -> bool:
    return item.get_closest_marker("slow") is not None or shared_fixture(item) is not None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    # Before xdist's own hook, which reads the groups.
    for item in items:
        fixture = shared_fixture(item)
        if fixture is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(fixture))
    yield
    if under_xdist(config):
        if getattr(config.option, "loadgroup", False):
            for item in items:
                name_the_group(item)
        # A stable sort; a plain run keeps the collected order, so that `pytest -x` still
        # reports a quick failure quickly.
        items.sort(key=lambda item: not starts_early(item))


def name_the_group(item: pytest.Item) -> None:
    """Suffix the test's id with `@<group>`, as xdist does to tell the controller the group.

    xdist 3.8 writes the suffix to `item._nodeid`, which pytest 9.2 no longer reads (it keeps
    a structured `item._id`): every group is then silently spread over the workers
    (pytest-dev/pytest-xdist#1386). Where xdist's suffix took, this does nothing.
    """
    names = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    suffix = "@" + "_".join(names)
    if not names or item.nodeid.endswith(suffix):
        return
    from _pytest.nodeid import NodeId  # pytest 9.2's structured ids, where the bug is

    item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]


def pass_section_to_controller(config: pytest.Config, title: str, lines: list[str]) -> bool:
    """In an xdist worker, hand a terminal section to the controller, which prints it at the
    end of the run (a worker has no terminal); False, doing nothing, in a plain run."""
    output: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if output is None:
        return False
    output.setdefault(SECTIONS_KEY, {}).setdefault(title, []).extend(lines)
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist's controller: a worker ended; keep the sections it passed back."""
    sections: dict[str, list[str]] = getattr(node, "workeroutput", {}).get(SECTIONS_KEY, {})
    kept = node.config.stash.setdefault(SECTIONS, {})
    for title, lines in sections.items():
        kept.setdefault(title, []).extend(lines)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    for title, lines in config.stash.get(SECTIONS, {}).items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
