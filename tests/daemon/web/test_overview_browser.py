"""The overview in a real Chromium over a real daemon: it follows a movie through its stages
without a reload, and a movie named like markup shows as text."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.harness import SCREENSHOTS
from tests.conftest import DaemonProcess, wait_for
from tests.daemon.web.browser_steps import (
    WAIT_MS,
    NavigationWatch,
    card,
    drop_movie,
    page_of,
    record_dialogs,
)
from tests.daemon.web.page_server import XSS
from tests.test_end_to_end import states

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

MOVIE = "Big Buck Bunny (2008).mp4"
# Three short stages held open 3 s each: every stage outlasts a poll (2 s) of the page.
STAGES = {"stages": ["probe", "shots", "frames"], "stage_delay_seconds": 3}
IN_FLIGHT_SHOT = SCREENSHOTS / "overview-in-flight.png"


def in_flight_row(page: Page, name: str) -> Locator:
    section = page.locator("section", has=page.locator("h2", has_text="In flight"))
    return section.locator("tbody tr", has=page.locator(".name", has_text=name))


def test_the_overview_follows_a_movie_through_its_stages_without_a_reload(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    browser_page: Page,
) -> None:
    from playwright.sync_api import expect

    daemon = daemon_factory(pipeline=STAGES)
    page_of(daemon, browser_page)
    expect(browser_page.locator("#overview")).to_contain_text("No movie in flight")
    watch = NavigationWatch(browser_page)

    drop_movie(daemon, make_clip(), MOVIE)
    row = in_flight_row(browser_page, MOVIE)
    stage = row.locator("td").nth(2)
    expect(stage).to_have_text(re.compile(r"^(probe|shots|frames)$"), timeout=WAIT_MS)
    first = stage.inner_text()
    expect(row.locator("td").nth(1)).to_have_text("running")
    IN_FLIGHT_SHOT.parent.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=IN_FLIGHT_SHOT)

    expect(stage).not_to_have_text(first, timeout=WAIT_MS)
    expect(row).to_have_count(0, timeout=WAIT_MS)
    expect(card(browser_page, "Queue")).to_contain_text("1 done")
    assert states(daemon) == {MOVIE: "done"}
    assert watch.same_document(), f"the page navigated {watch.navigations} time(s)"


def test_a_movie_named_like_markup_shows_as_text_in_the_browser(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    browser_page: Page,
) -> None:
    from playwright.sync_api import expect

    daemon = daemon_factory(pipeline=STAGES)
    dialogs = record_dialogs(browser_page)
    page_of(daemon, browser_page)
    watch = NavigationWatch(browser_page)
    name = f"{XSS}.mp4"
    drop_movie(daemon, make_clip(), name)

    shown = in_flight_row(browser_page, name).locator(".name")
    expect(shown).to_have_text(name, timeout=WAIT_MS)
    # Polls go on swapping the fragment in; wait for a later one (the stage moves on).
    wait_for(lambda: states(daemon).get(name) == "done", timeout=WAIT_MS / 1000)
    expect(in_flight_row(browser_page, name)).to_have_count(0, timeout=WAIT_MS)
    assert browser_page.locator("img").count() == 0
    assert browser_page.locator("[onerror]").count() == 0
    assert dialogs() == []
    assert watch.same_document()
