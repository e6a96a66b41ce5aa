"""A movie's page in a real Chromium, after a real daemon processed the Hamilton clip with
Lin-Manuel Miranda's reference photo: the contact sheet's thumbnails load, his face is boxed
and named over them, and the rejected frames open behind their toggle."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import HEIGHT, SCREENSHOTS, WIDTH
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin, wait_for
from tests.daemon.web.browser_steps import WAIT_MS, page_of, record_dialogs
from tests.test_end_to_end import states

if TYPE_CHECKING:
    from playwright.sync_api import Page

MOVIE = "h.mp4"  # drop_hamilton_and_lin's name for the clip
LIN = "Lin-Manuel Miranda"
MOVIE_SHOT = SCREENSHOTS / "movie-page.png"
LOADED = "images => images.filter(i => i.complete && i.naturalWidth > 0).length"


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_a_processed_movie_shows_its_contact_sheet_with_named_faces(
    daemon_factory: Callable[..., DaemonProcess], browser_page: Page
) -> None:
    from playwright.sync_api import expect

    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    dialogs = record_dialogs(browser_page)
    url = page_of(daemon, browser_page)
    wait_for(lambda: states(daemon).get(MOVIE) == "done", timeout=WAIT_MS / 1000)

    browser_page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    browser_page.goto(f"{url}movies")
    browser_page.get_by_role("link", name=MOVIE, exact=True).click()
    expect(browser_page.locator("h1")).to_have_text(MOVIE)
    expect(browser_page.locator("#timeline tbody tr").first).to_contain_text("done")

    tiles = browser_page.locator(".contact-sheet img")
    assert tiles.count() > 0
    tiles.first.scroll_into_view_if_needed()
    # Lazily loaded: the ones in view load; at least the first row must.
    wait_for(lambda: tiles.evaluate_all(LOADED) > 0, timeout=WAIT_MS / 1000)
    label = browser_page.locator("svg.faces text.face-label.named", has_text=LIN).first
    expect(label).to_be_attached()
    box = label.locator("xpath=preceding-sibling::*[local-name()='rect'][1]")
    assert (box.bounding_box() or {}).get("width", 0) > 0  # drawn, not just in the markup

    rejected = browser_page.locator("details.rejected")
    rejected.locator("summary").click()
    expect(rejected).to_have_attribute("open", "")
    if rejected.locator("tbody tr").count():
        expect(rejected.locator("tbody tr").first).to_be_visible()
    else:
        expect(rejected).to_contain_text("No rejected frame.")

    browser_page.locator("#frames").scroll_into_view_if_needed()
    MOVIE_SHOT.parent.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=MOVIE_SHOT)
    assert dialogs() == []
