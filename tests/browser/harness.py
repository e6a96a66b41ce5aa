"""Browser tests in the system's Chromium, driven by Playwright: a pytest plugin.

Fixtures: `chromium_executable` (the binary, or a skip with the reason), `chromium_browser`
(one headless Chromium for the session) and `browser_page` (a fresh 1280x800 page per test,
whose final state is saved as a PNG under test-artifacts/screenshots/, or under the folder
named by BUNNY_SCREENSHOTS). Playwright's own browser download cannot work here, so it is
pointed at the system's binary: BUNNY_CHROMIUM, else the first Chromium on PATH.

Under CI (CI=true) a browser test that skips fails instead: CI installs Chromium, so a skip
there means the browser tests did not run, and must not pass unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
WIDTH, HEIGHT = 1280, 800
# Chromium left to itself reaches for Google's hosts (updates, sync, field trials): on a closed
# network those connections fail by the dozen and slow every start.
QUIET_FLAGS = (
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
NO_CHROMIUM = (
    "no Chromium found: install it (Debian: apt-get install chromium) or name the binary in "
    "BUNNY_CHROMIUM; looked on PATH for " + ", ".join(CHROMIUM_NAMES)
)


def find_chromium() -> Path | None:
    named = os.environ.get("BUNNY_CHROMIUM")
    if named:
        return Path(named) if Path(named).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def launch_flags() -> list[str]:
    # Chromium refuses to start its sandbox as root (CI and these machines run as root).
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [*QUIET_FLAGS, *(["--no-sandbox"] if as_root else [])]


def screenshot_path(node_id: str) -> Path:
    """`tests/browser/test_x.py::test_y[a]` -> `<folder>/browser-test_x.py-test_y-a.png`."""
    folder = Path(os.environ.get("BUNNY_SCREENSHOTS") or SCREENSHOTS)
    name = re.sub(r"[^\w.]+", "-", node_id.removeprefix("tests/")).strip("-")
    return folder / f"{name}.png"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    found = find_chromium()
    if found is None:
        pytest.skip(NO_CHROMIUM)
    return found


@pytest.fixture(scope="session")
def chromium_browser(chromium_executable: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=launch_flags()
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a context of its own (no cookies shared between tests)."""
    context = chromium_browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    try:
        yield page
        # Also after a failed test: its last page is what one wants to see.
        path = screenshot_path(request.node.nodeid)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path)
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and under_ci() and "chromium_executable" in item.fixturenames:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"a browser test may not skip under CI=true: {reason}"
    return report
