"""The browser harness itself: the system's Chromium runs our scripts, the final page is saved,
and a browser test that cannot run skips with its reason, or fails under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent.parent
PYTEST = ("-m", "pytest", "-p", "tests.browser.harness", "-p", "no:cacheprovider", "-rs")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>harness</title></head>
<body><p id="count">not counted</p><button id="add">add</button>
<script src="counter.js"></script></body></html>
"""
COUNTER = """let clicks = 0;
const count = document.getElementById("count");
count.textContent = "script ran";
document.getElementById("add").addEventListener("click", () => {
  clicks += 1;
  count.textContent = `clicked ${clicks}`;
});
"""
BROWSER_TEST = """
def test_opens_a_page(browser_page):
    browser_page.set_content("<body style='margin:0;background:#ff0000'><h1>tiny</h1></body>")
    assert browser_page.inner_text("h1") == "tiny"
"""
PLAIN_SKIP = """
import pytest

def test_not_in_a_browser():
    pytest.skip("nothing to do with a browser")
"""


def run_pytest(folder: Path, test_source: str, **environment: str | None) -> str:
    """pytest with the harness plugin on one test file in `folder`: `exit N` and its output.
    An environment value of None removes that variable."""
    (folder / "test_tiny.py").write_text(test_source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in environment.items():
        env.pop(name, None)
        if value is not None:
            env[name] = value
    result = subprocess.run(
        [sys.executable, *PYTEST, "test_tiny.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return f"exit {result.returncode}\n{result.stdout}{result.stderr}"


def no_chromium(folder: Path) -> dict[str, str | None]:
    """An environment in which no Chromium can be found: an empty PATH and no BUNNY_CHROMIUM."""
    empty = folder / "empty-path"
    empty.mkdir()
    return {"PATH": str(empty), "BUNNY_CHROMIUM": None}


def test_a_script_from_a_file_runs_in_the_system_chromium(
    browser_page: Page, chromium_browser: Browser, chromium_executable: Path, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "counter.js").write_text(COUNTER)
    browser_page.goto((tmp_path / "index.html").as_uri())
    assert browser_page.inner_text("#count") == "script ran"
    browser_page.click("#add")
    browser_page.click("#add")
    assert browser_page.inner_text("#count") == "clicked 2"
    installed = subprocess.run(
        [chromium_executable, "--version"], capture_output=True, text=True, check=True
    )
    assert chromium_browser.version in installed.stdout


def test_the_final_page_is_saved_at_1280x800(chromium_executable: Path, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    named = {"BUNNY_CHROMIUM": str(chromium_executable), "BUNNY_SCREENSHOTS": str(shots)}
    output = run_pytest(tmp_path, BROWSER_TEST, **named)
    assert output.startswith("exit 0\n"), output
    with Image.open(shots / "test_tiny.py-test_opens_a_page.png") as shot:
        assert shot.size == (1280, 800)
        assert shot.convert("RGB").getpixel((640, 700)) == (255, 0, 0)


def test_without_chromium_a_browser_test_skips_with_the_reason(tmp_path: Path) -> None:
    output = run_pytest(tmp_path, BROWSER_TEST, CI=None, **no_chromium(tmp_path))
    assert output.startswith("exit 0\n"), output
    assert "1 skipped" in output
    assert "no Chromium found: install it (Debian: apt-get install chromium)" in output


def test_under_ci_a_browser_test_without_chromium_fails(tmp_path: Path) -> None:
    output = run_pytest(tmp_path, BROWSER_TEST, CI="true", **no_chromium(tmp_path))
    assert output.startswith("exit 1\n"), output
    assert "a browser test may not skip under CI=true: Skipped: no Chromium found" in output
    assert "skipped" not in output.splitlines()[-1]


def test_under_ci_other_tests_may_still_skip(tmp_path: Path) -> None:
    output = run_pytest(tmp_path, PLAIN_SKIP, CI="true", **no_chromium(tmp_path))
    assert output.startswith("exit 0\n"), output
    assert "1 skipped" in output
