"""What the browser tests of the review page share: a real daemon's page opened in Chromium,
movies dropped as a user drops them (their states: tests/test_end_to_end.py's states)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.conftest import DaemonProcess
from tests.daemon.web.test_daemon_page import served_address

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

# Generous for a busy 2-core machine: a daemon's start, the watcher's quiet time, a poll.
WAIT_MS = 90_000
MARK = "window.__bunnyMark"


def page_of(daemon: DaemonProcess, page: Page) -> str:
    """Start the daemon, open its page and wait until it shows the daemon running."""
    from playwright.sync_api import expect

    daemon.start()
    url = served_address(daemon)
    page.goto(url)
    expect(card(page, "Daemon").locator(".big")).to_have_text("running", timeout=WAIT_MS)
    return url


def card(page: Page, title: str) -> Locator:
    """One card of the overview, by its heading (exactly: a path may contain "queue")."""
    return page.locator(".card", has=page.get_by_role("heading", name=title, exact=True))


def drop_movie(daemon: DaemonProcess, clip: Path, name: str) -> Path:
    """Copy `clip` beside the inbox, then move it in under `name`: one finished file."""
    staging = daemon.root / "staging"
    staging.mkdir(exist_ok=True)
    shutil.copyfile(clip, staging / name)
    return Path(shutil.move(staging / name, daemon.inbox / "movies" / name))


class NavigationWatch:
    """Counts the page's own navigations and marks its window: a reload, a redirect or a
    form's submission loses the mark and counts one."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self.navigations = 0
        page.on("framenavigated", self._seen)
        page.evaluate(f"{MARK} = 'kept'")

    def _seen(self, frame: Any) -> None:
        if frame == self._page.main_frame:
            self.navigations += 1

    def same_document(self) -> bool:
        return self.navigations == 0 and self._page.evaluate(MARK) == "kept"


Dialogs = Callable[[], list[str]]


def record_dialogs(page: Page) -> Dialogs:
    """Every dialog (alert, confirm, prompt) the page opens, dismissed and listed."""
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return lambda: list(seen)
