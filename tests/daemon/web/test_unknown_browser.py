"""The unknown faces page in a real Chromium: a cluster named by typing a name and pressing
Name leaves the list and its character appears; a screenshot of the clusters and the noise
bucket."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.harness import SCREENSHOTS
from tests.daemon.web.browser_steps import WAIT_MS, record_dialogs
from tests.daemon.web.page_server import library_config, served
from tests.daemon.web.unknown_library import build_unknown_library

if TYPE_CHECKING:
    from playwright.sync_api import Page

SHOT = SCREENSHOTS / "unknown-faces.png"


def test_naming_a_cluster_on_the_page(tmp_path: Path, browser_page: Page) -> None:
    from playwright.sync_api import expect

    config = library_config(tmp_path)
    big, small = build_unknown_library(config).clusters
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 800})
    dialogs = record_dialogs(page)
    with served(config) as server:
        page.goto(f"{server.url}/unknown")
        cluster = page.locator(f'[data-drop="cluster:{big}"]')
        expect(cluster.locator("[data-item^='face:'] img")).to_have_count(5)
        expect(page.locator('[data-drop="noise"] [data-item^="face:"]')).to_have_count(2)
        page.wait_for_function(  # the thumbnails come after the page, one request each
            "() => [...document.querySelectorAll(\"[data-item^='face:'] img\")]"
            ".every(i => i.complete && i.naturalWidth > 0)",
            timeout=WAIT_MS,
        )
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOT)

        cluster.get_by_label("Name").fill("Zed")
        cluster.get_by_role("button", name="Name").click()
        expect(page.get_by_role("status")).to_contain_text(f"5 faces of {big} are now Zed's")
        expect(page.locator(f'[data-drop="cluster:{big}"]')).to_have_count(0, timeout=WAIT_MS)
        expect(page.locator(f'[data-drop="cluster:{small}"]')).to_have_count(1)
        expect(page.locator('#character-names option[value="Zed"]')).to_have_count(1)
        assert "Zed" in [c.name for c in server.repo.characters()]
    assert dialogs() == [], "a script ran"
